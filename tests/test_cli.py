"""The `pcra` console script, run as a user runs it: a real process on a fresh data directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PCRA = shutil.which("pcra", path=str(Path(sys.executable).parent))


def run(args, data_dir, check=True):
    env = {**os.environ, "PCRA_DATA_DIR": str(data_dir), "PCRA_DATABASE_URL": "",
           "PCRA_LANGUAGE": "en"}
    return subprocess.run([PCRA, *args], env=env, capture_output=True, text=True, check=check,
                          timeout=300)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pcra-cli")
    run(["migrate", "--no-input", "-v", "0"], data_dir)
    return data_dir


def test_console_script_lists_pcra_commands(fresh):
    out = run(["help"], fresh).stdout
    for command in ["serve", "verify_audit", "import_workbook", "export_workbook", "seed_demo",
                    "report_impact", "ensure_admin"]:
        assert command in out


def test_ensure_admin_prints_a_working_login_once_created(fresh):
    first = run(["ensure_admin"], fresh).stdout
    assert "login: admin" in first
    password = first.split("password: ")[1].split()[0]
    assert len(password) >= 12
    assert (fresh / "admin_password.txt").read_text().strip() == password
    assert oct((fresh / "admin_password.txt").stat().st_mode & 0o777) == "0o600"
    again = run(["ensure_admin"], fresh).stdout
    assert f"password: {password}" in again and "Created" not in again


def test_verify_audit_exit_codes(fresh):
    run(["ensure_admin"], fresh)
    ok = run(["verify_audit", "--json"], fresh)
    assert json.loads(ok.stdout)["ok"] is True
    # Break the chain behind pcra's back: the command must fail and name the entry.
    import sqlite3

    db = sqlite3.connect(fresh / "pcra.sqlite3")
    db.execute("DROP TRIGGER pcra_audit_no_update")
    db.execute("UPDATE core_auditentry SET object_repr = 'forged', data = data || ' ' "
               "WHERE id = (SELECT MIN(id) FROM core_auditentry)")
    db.commit()
    db.close()
    broken = run(["verify_audit"], fresh, check=False)
    assert broken.returncode == 1
    assert "Audit log broken at entry #1" in broken.stderr


def test_a_development_secret_key_is_refused(fresh):
    env_run = subprocess.run([PCRA, "check"], capture_output=True, text=True,
                             env={**os.environ, "PCRA_DATA_DIR": str(fresh),
                                  "PCRA_SECRET_KEY": "dev-secret"})
    assert env_run.returncode != 0
    assert "pcra.E001" in env_run.stderr


def test_nagios_plugin_exit_code_from_a_real_process(fresh):
    """Nagios reads the exit status of the process itself: UNKNOWN (3) with nothing to check."""
    result = run(["check_backups"], fresh, check=False)
    assert (result.returncode, result.stdout.strip()) == (
        3, "BACKUPS UNKNOWN - no backup copy to check")
    result = run(["check_backups", "--organization", "NOPE"], fresh, check=False)
    assert result.returncode == 3 and "Unknown organization: NOPE" in result.stdout


SETUP = """
from pcra.backups import services
from pcra.core.testing import make_node, make_org
ght = make_org(kind="GHT", code="GHT-CLI")
et = make_org(kind="ET", code="ET-CLI", parent=make_org(kind="EJ", code="EJ-CLI", parent=ght))
node = make_node(org=et, node_type="component", code="SRV-DB")
data = services.data_asset_ensure(node=node)
services.copy_create(data_asset=data, name="nas", engine="restic", repository={repo!r},
                     media="nas")
"""


def test_restore_test_command_from_a_real_process(fresh, tmp_path):
    """`pcra run_restore_test` as an operator runs it: the copy declared and its password set
    with the commands, a real restic repository; exit 0 and the issue's JSON when it passes,
    exit 1 when the repository is damaged."""
    from pcra.backups import samples

    source = samples.make_files(tmp_path / "src", count=10, size=5000)
    repo = samples.make_restic_repo(tmp_path / "repo", "s3cret-pass", source=source, snapshots=1)
    run(["shell", "-c", SETUP.format(repo=str(repo))], fresh)
    (tmp_path / "pw").write_text("s3cret-pass\n")
    run(["set_copy_secret", "SRV-DB", "nas", "--password-file", str(tmp_path / "pw")], fresh)
    ok = run(["run_restore_test", "SRV-DB", "nas", "--json"], fresh, check=False)
    assert ok.returncode == 0, ok.stderr
    result = json.loads(ok.stdout)
    assert {k: result[k] for k in ("status", "errors", "files_verified", "bytes_restored")} == {
        "status": "passed", "errors": [], "files_verified": 10, "bytes_restored": 50_000}
    assert result["duration_seconds"] > 0
    human = run(["run_restore_test", "SRV-DB", "nas", "--level", "1"], fresh, check=False)
    assert human.returncode == 0 and "restore test PASSED (level 1)" in human.stdout
    biggest = max(samples.restic_pack_files(repo), key=lambda p: p.stat().st_size)
    samples.flip_byte(biggest)
    bad = run(["run_restore_test", "SRV-DB", "nas", "--json"], fresh, check=False)
    assert bad.returncode == 1
    result = json.loads(bad.stdout)
    assert result["status"] == "failed" and result["errors"]


RECOVERY_SETUP = """
import itertools
from pcra.core import testing
from pcra.core.testing import make_edge, make_node, make_org
from pcra.impact.services import bia_set_levels, bia_start
testing._seq = itertools.count(500)  # FINESS numbers other than the first setup's
ght = make_org(kind="GHT", code="GHT-PRI")
et = make_org(kind="ET", code="ET-PRI", parent=make_org(kind="EJ", code="EJ-PRI", parent=ght))
urg = make_node(org=et, node_type="activity", code="URG", name="Urgences")
dpi = make_node(org=et, node_type="application", code="DPI", restore_hours_estimate=2)
vm = make_node(org=et, node_type="component", code="VM", component_kind="vm",
               restore_hours_estimate=1)
make_edge(urg, dpi)
make_edge(dpi, vm)
bia = bia_start(activity=urg)
bia_set_levels(bia=bia, levels={("securite_patients", "h1"): 4})
"""
DATA = Path(__file__).resolve().parents[1] / "src" / "pcra" / "recovery" / "tests" / "data"


def test_plan_recovery_from_a_real_process(fresh):
    """`pcra plan_recovery`: the standard ransomware scenario created on demand, the plan
    computed and kept, JSON as documented; an unknown scenario names the ones there are."""
    setup = run(["shell", "-c", RECOVERY_SETUP], fresh, check=False)
    assert setup.returncode == 0, setup.stderr
    done = run(["plan_recovery", "--scenario", "rancongiciel", "--organization", "GHT-PRI",
                "--json", "--time-limit", "5"], fresh, check=False)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["state"], plan["status"], plan["time_unit"]) == ("done", "optimal", "minute")
    tasks = {t["id"]: t for t in plan["tasks"]}
    assert (tasks["VM"]["start"], tasks["VM"]["end"]) == (0, 60)
    assert (tasks["DPI"]["start"], tasks["DPI"]["end"]) == (60, 180)
    assert plan["activities"] == [{"id": "URG", "back": 180, "due": 60, "late": 120}]
    assert plan["makespan"] == 180 and plan["weighted_lateness"] == 120 * 4
    human = run(["plan_recovery", "--scenario", "rancongiciel", "--teams", "2"], fresh)
    assert "late by 2 h" in human.stdout and "URG" in human.stdout
    # Status, method and progress in words, not the solver's tokens.
    assert "; optimal, " in human.stdout and "priority-rule" not in human.stdout
    assert "checking the problem…" in human.stderr and "saving…" in human.stderr
    missing = run(["plan_recovery", "--scenario", "nope", "--organization", "ET-PRI"], fresh,
                  check=False)
    assert missing.returncode != 0
    assert "No scenario nope" in missing.stderr and "rancongiciel" in missing.stderr


def test_schedule_command_on_psplib_and_json_files(fresh, tmp_path):
    """`pcra schedule`: a PSPLIB instance solved to its known optimum (j301_1: 43), a JSON
    problem, and a broken file named with its line."""
    result = run(["schedule", str(DATA / "j301_1.sm"), "--time-limit", "5", "--json"], fresh)
    data = json.loads(result.stdout)
    assert (data["makespan"], data["status"]) == (43, "optimal")
    assert len(data["tasks"]) == 32 and data["tasks"][0]["id"] == "1"
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"resources": [{"id": "team", "capacity": 1}], "tasks": [
        {"id": "a", "duration": 3, "demands": {"team": 1}, "successors": ["c"]},
        {"id": "b", "duration": 2, "demands": {"team": 1}},
        {"id": "c", "duration": 1, "due": 4, "weight": 5}]}))
    data = json.loads(run(["schedule", str(problem), "--json"], fresh).stdout)
    starts = {t["id"]: t["start"] for t in data["tasks"]}
    assert starts == {"a": 0, "c": 3, "b": 3} and data["weighted_lateness"] == 0
    broken = tmp_path / "broken.sm"
    broken.write_text((DATA / "j301_1.sm").read_text().replace("  2      1     8", "  2      1     x"))
    bad = run(["schedule", str(broken)], fresh, check=False)
    assert bad.returncode == 1 and "broken.sm" in bad.stderr and "line" in bad.stderr
