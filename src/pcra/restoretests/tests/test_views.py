"""Restore-test pages for every persona (owner = editor of ET-A1, member = viewer of ET-A1,
outsider = editor of ET-A2, stranger = admin of GHT-B, ght_admin = admin of GHT-A): the runs
and definitions, a definition's form and its meaning errors, a real run on a real restic
repository (passed, then damaged and failed), the live progress, the evidence as stored, the
PDF report, the business referent's validation and the agents."""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcra.backups import samples
from pcra.backups import services as backup_services
from pcra.backups.models import Verification
from pcra.core.testing import make_edge, make_node
from pcra.restoretests import services
from pcra.restoretests.models import (
    Agent,
    RestoreTestDefinition,
    RestoreTestRun,
    RunState,
    Signoff,
)

PASSWORD = "correct horse battery staple"
FILES = 12

_TEMPLATE: dict[str, Path] = {}


def restic_template() -> Path:
    """One real restic repository per test session (``restic init`` costs seconds), copied for
    each test that restores it."""
    if "restic" not in _TEMPLATE:
        root = Path(tempfile.mkdtemp(prefix="pcra-rt-views-"))
        atexit.register(shutil.rmtree, root, True)
        source = samples.make_files(root / "data", count=FILES, size=3000)
        _TEMPLATE["restic"] = samples.make_restic_repo(root / "repo", PASSWORD, source=source,
                                                       snapshots=1)
    return _TEMPLATE["restic"]


@pytest.fixture(autouse=True)
def en(settings, english):
    """Pages in English: assertions compare this app's own messages, whose French catalogue is
    regenerated separately (one test checks that French stays the default)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def lab(world, tmp_path, settings):
    """ET-A1's lab system (LAB) backed up by restic (a real repository in ``tmp_path``) and by
    Veeam; the Biology activity (referent "Dr Martin") needs it. ET-A2's maternity system with
    its own restic copy and run, never to be seen from ET-A1."""
    settings.PCRA_RESTORE_SANDBOX_DIR = tmp_path / "sandbox"
    w = world
    bio = make_node(org=w.et_a1, node_type="activity", code="BIO", name="Biologie",
                    owner="Dr Martin")
    lab_node = make_node(org=w.et_a1, node_type="application", code="LAB",
                         name="Laboratoire")
    make_edge(bio, lab_node, 4)
    asset = backup_services.data_asset_ensure(node=lab_node, production_site="Nord")
    repo = tmp_path / "repo"
    shutil.copytree(restic_template(), repo)
    restic = backup_services.copy_create(data_asset=asset, name="restic-nas", engine="restic",
                                         media="nas", repository=str(repo), site="Nord")
    restic = backup_services.copy_set_secret(copy=restic, password=PASSWORD)
    veeam = backup_services.copy_create(data_asset=asset, name="veeam", engine="veeam",
                                        media="bande", site="Sud")
    definition = services.definition_create(copy=restic, name="mensuel", level=2,
                                            interval_days=30, functional_signoff=True,
                                            referent=w.member)
    other_node = make_node(org=w.et_a2, node_type="application", code="MAT", name="Maternité")
    other_asset = backup_services.data_asset_ensure(node=other_node)
    other = backup_services.copy_create(data_asset=other_asset, name="mat-restic",
                                        engine="restic", media="nas",
                                        repository=str(tmp_path / "elsewhere"))
    other = backup_services.copy_set_secret(copy=other, password=PASSWORD)
    other_definition = services.definition_create(copy=other, name="hebdo", level=2)
    w.bio, w.lab_node, w.asset, w.repo, w.restic, w.veeam = bio, lab_node, asset, repo, restic, veeam
    w.definition, w.other, w.other_definition = definition, other, other_definition
    w.run = finished_run(restic, definition=definition)
    w.other_run = finished_run(other, definition=other_definition)
    return w


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """Requests whose commit hands the run to the worker, which runs it inline (a test's
    transaction never commits: the hooks are run as it would)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def result(status: str = "passed", **fields) -> dict:
    """A runner result (``TestResult.to_dict()``) for runs that need no real restore."""
    data = {
        "status": status, "errors": [] if status == "passed" else ["pack 3f2a: ciphertext "
                                                                    "verification failed"],
        "error_code": "" if status == "passed" else "damaged", "snapshot_id": "a1b2c3d4e5",
        "snapshot_time": timezone.now().isoformat(), "snapshot_bytes": 36000,
        "snapshot_files": FILES, "bytes_restored": 36000, "files_restored": FILES,
        "files_verified": FILES if status == "passed" else FILES - 1, "duration_seconds": 4.2,
        "restore_seconds": 3.1, "throughput_bytes_per_second": 11612.9,
        "extrapolated_full_seconds": 3.1, "probe": None, "sandbox_removed": True,
        "engine_version": "restic 0.14.0",
        "level": 2, "scope": "full",
        "steps": [{"name": "check", "ok": True, "duration_seconds": 0.5, "detail": ""},
                  {"name": "listing", "ok": True, "duration_seconds": 0.1, "detail": ""},
                  {"name": "space", "ok": True, "duration_seconds": 0.0, "detail": ""},
                  {"name": "restore", "ok": status == "passed", "duration_seconds": 3.1,
                   "detail": f"{FILES} files"},
                  {"name": "verify", "ok": status == "passed", "duration_seconds": 0.2,
                   "detail": ""}],
    }
    data.update(fields)
    return data


def finished_run(copy, *, definition=None, status="passed", level=2, overrides=None, **fields):
    """A run requested with ``overrides`` (probe…) and finished with ``result(**fields)``."""
    run = services.run_request(copy=copy, definition=definition, level=level, enqueue=False,
                               **(overrides or {}))
    assert services.run_start(run)
    fields.setdefault("level", level)
    fields.setdefault("scope", run.scope)
    return services.run_finish(run, result(status, **fields))


def running_run(copy, *, definition=None, **progress):
    run = services.run_request(copy=copy, definition=definition, level=2, enqueue=False)
    assert services.run_start(run)
    services.run_progress(run, {"phase": "restoring", "bytes_done": 12000, "bytes_total": 36000,
                                "files_done": 4, "files_total": FILES, **progress})
    run.refresh_from_db()
    return run


def text(response) -> str:
    return html.unescape(response.content.decode())


def urls(w) -> dict[str, tuple[str, str]]:
    """Every page about ET-A1's restore tests: name → (method, url)."""
    run = {"uuid": w.run.uuid}
    definition = {"uuid": w.definition.uuid}
    return {
        "definition_create": ("get", reverse("restoretests:definition_create")
                              + f"?copy={w.restic.uuid}"),
        "definition_detail": ("get", reverse("restoretests:definition_detail",
                                             kwargs=definition)),
        "definition_edit": ("get", reverse("restoretests:definition_edit", kwargs=definition)),
        "definition_delete": ("get", reverse("restoretests:definition_delete",
                                             kwargs=definition)),
        "definition_run": ("post", reverse("restoretests:definition_run", kwargs=definition)),
        "copy_run": ("post", reverse("restoretests:copy_run", kwargs={"uuid": w.restic.uuid})),
        "run_detail": ("get", reverse("restoretests:run_detail", kwargs=run)),
        "run_progress": ("get", reverse("restoretests:run_progress", kwargs=run)),
        "run_cancel": ("post", reverse("restoretests:run_cancel", kwargs=run)),
        "run_signoff": ("post", reverse("restoretests:run_signoff", kwargs=run)),
        "run_evidence": ("get", reverse("restoretests:run_evidence", kwargs=run)),
        "run_report": ("get", reverse("restoretests:run_report", kwargs=run)),
    }


READS = {"definition_detail", "run_detail", "run_progress", "run_evidence", "run_report"}
WRITES = {"definition_create", "definition_edit", "definition_delete", "definition_run",
          "copy_run", "run_cancel"}


# --- Scoping and permissions -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "stranger"])
def test_other_establishments_get_404_on_every_page(client, lab, persona):
    client.force_login(getattr(lab, persona))
    for name, (method, url) in urls(lab).items():
        response = getattr(client, method)(url, {"decision": "validated"} if method == "post"
                                           else None)
        assert response.status_code == 404, name


@pytest.mark.parametrize("persona", ["outsider", "stranger"])
def test_the_index_shows_nothing_of_et_a1(client, lab, persona):
    client.force_login(getattr(lab, persona))
    response = client.get(reverse("restoretests:index"))
    assert response.status_code == 200
    page = text(response)
    assert "LAB" not in page and "mensuel" not in page
    runs = {r.uuid for r in response.context["rows"]}
    assert lab.run.uuid not in runs
    if persona == "outsider":
        assert runs == {lab.other_run.uuid}
        assert [d.d.name for d in response.context["definitions"]] == ["hebdo"]
    else:
        assert runs == set()


def test_a_viewer_reads_but_cannot_create_run_or_cancel(client, lab):
    running = running_run(lab.restic, definition=lab.definition)
    client.force_login(lab.member)
    for name, (method, url) in urls(lab).items():
        if name in READS:
            assert client.get(url).status_code == 200, name
        elif name in WRITES:
            assert getattr(client, method)(url).status_code == 403, name
    cancel = reverse("restoretests:run_cancel", kwargs={"uuid": running.uuid})
    assert client.post(cancel).status_code == 403
    running.refresh_from_db()
    assert (running.status, running.cancel_requested) == (RunState.RUNNING, False)
    assert RestoreTestRun.objects.filter(copy=lab.restic).count() == 2  # nothing queued
    detail = text(client.get(reverse("restoretests:run_detail", kwargs={"uuid": running.uuid})))
    assert "Cancel the test" not in detail
    asset_page = text(client.get(reverse("backups:asset_detail", kwargs={"uuid": lab.asset.uuid})))
    assert "mensuel" in asset_page
    assert "New restore test" not in asset_page
    assert reverse("restoretests:copy_run", kwargs={"uuid": lab.restic.uuid}) not in asset_page


def test_the_ght_admin_reaches_et_a1s_tests(client, lab):
    client.force_login(lab.ght_admin)
    for name, (method, url) in urls(lab).items():
        if name in READS or method == "get":
            assert client.get(url).status_code == 200, name


def test_only_the_named_referent_signs_off(client, lab):
    url = reverse("restoretests:run_signoff", kwargs={"uuid": lab.run.uuid})
    detail = reverse("restoretests:run_detail", kwargs={"uuid": lab.run.uuid})
    # The owner may edit the asset, but is not the referent: no form, and 403.
    client.force_login(lab.owner)
    assert 'name="decision"' not in text(client.get(detail))
    assert 'name="decision"' not in text(client.get(url))  # GET: the run's page
    assert client.post(url, {"decision": "validated"}).status_code == 403
    assert not Signoff.objects.exists()
    # The referent is a viewer: the form is there, and the decision is recorded.
    client.force_login(lab.member)
    page = text(client.get(detail))
    assert 'name="decision"' in page
    assert 'name="decision"' in text(client.get(url))
    response = client.post(url, {"decision": "validated", "comment": "Résultats lisibles."})
    assert response.status_code == 302
    signoff = Signoff.objects.get()
    assert (signoff.run, signoff.referent, signoff.decision, signoff.comment) == (
        lab.run, lab.member, "validated", "Résultats lisibles.")
    page = text(client.get(detail))
    assert 'name="decision"' not in page
    assert "Résultats lisibles." in page
    # Signed once only.
    response = client.post(url, {"decision": "refused", "comment": "x"}, follow=True)
    assert Signoff.objects.count() == 1
    assert "This test is already validated or refused." in text(response)


def test_a_refusal_needs_a_comment_and_fails_the_zero(client, lab):
    client.force_login(lab.member)
    url = reverse("restoretests:run_signoff", kwargs={"uuid": lab.run.uuid})
    response = client.post(url, {"decision": "refused", "comment": " "})
    assert response.status_code == 200
    assert response.context["signoff_form"].errors == {"comment": ["Say what does not work."]}
    assert not Signoff.objects.exists()
    response = client.post(url, {"decision": "refused", "comment": "Les résultats manquent."})
    assert response.status_code == 302
    refusal = Verification.objects.filter(copy=lab.restic).order_by("-pk").first()
    assert (refusal.result, refusal.kind) == ("echec", "restauration")


# --- The index ---------------------------------------------------------------------------------


def test_index_lists_runs_and_definitions_with_their_figures(client, lab):
    finished_run(lab.restic, definition=lab.definition, status="failed")
    client.force_login(lab.owner)
    response = client.get(reverse("restoretests:index"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.status for r in rows] == ["failed", "passed"]
    page = text(response)
    assert "pack 3f2a: ciphertext verification failed" in page
    assert "Awaiting validation" in page          # the passed run awaits its referent
    assert [d.d.name for d in response.context["definitions"]] == ["mensuel"]
    definition_row = response.context["definitions"][0].d
    assert definition_row.last_status == "failed"
    summary = response.context["summary"]
    assert (summary.passed, summary.failed, summary.active, summary.waiting) == (1, 1, 0, 1)
    assert "every 30 days" in page


def test_index_filters_and_live_search(client, lab):
    finished_run(lab.restic, status="failed")
    client.force_login(lab.ght_admin)
    index = reverse("restoretests:index")
    statuses = lambda r: sorted(row.status for row in r.context["rows"])  # noqa: E731
    assert statuses(client.get(index)) == ["failed", "passed", "passed"]
    assert statuses(client.get(index, {"status": "failed"})) == ["failed"]
    assert statuses(client.get(index, {"org": str(lab.et_a2.uuid)})) == ["passed"]
    assert statuses(client.get(index, {"asset": str(lab.asset.uuid)})) == ["failed", "passed"]
    response = client.get(index, {"q": "matern"}, HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "restoretests/_index_results.html"
    assert [r.copy.name for r in response.context["rows"]] == ["mat-restic"]
    assert response.context["summary"] is None
    assert "HX-Request" in response["Vary"]


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["rows"]), len(
        response.context["definitions"])


def test_index_runs_a_constant_number_of_queries(client, lab):
    client.force_login(lab.owner)
    url = reverse("restoretests:index")
    few = _count_queries(client, url)
    for i in range(4):
        definition = services.definition_create(copy=lab.restic, name=f"t{i}", level=1)
        finished_run(lab.restic, definition=definition, level=1)
        finished_run(lab.restic, status="failed")
    many = _count_queries(client, url)
    assert many[1:] == (9, 5) and few[1:] == (1, 1)
    assert many[0] == few[0]


# --- Definitions -------------------------------------------------------------------------------


def test_definition_form_offers_referents_agents_and_the_activity_owners(client, lab):
    agent, _token = services.agent_register(organization=lab.et_a1, name="zone-nord")
    revoked, _token = services.agent_register(organization=lab.et_a1, name="ancien")
    services.agent_revoke(agent=revoked)
    services.agent_register(organization=lab.et_a2, name="zone-a2")
    client.force_login(lab.owner)
    response = client.get(reverse("restoretests:definition_create"),
                          {"copy": str(lab.restic.uuid)})
    assert response.status_code == 200
    form = response.context["form"]
    assert [a.name for a in form.fields["agent"].queryset] == ["zone-nord"]
    assert {u.username for u in form.fields["referent"].queryset} == {
        "owner", "member", "ghtadmin"}
    assert response.context["owners"] == [("BIO", "Biologie", "Dr Martin")]
    assert "Dr Martin" in text(response)


def test_definition_errors_come_from_the_rules_next_to_their_fields(client, lab):
    client.force_login(lab.owner)
    url = reverse("restoretests:definition_create") + f"?copy={lab.restic.uuid}"
    response = client.post(url, {
        "copy": str(lab.restic.uuid), "name": "mensuel", "level": "3", "scope": "sample",
        "sample_files": "", "sample_percent": "", "probe_expect": "([", "interval_days": "7",
        "functional_signoff": "on", "referent": "", "enabled": "on"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["sample_files"] == ["A sample needs a number of files or a percentage."]
    assert errors["probe_command"] == ["Level 3 runs a probe: give its command."]
    assert errors["probe_expect"][0].startswith("This regular expression is invalid")
    assert errors["referent"] == [
        "Name the business referent who validates the restored application."]
    assert errors["name"] == ["This copy already has a restore test with this name."]
    page = text(response)
    assert "Level 3 runs a probe: give its command." in page
    assert RestoreTestDefinition.objects.filter(copy=lab.restic).count() == 1


def test_no_definition_on_a_copy_pcra_does_not_restore(client, lab):
    client.force_login(lab.owner)
    url = reverse("restoretests:definition_create") + f"?copy={lab.veeam.uuid}"
    response = client.post(url, {"copy": str(lab.veeam.uuid), "name": "veeam", "level": "2",
                                 "scope": "full", "enabled": "on"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()[0].startswith(
        "pcra restores restic and Borg repositories itself")
    assert not RestoreTestDefinition.objects.filter(copy=lab.veeam).exists()
    assert client.get(reverse("restoretests:definition_create"),
                      {"copy": "not-a-uuid"}).status_code == 404
    assert client.get(reverse("restoretests:definition_create"),
                      {"copy": str(uuid.uuid4())}).status_code == 404


def test_create_edit_delete_a_definition(client, lab):
    client.force_login(lab.owner)
    url = reverse("restoretests:definition_create") + f"?copy={lab.restic.uuid}"
    response = client.post(url, {
        "copy": str(lab.restic.uuid), "name": "échantillon", "level": "2", "scope": "sample",
        "sample_files": "", "sample_percent": "12.5", "interval_days": "7",
        "functional_signoff": "on", "referent": str(lab.member.pk), "enabled": "on"})
    definition = RestoreTestDefinition.objects.get(name="échantillon")
    assert response.status_code == 302
    assert response["Location"] == reverse("restoretests:definition_detail",
                                           kwargs={"uuid": definition.uuid})
    assert (definition.copy, definition.scope, str(definition.sample_percent),
            definition.interval_days, definition.referent, definition.timeout_seconds) == (
        lab.restic, "sample", "12.50", 7, lab.member, 4 * 3600)
    assert definition.next_run_at is not None
    page = text(client.get(response["Location"]))
    assert "12.5 % of the files" in page and "every 7 days" in page
    edit = reverse("restoretests:definition_edit", kwargs={"uuid": definition.uuid})
    form = client.get(edit).context["form"]
    data = {k: ("on" if v is True else "" if v in (None, False) else v)
            for k, v in form.initial.items()}
    data.update({"referent": str(lab.member.pk), "interval_days": "", "name": "à la demande",
                 "sample_percent": "12.5"})
    data = {k: v for k, v in data.items() if v != ""}
    response = client.post(edit, data)
    assert response.status_code == 302, response.context["form"].errors
    definition.refresh_from_db()
    assert (definition.name, definition.interval_days, definition.next_run_at) == (
        "à la demande", None, None)
    delete = reverse("restoretests:definition_delete", kwargs={"uuid": definition.uuid})
    assert client.get(delete).status_code == 200
    response = client.post(delete)
    assert response.status_code == 302
    assert not RestoreTestDefinition.objects.filter(pk=definition.pk).exists()


@pytest.mark.parametrize("persona,expected", [("owner", ["restic-nas"]), ("outsider", ["mat-restic"]),
                                              ("stranger", []),
                                              ("ght_admin", ["restic-nas", "mat-restic"])])
def test_without_a_copy_the_form_offers_the_copies_one_may_test(client, lab, persona, expected):
    client.force_login(getattr(lab, persona))
    response = client.get(reverse("restoretests:definition_create"))
    assert response.status_code == 200
    assert [c.name for c in response.context["copies"]] == expected
    page = text(response)
    assert ("LAB" in page) == ("restic-nas" in expected)
    assert "veeam" not in page


def test_a_viewer_gets_no_copy_chooser(client, lab):
    client.force_login(lab.member)
    assert client.get(reverse("restoretests:definition_create")).status_code == 403
    index = text(client.get(reverse("restoretests:index")))
    assert reverse("restoretests:definition_create") not in index


# --- Runs without a restore --------------------------------------------------------------------


def test_progress_json_shape(client, lab):
    running = running_run(lab.restic, definition=lab.definition)
    client.force_login(lab.member)
    response = client.get(reverse("restoretests:run_progress", kwargs={"uuid": running.uuid}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert set(data) == {"run", "status", "status_label", "finished", "cancel_requested",
                         "phase", "phase_label", "bytes_done", "bytes_total", "files_done",
                         "files_total", "fraction", "percent", "text", "note", "started_at",
                         "finished_at"}
    assert {k: data[k] for k in ("run", "status", "finished", "phase", "bytes_done",
                                 "bytes_total", "files_done", "files_total", "percent",
                                 "finished_at")} == {
        "run": str(running.uuid), "status": "running", "finished": False, "phase": "restoring",
        "bytes_done": 12000, "bytes_total": 36000, "files_done": 4, "files_total": FILES,
        "percent": 30, "finished_at": None}
    # the whole test's progress: restoring is 5 % to 80 % of the bar, a third of it is done
    assert abs(data["fraction"] - (0.05 + 0.75 / 3)) < 1e-9
    assert (data["status_label"], data["phase_label"]) == ("Running", "Restoring")
    assert data["text"] == "11.7\xa0KB of 35.2\xa0KB · 4 of 12 files"
    # Finished: 100 %, and the page stops polling (no progress section, no script).
    done = client.get(reverse("restoretests:run_progress", kwargs={"uuid": lab.run.uuid}))
    assert (done.json()["finished"], done.json()["percent"]) == (True, 100)


def test_a_running_run_polls_and_falls_back_without_javascript(client, lab):
    running = running_run(lab.restic, definition=lab.definition)
    client.force_login(lab.owner)
    page = text(client.get(reverse("restoretests:run_detail", kwargs={"uuid": running.uuid})))
    progress = reverse("restoretests:run_progress", kwargs={"uuid": running.uuid})
    assert f'data-progress-url="{progress}"' in page
    assert '<progress max="100" value="30"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "restoretests/progress.js" in page
    assert "<script>" not in page and "style=" not in page  # CSP: no inline code or style
    finished = text(client.get(reverse("restoretests:run_detail", kwargs={"uuid": lab.run.uuid})))
    assert "data-progress-url" not in finished and "progress.js" not in finished


def test_cancel_a_queued_then_a_running_run(client, lab):
    queued = services.run_request(copy=lab.restic, definition=lab.definition, enqueue=False)
    running = running_run(lab.restic, definition=lab.definition)
    client.force_login(lab.owner)
    cancel = reverse("restoretests:run_cancel", kwargs={"uuid": queued.uuid})
    assert client.get(cancel).status_code == 200
    assert client.post(cancel).status_code == 302
    queued.refresh_from_db()
    assert (queued.status, queued.errors) == (RunState.CANCELLED, ["Cancelled before it started."])
    assert client.post(reverse("restoretests:run_cancel",
                               kwargs={"uuid": running.uuid})).status_code == 302
    running.refresh_from_db()
    assert (running.status, running.cancel_requested) == (RunState.RUNNING, True)
    response = client.get(reverse("restoretests:run_progress", kwargs={"uuid": running.uuid}))
    assert response.json()["cancel_requested"] is True
    # A finished run: nothing to cancel.
    finished = reverse("restoretests:run_cancel", kwargs={"uuid": lab.run.uuid})
    page = text(client.get(finished))
    assert "This test is already finished." in page and "Cancel the test</button>" not in page
    assert client.post(finished).status_code == 302
    lab.run.refresh_from_db()
    assert lab.run.status == RunState.PASSED


def test_evidence_is_the_stored_json_and_its_digest(client, lab):
    client.force_login(lab.member)
    response = client.get(reverse("restoretests:run_evidence", kwargs={"uuid": lab.run.uuid}))
    assert response.status_code == 200
    assert response.content == lab.run.report_json.encode("utf-8")
    assert hashlib.sha256(response.content).hexdigest() == lab.run.report_sha256
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="restore-test-LAB-\d{8}-\d{4}-[0-9a-f]{8}\.json"',
                        response["Content-Disposition"])
    page = text(client.get(reverse("restoretests:run_detail", kwargs={"uuid": lab.run.uuid})))
    assert lab.run.report_sha256 in page
    # Not finished: no evidence yet.
    running = running_run(lab.restic)
    assert client.get(reverse("restoretests:run_evidence",
                              kwargs={"uuid": running.uuid})).status_code == 404
    assert client.get(reverse("restoretests:run_report",
                              kwargs={"uuid": running.uuid})).status_code == 404


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout


def test_report_pdf_carries_the_facts_and_the_evidence_digest(client, lab, tmp_path):
    client.force_login(lab.member)
    response = client.get(reverse("restoretests:run_report", kwargs={"uuid": lab.run.uuid}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    content = pdf_text(response.content, tmp_path)
    for expected in ("Restore test report", "LAB", "Laboratoire", "restic-nas", "ET-A1",
                     lab.run.report_sha256, "Page 1 / 2", "printed on", "mensuel",
                     "Awaiting the validation of member", "Files verified"):
        assert expected.lower() in content.lower(), expected


def test_failed_run_shows_its_errors(client, lab):
    failed = finished_run(lab.restic, definition=lab.definition, status="failed")
    client.force_login(lab.member)
    page = text(client.get(reverse("restoretests:run_detail", kwargs={"uuid": failed.uuid})))
    assert "pack 3f2a: ciphertext verification failed" in page
    assert 'class="error-code">damaged<' in page
    assert "Only a passed restore can be validated." in page


def test_a_probe_shows_its_command_exit_code_and_output(client, lab, tmp_path):
    probe = {"command": "sqlite3 {sandbox}/lab.db 'PRAGMA integrity_check'", "exit_code": 0,
             "stdout": "ok\n", "stderr": "", "duration_seconds": 0.4, "ok": True}
    run = finished_run(lab.restic, level=3, probe=probe,
                       overrides={"probe_command": probe["command"], "probe_expect": "^ok$"},
                       steps=[*result()["steps"], {"name": "probe", "ok": True,
                                                   "duration_seconds": 0.4, "detail": ""}])
    client.force_login(lab.member)
    page = text(client.get(reverse("restoretests:run_detail", kwargs={"uuid": run.uuid})))
    assert "Application probe" in page and "✓ as expected" in page
    assert "sqlite3 {sandbox}/lab.db 'PRAGMA integrity_check'" in page
    assert '<pre class="output">ok\n</pre>' in page
    assert "expected: ^ok$" in page
    pdf = client.get(reverse("restoretests:run_report", kwargs={"uuid": run.uuid}))
    content = pdf_text(pdf.content, tmp_path)
    assert "PRAGMA integrity_check" in content and "Exit code 0" in content


def test_run_now_without_a_password_says_why_and_queues_nothing(client, lab):
    from pcra.backups.models import BackupCopy

    BackupCopy.objects.filter(pk=lab.restic.pk).update(secret="")
    client.force_login(lab.owner)
    response = client.post(reverse("restoretests:definition_run",
                                   kwargs={"uuid": lab.definition.uuid}), follow=True)
    assert response.redirect_chain[-1][0] == reverse("restoretests:definition_detail",
                                                     kwargs={"uuid": lab.definition.uuid})
    assert "The copy restic-nas has no repository password in pcra." in text(response)
    assert RestoreTestRun.objects.filter(copy=lab.restic).count() == 1


def test_pages_speak_french_by_default(client, lab, settings):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(lab.owner)
    response = client.get(reverse("restoretests:run_detail", kwargs={"uuid": lab.run.uuid}))
    assert response["Content-Language"] == "fr"
    page = text(response)
    assert '<html lang="fr">' in page
    assert timezone.localtime(lab.run.requested_at).strftime("%d/%m/%Y") in page


# --- Agents ------------------------------------------------------------------------------------


def test_only_administrators_reach_the_agents(client, lab):
    agent, _token = services.agent_register(organization=lab.et_a1, name="zone-nord")
    revoke = reverse("restoretests:agent_revoke", kwargs={"uuid": agent.uuid})
    for persona, list_code, revoke_code in (("owner", 403, 403), ("member", 403, 403),
                                            ("outsider", 403, 404), ("stranger", 200, 404)):
        client.force_login(getattr(lab, persona))
        assert client.get(reverse("restoretests:agent_list")).status_code == list_code, persona
        assert client.get(reverse("restoretests:agent_create")).status_code == list_code, persona
        assert client.post(revoke).status_code == revoke_code, persona
    client.force_login(lab.stranger)
    assert "zone-nord" not in text(client.get(reverse("restoretests:agent_list")))
    agent.refresh_from_db()
    assert agent.revoked_at is None


def test_register_shows_the_token_once_then_revoke(client, lab):
    client.force_login(lab.ght_admin)
    response = client.post(reverse("restoretests:agent_create"), {
        "organization": str(lab.et_a1.uuid), "name": "zone-nord",
        "description": "Zone de sauvegarde, site Nord"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = re.search(r'<code class="token-value" id="token">([^<]+)</code>',
                      response.content.decode()).group(1)
    agent = Agent.objects.get(name="zone-nord")
    assert services.agent_from_token(token) == agent
    page = text(response)
    assert ("pcra agent --server http://testserver --token-file /etc/pcra/agent.token"
            in page)
    listing = text(client.get(reverse("restoretests:agent_list")))
    assert "zone-nord" in listing and "Zone de sauvegarde, site Nord" in listing
    assert token not in listing
    revoke = reverse("restoretests:agent_revoke", kwargs={"uuid": agent.uuid})
    assert "Revoke a restore-test agent" in text(client.get(revoke))
    assert client.post(revoke).status_code == 302
    agent.refresh_from_db()
    assert agent.revoked_at is not None and agent.revoked_by == lab.ght_admin
    assert services.agent_from_token(token) is None


# --- The backups asset page --------------------------------------------------------------------


def test_asset_page_shows_the_restore_tests_of_each_restic_copy(client, lab):
    client.force_login(lab.owner)
    response = client.get(reverse("backups:asset_detail", kwargs={"uuid": lab.asset.uuid}))
    page = text(response)
    assert f'id="restore-tests-{lab.restic.uuid}"' in page
    assert f'id="restore-tests-{lab.veeam.uuid}"' not in page
    assert reverse("restoretests:definition_detail", kwargs={"uuid": lab.definition.uuid}) in page
    assert reverse("restoretests:run_detail", kwargs={"uuid": lab.run.uuid}) in page
    assert reverse("restoretests:copy_run", kwargs={"uuid": lab.restic.uuid}) in page
    assert "restoretests/restoretests.css" in page


# --- Real runs on a real restic repository -----------------------------------------------------


def test_run_now_restores_the_real_repository_and_the_page_shows_it(client, lab, worker):
    client.force_login(lab.owner)
    with worker():
        response = client.post(reverse("restoretests:definition_run",
                                       kwargs={"uuid": lab.definition.uuid}))
    run = RestoreTestRun.objects.filter(copy=lab.restic).order_by("-pk").first()
    assert response.status_code == 302
    assert response["Location"] == reverse("restoretests:run_detail", kwargs={"uuid": run.uuid})
    assert (run.status, run.errors, run.requested_by) == (RunState.PASSED, [], lab.owner)
    assert run.files_verified >= FILES and run.bytes_restored >= FILES * 3000
    assert run.extrapolated_full_seconds is not None
    page = text(client.get(response["Location"]))
    assert "✓ Passed" in page
    assert f'<span class="figure-value">{run.files_verified}</span>' in page
    assert run.report_sha256 in page
    assert json.loads(run.report_json)["status"] == "passed"
    assert not any(Path(lab.restic.repository).parent.joinpath("sandbox").iterdir())


def test_ad_hoc_run_of_a_copy(client, lab, worker):
    client.force_login(lab.owner)
    url = reverse("restoretests:copy_run", kwargs={"uuid": lab.restic.uuid})
    assert client.get(url).status_code == 200
    with worker():
        response = client.post(url, {"level": "1"})
    run = RestoreTestRun.objects.filter(copy=lab.restic, definition=None).get()
    assert response.status_code == 302
    assert (run.level, run.status) == (1, RunState.PASSED)


def test_a_damaged_repository_fails_and_the_page_lists_the_errors(client, lab, worker):
    samples.flip_byte(max(samples.restic_pack_files(lab.repo), key=lambda p: p.stat().st_size))
    client.force_login(lab.owner)
    with worker():
        response = client.post(reverse("restoretests:definition_run",
                                       kwargs={"uuid": lab.definition.uuid}))
    run = RestoreTestRun.objects.filter(copy=lab.restic).order_by("-pk").first()
    assert run.status == RunState.FAILED
    assert run.error_code == "damaged" and run.errors
    page = text(client.get(response["Location"]))
    assert "✗ Failed" in page
    for error in run.errors:
        assert error in page
    assert 'name="decision"' not in page  # a failed restore is not validated
