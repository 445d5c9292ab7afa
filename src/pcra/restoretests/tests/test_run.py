"""The whole chain on real restic and Borg repositories made by the tests: a run requested, run
by the worker's task (inline in tests) or by `pcra run_restore_test`, recorded as evidence, the
"0" and the measured restore duration updated; a damaged repository never passes."""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from pcra.backups import samples
from pcra.backups import selectors as backup_selectors
from pcra.backups import services as backup_services
from pcra.backups.models import Verification
from pcra.backups.tests.helpers import asset
from pcra.restoretests import services
from pcra.restoretests.models import RestoreTestRun

PASSWORD = "correct horse battery staple"
_TEMPLATES: dict[str, Path] = {}


@pytest.fixture(autouse=True)
def _english(settings, english, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.PCRA_RESTORE_SANDBOX_DIR = tmp_path / "sandbox"
    settings.PCRA_RESTORE_RESERVE_BYTES = 0


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return samples.make_files(tmp_path_factory.mktemp("src") / "data", count=24, size=20_000)


def _repo(engine: str, source: Path, target: Path) -> Path:
    """Repositories are made once per session and copied for each test."""
    if engine not in _TEMPLATES:
        root = Path(tempfile.mkdtemp(prefix="pcra-restore-templates-"))
        atexit.register(shutil.rmtree, root, True)
        path = root / engine
        if engine == "restic":
            samples.make_restic_repo(path, PASSWORD, source=source, snapshots=2)
        else:
            samples.make_borg_repo(path, PASSWORD, source=source, archives=2)
        _TEMPLATES[engine] = path
    shutil.copytree(_TEMPLATES[engine], target)
    return target


def make_copy(world, engine: str, source: Path, tmp_path: Path, code="DPI-DB"):
    data = asset(world.et_a1, code, restore_hours_estimate=6)
    repo = _repo(engine, source, tmp_path / f"{engine}-repo")
    copy = backup_services.copy_create(data_asset=data, name=engine, engine=engine,
                                       repository=str(repo), media="disque")
    backup_services.copy_set_secret(copy=copy, password=PASSWORD)
    return copy


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_a_run_on_the_worker_restores_verifies_and_is_evidence(world, source, tmp_path, engine,
                                                               settings):
    copy = make_copy(world, engine, source, tmp_path)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = services.run_request(copy=copy, user=world.owner)
    run.refresh_from_db()
    assert run.status == "passed", run.errors
    files = sum(1 for p in source.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    assert (run.files_verified, run.bytes_restored) == (files, size)
    assert run.extrapolated_full_seconds is not None and run.throughput
    assert hashlib.sha256(run.report_json.encode()).hexdigest() == run.report_sha256
    assert json.loads(run.report_json)["test"]["requested_by"] == "owner"
    assert PASSWORD not in run.report_json
    assert Verification.objects.get(restore_run=run).result == "ok"
    # Nothing is left in the sandbox.
    assert list(settings.PCRA_RESTORE_SANDBOX_DIR.iterdir()) == []
    # The measured duration is now the node's restore duration.
    from pcra.impact.selectors import restore_durations

    node = copy.data_asset.node
    assert restore_durations([node])[node.pk].source == "measured"


def test_a_damaged_pack_fails_the_test_and_the_zero(world, source, tmp_path):
    copy = make_copy(world, "restic", source, tmp_path)
    biggest = max(samples.restic_pack_files(Path(copy.repository)), key=lambda p: p.stat().st_size)
    samples.flip_byte(biggest)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = services.run_request(copy=copy)
    run.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "damaged")
    assert run.errors
    assert Verification.objects.get(restore_run=run).result == "echec"
    [report] = backup_selectors.asset_reports([copy.data_asset])
    assert report.digits.zero.ok is False


def test_a_wrong_password_is_a_clear_failure_that_says_nothing_of_the_data(world, source,
                                                                          tmp_path):
    copy = make_copy(world, "borg", source, tmp_path)
    backup_services.copy_set_secret(copy=copy, password="not the password")
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = services.run_request(copy=copy)
    run.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "wrong_password")
    assert run.verification is None


def test_interrupting_a_run_cancels_it_and_removes_the_sandbox(world, source, tmp_path,
                                                               settings):
    copy = make_copy(world, "restic", source, tmp_path)
    run = services.run_request(copy=copy, enqueue=False)
    seen = []
    run = services.execute_run(run, on_progress=seen.append, interrupted=lambda: bool(seen))
    assert run.status == "cancelled" and run.verification is None
    assert list(settings.PCRA_RESTORE_SANDBOX_DIR.iterdir()) == []


def test_command_prints_the_json_of_the_issue_and_exits_0_only_when_passed(world, source,
                                                                          tmp_path):
    copy = make_copy(world, "borg", source, tmp_path)
    out = StringIO()
    call_command("run_restore_test", "DPI-DB", "borg", "--json", stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())
    assert result["status"] == "passed" and result["errors"] == []
    files = sum(1 for p in source.rglob("*") if p.is_file())
    assert result["files_verified"] == files and result["bytes_restored"] > 0
    assert result["duration_seconds"] > 0
    probe = ["--level", "3", "--probe", "sh -c 'exit 3'"]
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("run_restore_test", "DPI-DB", "borg", "--json", *probe, stdout=out,
                     stderr=StringIO())
    assert exc.value.code == 1
    result = json.loads(out.getvalue())
    assert result["status"] == "failed" and result["error_code"] == "probe_failed"
    assert RestoreTestRun.objects.filter(copy=copy).count() == 2
    with pytest.raises(CommandError, match="has no copy named nope"):
        call_command("run_restore_test", "DPI-DB", "nope")


def test_a_starting_worker_removes_what_a_killed_one_left(world, source, tmp_path, settings):
    root = settings.PCRA_RESTORE_SANDBOX_DIR
    leftover = root / "pcra-restore-killed" / "data"
    leftover.mkdir(parents=True)
    (leftover / "patient.db").write_bytes(b"restored data")
    # Not while a test runs on a worker (its sandbox is in use)…
    copy = make_copy(world, "restic", source, tmp_path)
    run = services.run_request(copy=copy, enqueue=False)
    services.run_start(run)
    call_command("worker", "--once", verbosity=0)
    assert leftover.exists()
    # …but once none does.
    services.run_fail(run, "agent_lost", "lost")
    call_command("worker", "--once", stdout=StringIO())
    assert not (root / "pcra-restore-killed").exists()
