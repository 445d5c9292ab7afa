"""The restore-test services without the engines: definitions and their rules, what a run may be
asked, how a result (from the worker or an agent) is recorded as evidence and feeds the "0" and
the measured restore durations, expiry of a silent executor, the referent's sign-off.

Results here are what the runner or an agent would send; the runner itself is tested on real
repositories in test_runner.py, and the whole chain in test_run.py and test_agent.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pcra.backups import selectors as backup_selectors
from pcra.backups import services as backup_services
from pcra.backups.models import Verification
from pcra.backups.tests.helpers import asset
from pcra.core.testing import make_edge, make_node, make_user
from pcra.restoretests import services
from pcra.restoretests.models import RestoreTestRun, RunState


@pytest.fixture(autouse=True)
def _english(settings, english):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def restic_copy(world):
    data = asset(world.et_a1, "DPI-DB", restore_hours_estimate=6)
    copy = backup_services.copy_create(data_asset=data, name="restic", engine="restic",
                                       repository="/srv/backup/dpi", media="disque")
    backup_services.copy_set_secret(copy=copy, password="correct horse battery staple")
    return copy


def passed(**extra) -> dict:
    result = {
        "status": "passed", "errors": [], "error_code": "", "level": 2, "scope": "full",
        "snapshot_id": "a" * 64, "snapshot_time": "2026-11-22T03:00:00+00:00",
        "snapshot_bytes": 7_200_000_000, "snapshot_files": 1200, "bytes_restored": 7_200_000_000,
        "files_restored": 1200, "files_verified": 1200, "duration_seconds": 1900.0,
        "restore_seconds": 1800.0, "throughput_bytes_per_second": 4_000_000.0,
        "extrapolated_full_seconds": 1800.0, "probe": None,
        "steps": [{"name": name, "ok": True, "duration_seconds": 1.0, "detail": name}
                  for name in ("check", "listing", "space", "restore", "verify")],
        "sandbox_removed": True, "engine_version": "restic 0.14.0",
    }
    result.update(extra)
    return result


def failed(code="damaged", errors=("pack 3f2a…: ciphertext verification failed",), **extra):
    return passed(status="failed", error_code=code, errors=list(errors), files_verified=1100,
                  steps=[{"name": "restore", "ok": False, "duration_seconds": 12.0,
                          "detail": "restic restore reported errors"}], **extra)


def started(copy, **kw) -> RestoreTestRun:
    run = services.run_request(copy=copy, enqueue=False, **kw)
    assert services.run_start(run)
    return run


def test_definition_rules_name_each_field(world, restic_copy):
    with pytest.raises(ValidationError) as exc:
        services.definition_create(copy=restic_copy, name="t", level=3, scope="sample",
                                   probe_expect="([", functional_signoff=True)
    errors = exc.value.message_dict
    assert set(errors) == {"sample_files", "probe_command", "probe_expect", "referent"}
    with pytest.raises(ValidationError) as exc:
        services.definition_create(copy=restic_copy, name="t", scope="sample", sample_files=5,
                                   sample_percent=10)
    assert "sample_percent" in exc.value.message_dict
    # A referent must be able to see the establishment.
    with pytest.raises(ValidationError) as exc:
        services.definition_create(copy=restic_copy, name="t", functional_signoff=True,
                                   referent=world.outsider)
    assert exc.value.message_dict["referent"] == [
        "outsider has no access to this establishment in pcra."]
    ok = services.definition_create(copy=restic_copy, name="monthly", interval_days=30,
                                    functional_signoff=True, referent=world.member)
    assert ok.next_run_at is not None


def test_only_restic_and_borg_copies_are_tested_and_a_password_is_needed(world, restic_copy):
    veeam = backup_services.copy_create(data_asset=restic_copy.data_asset, name="veeam",
                                        engine="veeam", media="nas")
    with pytest.raises(ValidationError) as exc:
        services.run_request(copy=veeam)
    assert "restore tests of Veeam copies are recorded as evidence" in exc.value.messages[0]
    bare = backup_services.copy_create(data_asset=restic_copy.data_asset, name="bare",
                                       engine="borg", repository="/srv/borg", media="nas")
    with pytest.raises(ValidationError) as exc:
        services.run_request(copy=bare)
    assert exc.value.messages == ["The copy bare has no repository password in pcra."]
    with pytest.raises(ValidationError) as exc:
        services.run_request(copy=restic_copy, level=3)
    assert exc.value.messages == ["Level 3 runs a probe: give its command."]
    assert RestoreTestRun.objects.count() == 0


def test_an_agent_only_serves_its_own_establishment(world, restic_copy):
    mine, _token = services.agent_register(organization=world.et_a1, name="zone-A1")
    ght, _token = services.agent_register(organization=world.ght_a, name="zone-GHT")
    other, _token = services.agent_register(organization=world.et_a2, name="zone-A2")
    assert services.agent_serves(mine, restic_copy) and services.agent_serves(ght, restic_copy)
    assert not services.agent_serves(other, restic_copy)
    with pytest.raises(ValidationError) as exc:
        services.definition_create(copy=restic_copy, name="t", agent=other)
    assert exc.value.message_dict["agent"] == ["The agent zone-A2 does not serve this "
                                               "establishment."]


def test_a_passed_full_test_is_evidence_and_completes_the_zero(world, restic_copy):
    run = started(restic_copy)
    run = services.run_finish(run, passed())
    assert (run.status, run.files_verified, run.extrapolated_full_seconds) == ("passed", 1200,
                                                                              1800.0)
    # The evidence is canonical JSON and its digest; it never holds the password.
    assert hashlib.sha256(run.report_json.encode()).hexdigest() == run.report_sha256
    report = json.loads(run.report_json)
    assert report["asset"]["code"] == "DPI-DB" and report["status"] == "passed"
    assert report["measurements"]["files_verified"] == 1200
    assert "correct horse" not in run.report_json
    verification = Verification.objects.get(restore_run=run)
    assert (verification.kind, verification.result, verification.source) == (
        "restauration", "ok", "restore_test")


def test_a_damaged_restore_fails_the_zero_and_is_never_a_pass(world, restic_copy):
    Verification.objects.create(copy=restic_copy, performed_at=timezone.now(), kind="integrite",
                                result="ok", source="engine")
    good = services.run_finish(started(restic_copy), passed())
    assert good.status == "passed"
    run = services.run_finish(started(restic_copy), failed())
    assert (run.status, run.error_code) == ("failed", "damaged")
    assert Verification.objects.get(restore_run=run).result == "echec"
    [report] = backup_selectors.asset_reports([restic_copy.data_asset])
    assert report.digits.zero.ok is False
    assert "the restore test of" in report.digits.zero.render()


def test_a_test_that_could_not_read_the_backup_says_nothing_of_the_data(world, restic_copy):
    run = services.run_finish(started(restic_copy), failed(
        code="wrong_password", errors=["restic restore failed: wrong password"]))
    assert run.status == "failed" and run.verification is None


@pytest.mark.parametrize(("asked", "sent", "why"), [
    ({"level": 3, "probe_command": "true"}, passed(), "level 2 full test, but a level 3"),
    ({}, passed(level=1, steps=[{"name": "check", "ok": True}]), "level 1 full test"),
    ({}, passed(steps=[{"name": "restore", "ok": True}]), "lacks the step(s) check, listing"),
    ({}, passed(files_verified=3, steps=[{"name": n, "ok": True} for n in
                                         ("check", "listing", "space", "restore", "verify")]),
     "3 file(s) verified of the 1200"),
    ({}, passed(files_verified=0, snapshot_files=0, steps=[
        {"name": n, "ok": True} for n in ("check", "listing", "space", "restore", "verify")]),
     "verified no file"),
])
def test_a_pass_must_be_the_test_that_was_asked_for(world, restic_copy, asked, sent, why):
    """An agent (or an older runner) cannot pass a weaker test off as the one requested."""
    run = services.run_finish(started(restic_copy, **asked), sent)
    assert (run.status, run.error_code) == ("failed", "bad_result")
    assert why in run.errors[0] and run.verification is None


def test_level_1_damage_marks_the_copy_unverified(world, restic_copy):
    Verification.objects.create(copy=restic_copy, performed_at=timezone.now(),
                                kind="integrite", result="ok", source="engine")
    run = services.run_finish(started(restic_copy, level=1), failed(
        level=1, errors=["pack 3f2a: does not exist"]))
    assert run.verification.kind == "integrite" and run.verification.result == "echec"
    [report] = backup_selectors.asset_reports([restic_copy.data_asset])
    assert report.copies[0].verification.verified is False


def test_a_test_that_could_not_run_raises_a_warning_on_the_copy(world, restic_copy):
    from pcra.backups import supervision
    from pcra.backups.models import Alert

    services.run_finish(started(restic_copy), failed(
        code="wrong_password", errors=["restic restore failed: wrong password"]))
    supervision.alerts_refresh()
    alert = Alert.objects.get(kind="restore_failed", resolved_at__isnull=True)
    assert alert.severity == "warning" and "could not run" in alert.message
    services.run_finish(started(restic_copy), passed())
    supervision.alerts_refresh()
    assert not Alert.objects.filter(kind="restore_failed", resolved_at__isnull=True).exists()


@pytest.mark.parametrize("garbage", [
    None, [], "passed", {"status": "ok"},
    {**passed(), "errors": ["but something broke"]},
    {**passed(), "steps": [{"name": "restore", "ok": False}]},
    {**passed(), "files_verified": -1},
    {**passed(), "bytes_restored": "12"},
    {**passed(), "duration_seconds": float("nan")},
    {**passed(), "snapshot_time": "yesterday"},
    {**passed(), "error_code": "rm -rf"},
    {**failed(), "errors": []},
])
def test_a_result_that_does_not_hold_together_fails_the_run(world, restic_copy, garbage):
    run = services.run_finish(started(restic_copy), garbage)
    assert (run.status, run.error_code) == ("failed", "bad_result")
    assert run.errors[0].startswith("The result sent for this test could not be read")
    assert run.report_sha256 and run.verification is None


def test_the_first_outcome_stands(world, restic_copy):
    run = started(restic_copy)
    services.run_fail(run, "agent_lost", "lost")
    run = services.run_finish(run, passed())
    assert run.status == "failed" and run.error_code == "agent_lost"


def test_cancel_a_queued_run_at_once_and_a_running_one_by_request(world, restic_copy):
    queued = services.run_request(copy=restic_copy, enqueue=False)
    queued = services.run_cancel(queued)
    assert (queued.status, queued.report_sha256 != "") == ("cancelled", True)
    running = started(restic_copy)
    assert services.run_progress(running, {"phase": "restoring", "bytes_done": 10,
                                           "bytes_total": 100}) is False
    services.run_cancel(running)
    assert services.run_progress(running, {"phase": "restoring", "bytes_done": 20,
                                           "bytes_total": 100}) is True
    with pytest.raises(ValueError):
        services.run_progress(running, {"phase": "sleeping"})


def test_a_silent_executor_fails_its_run(world, restic_copy, settings):
    settings.PCRA_RESTORE_LEASE_SECONDS = 60
    run = started(restic_copy)
    assert services.runs_expire(timezone.now() + dt.timedelta(seconds=30)) == 0
    later = timezone.now() + dt.timedelta(seconds=90)
    # A run that reported again just before being failed keeps running.
    services.run_progress(run, {"phase": "restoring"}, now=later)
    services.runs_expire(later)
    run.refresh_from_db()
    assert run.status == "running"
    assert services.runs_expire(later + dt.timedelta(seconds=90)) == 1
    run.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "agent_lost")
    assert run.errors[0].startswith("the pcra worker stopped reporting during the test")


def test_schedule_queues_due_definitions_once(world, restic_copy):
    definition = services.definition_create(copy=restic_copy, name="weekly", interval_days=7)
    now = timezone.now() + dt.timedelta(seconds=1)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=False):
        assert services.schedule_due(now) == 1
        assert services.schedule_due(now) == 0
    definition.refresh_from_db()
    assert abs(definition.next_run_at - (now + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    assert RestoreTestRun.objects.filter(definition=definition, status="queued").count() == 1
    # "Run now" starts a new period too: the scheduler does not run it again at once.
    other = services.definition_create(copy=restic_copy, name="monthly", interval_days=30)
    services.run_request(copy=restic_copy, definition=other, enqueue=False)
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.schedule_due(timezone.now() + dt.timedelta(days=29))
    assert other.runs.count() == 1
    # Names are unique per copy, and the service says so (not the database).
    with pytest.raises(ValidationError) as exc:
        services.definition_create(copy=restic_copy, name="monthly")
    assert exc.value.message_dict["name"] == [
        "This copy already has a restore test with this name."]


def test_signoff_by_the_named_referent_only_and_a_refusal_fails_the_zero(world, restic_copy):
    definition = services.definition_create(copy=restic_copy, name="functional",
                                            functional_signoff=True, referent=world.member)
    run = services.run_finish(started(restic_copy, definition=definition), passed())
    with pytest.raises(ValidationError) as exc:
        services.signoff_record(run=run, user=world.owner, decision="validated")
    assert "Only the business referent named for this test (member)" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.signoff_record(run=run, user=world.member, decision="refused", comment=" ")
    services.signoff_record(run=run, user=world.member, decision="refused",
                            comment="Les comptes rendus ne s'ouvrent pas")
    [report] = backup_selectors.asset_reports([restic_copy.data_asset])
    assert report.digits.zero.ok is False
    with pytest.raises(ValidationError):
        services.signoff_record(run=run, user=world.member, decision="validated")


def test_measured_duration_feeds_readiness(world, restic_copy):
    from pcra.impact.selectors import readiness_of_top, restore_durations

    node = restic_copy.data_asset.node
    activity = make_node(org=world.et_a1, node_type="activity", code="URG", dmia_hours=4)
    make_edge(activity, node)
    assert restore_durations([node])[node.pk].source == "declared"
    services.run_finish(started(restic_copy), passed(extrapolated_full_seconds=5400.0))
    duration = restore_durations([node])[node.pk]
    assert (duration.hours, duration.source) == (1.5, "measured")
    # A later failed test does not erase the measurement; a sample is extrapolated.
    services.run_finish(started(restic_copy), failed())
    assert restore_durations([node])[node.pk].hours == 1.5
    # A sample's time extrapolated to the whole snapshot counts the same way.
    sample = services.definition_create(copy=restic_copy, name="sample", scope="sample",
                                        sample_percent=10)
    services.run_finish(started(restic_copy, definition=sample),
                        passed(scope="sample", files_verified=120,
                               extrapolated_full_seconds=7200.0))
    assert restore_durations([node])[node.pk].hours == 2.0
    readiness = readiness_of_top(top_id=node.top_id)
    achieved = readiness.result.achieved[node.pk]
    assert (achieved.rto_hours, achieved.source) == (2.0, "measured")
    assert readiness.result.achieved[activity.pk].rto_hours == 2.0


def test_agent_tokens_are_hashed_and_revocation_cancels_queued_runs(world, restic_copy):
    agent, token = services.agent_register(organization=world.et_a1, name="zone")
    assert token.startswith("pcra_agent_") and token not in agent.token_hash
    assert services.agent_from_token(token) == agent
    assert services.agent_from_token(token + "x") is None
    definition = services.definition_create(copy=restic_copy, name="remote", agent=agent)
    run = services.run_request(copy=restic_copy, definition=definition)
    assert services.agent_claim(agent).pk == run.pk
    assert services.agent_claim(agent) is None  # already running
    queued = services.run_request(copy=restic_copy, definition=definition)
    services.agent_revoke(agent=agent, user=world.ght_admin)
    assert services.agent_from_token(token) is None
    queued.refresh_from_db()
    assert queued.status == RunState.CANCELLED


def test_viewer_referent_needs_access(world, restic_copy):
    lone = make_user("lone")
    with pytest.raises(ValidationError):
        services.definition_create(copy=restic_copy, name="t", referent=lone)
