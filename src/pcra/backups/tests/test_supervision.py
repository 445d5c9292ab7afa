"""Supervision: alerts opened, updated, resolved, escalated and mailed; the Nagios plugin's exit
codes and perfdata; the report command's JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from pcra.backups import supervision
from pcra.backups.models import Alert, BackupJob, Source, Verification
from pcra.backups.tests.helpers import asset, copy, healthy_asset, hours_ago
from pcra.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, english):
    """Alert messages are written in the installation's language: English here."""
    settings.LANGUAGE_CODE = "en"


def open_alerts():
    return {(a.data_asset.code, a.copy.name if a.copy else None, a.kind, a.severity)
            for a in Alert.objects.filter(resolved_at__isnull=True)}


def test_healthy_asset_raises_nothing(world):
    healthy_asset(world.et_a1, "DPI-DB")
    result = supervision.alerts_refresh()
    assert (result.opened, open_alerts()) == ([], set())


def test_each_condition_opens_its_alert(world):
    data = asset(world.et_a1, "PACS-DB")
    copy(data, "stale", point_hours=80, frequency_hours=24)  # 80 h > 1.5 × 24 h
    copy(data, "empty", media="bande", point_hours=None, verified_hours=None)
    copy(data, "corrupt", media="disque", verified_ok=False)
    failed = copy(data, "job", media="objet", verified_hours=None)
    BackupJob.objects.create(copy=failed, external_id="j1", ended_at=hours_ago(1),
                             status="failed", message="disk full", source=Source.INGEST)
    supervision.alerts_refresh()
    assert open_alerts() == {
        ("PACS-DB", "stale", "backup_missing", "warning"),
        ("PACS-DB", "empty", "backup_missing", "critical"),
        ("PACS-DB", "empty", "verification_overdue", "warning"),
        ("PACS-DB", "corrupt", "verification_failed", "critical"),
        ("PACS-DB", "job", "backup_failed", "critical"),
        ("PACS-DB", "job", "verification_overdue", "warning"),
        ("PACS-DB", None, "restore_overdue", "warning"),
    }
    job_alert = Alert.objects.get(kind="backup_failed")
    assert job_alert.message.endswith("failed: disk full")


def test_a_failed_restore_test_opens_a_critical_alert_until_one_passes(world):
    data = healthy_asset(world.et_a1, "SIL-DB")
    nas = data.copies.get(name="nas")
    Verification.objects.create(copy=nas, performed_at=hours_ago(1), kind="restauration",
                                result="echec", error_count=3, source=Source.RESTORE_TEST)
    supervision.alerts_refresh()
    assert open_alerts() == {("SIL-DB", "nas", "restore_failed", "critical"),
                             ("SIL-DB", "nas", "verification_failed", "critical")}
    alert = Alert.objects.get(kind="restore_failed")
    assert alert.message.startswith("nas: the restore test of ")
    Verification.objects.create(copy=nas, performed_at=hours_ago(0.5), kind="restauration",
                                result="ok", source=Source.RESTORE_TEST)
    supervision.alerts_refresh()
    assert open_alerts() == set()


def test_rpo_breach_against_the_pdma(world):
    from pcra.core.testing import make_edge, make_node

    activity = make_node(org=world.et_a1, node_type="activity", code="URG", pdma_hours=4)
    data = asset(world.et_a1, "URG-DB")
    make_edge(activity, data.node)
    copy(data, "nas", point_hours=10, frequency_hours=24)
    supervision.alerts_refresh()
    breach = Alert.objects.get(kind="rpo_breach")
    assert (breach.copy, breach.severity) == (None, "critical")
    assert breach.message == "achieved RPO 10 h, beyond the required 4 h"


def test_alert_resolves_when_the_condition_clears_and_is_not_duplicated(world):
    data = asset(world.et_a1, "LAB-DB")
    bad = copy(data, "nas", verified_ok=False)
    supervision.alerts_refresh()
    supervision.alerts_refresh()
    assert Alert.objects.filter(kind="verification_failed").count() == 1
    Verification.objects.create(copy=bad, performed_at=hours_ago(0.5), kind="integrite",
                                result="ok", source=Source.INGEST)
    result = supervision.alerts_refresh()
    alert = Alert.objects.get(kind="verification_failed")
    assert alert in result.resolved
    assert alert.resolved_at is not None and alert.resolution == "Condition cleared"


def test_acknowledge_resolve_and_reopen(world):
    data = asset(world.et_a1, "RH-DB")
    copy(data, "nas", verified_ok=False, restore_test_days=5)
    supervision.alerts_refresh()
    alert = Alert.objects.get(kind="verification_failed")
    supervision.alert_acknowledge(alert=alert, user=world.owner)
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.resolved_at) == (world.owner, None)
    supervision.alert_resolve(alert=alert, user=world.owner, resolution="repaired")
    alert.refresh_from_db()
    assert (alert.resolved_by, alert.resolution) == (world.owner, "repaired")
    # Still broken: the next pass opens a new alert rather than hiding the problem.
    supervision.alerts_refresh()
    assert Alert.objects.filter(kind="verification_failed", resolved_at__isnull=True).count() == 1
    kinds = list(AuditEntry.objects.filter(model="backups.alert")
                 .values_list("action", flat=True))
    assert kinds.count("create") == 2 and "update" in kinds


def test_escalation_after_n_days_and_mail(world, settings):
    settings.PCRA_ALERT_ESCALATION_DAYS = 3
    settings.PCRA_ALERT_EMAILS = ["soc@example.org"]
    world.owner.email = "rssi@example.org"
    world.owner.save()
    data = asset(world.et_a1, "PHARMA-DB")
    copy(data, "nas", verified_ok=False, restore_test_days=5)
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            supervision.alerts_refresh()
    assert sorted(m.to[0] for m in mail.outbox) == ["rssi@example.org", "soc@example.org"]
    assert "1 backup alert(s), 1 critical" in mail.outbox[0].subject
    assert "PHARMA-DB" in mail.outbox[0].body
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=3, minutes=1)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        result = supervision.alerts_refresh(now=later)
    assert [a.kind for a in result.escalated] == ["verification_failed"]
    assert Alert.objects.get(kind="verification_failed").escalated_at == later
    assert len(mail.outbox) == 2 and "Unresolved for 3 days" in mail.outbox[0].body
    # Escalated once only.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert supervision.alerts_refresh(now=later + dt.timedelta(hours=1)).escalated == []


def test_outsider_gets_no_mail_about_another_establishment(world):
    world.outsider.email = "other@example.org"
    world.outsider.save()
    data = asset(world.et_a1, "SECRET-DB")
    copy(data, "nas", verified_ok=False)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        supervision.alerts_refresh()
    assert all("other@example.org" not in m.to for m in mail.outbox)


# --- The Nagios / Centreon plugin --------------------------------------------------------------


def plugin(*args):
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_backups", *args, stdout=out)
    return exit_info.value.code, out.getvalue().strip()


def perfdata(line):
    return dict(re.findall(r"(\w+)=([0-9]+)s?;;;0", line.split(" | ", 1)[1]))


def test_plugin_unknown_without_copies_or_with_a_wrong_organization(world):
    assert plugin() == (3, "BACKUPS UNKNOWN - no backup copy to check")
    code, line = plugin("--organization", "NOPE")
    assert (code, line) == (3, "BACKUPS UNKNOWN - Unknown organization: NOPE.")


def test_plugin_ok_warning_critical(world):
    healthy_asset(world.et_a1, "DPI-DB")
    code, line = plugin()
    assert code == 0 and line.startswith("BACKUPS OK - 0 critical, 0 warning on 1 data assets |")
    assert perfdata(line) == {"assets": "1", "copies": "2", "critical": "0", "warning": "0",
                              "rule_ok": "1", "rpo_breach": "0", "oldest_point_age": "7200"}
    stale = asset(world.et_a2, "LAB-DB")
    copy(stale, "nas", point_hours=50, restore_test_days=5)
    code, line = plugin()
    assert code == 1 and line.startswith("BACKUPS WARNING - 0 critical, 1 warning")
    assert "LAB-DB: nas: newest restore point 50 h old" in line
    # Scoped to ET-A1 only, the warning of ET-A2 is not seen.
    assert plugin("--organization", "ET-A1")[0] == 0
    broken = asset(world.et_a2, "RAD-DB")
    copy(broken, "nas", verified_ok=False, restore_test_days=5)
    code, line = plugin()
    assert code == 2 and line.startswith("BACKUPS CRITICAL - 1 critical, 1 warning on 3")
    assert perfdata(line)["critical"] == "1"


# --- report_backups --json ---------------------------------------------------------------------


def test_report_json_shape(world):
    healthy_asset(world.et_a1, "DPI-DB")
    out = StringIO()
    call_command("report_backups", "--json", stdout=out)
    data = json.loads(out.getvalue())
    [row] = data["data_assets"]
    assert row["code"] == "DPI-DB"
    assert set(row["digits"]) == {"three", "two", "one_offsite", "one_offline", "zero"}
    assert all(d["ok"] is True and d["reason"] for d in row["digits"].values())
    assert row["achieved_rpo_hours"].keys() == {"nominal", "ransomware", "site:SITE-A",
                                                "site:SITE-B"}
    assert row["achieved_rpo_hours"]["ransomware"] == pytest.approx(2.0, abs=0.01)
    assert row["achieved_rpo_hours"]["site:SITE-B"] == pytest.approx(2.0, abs=0.01)
    assert row["required_rpo_hours"] is None


def test_a_failed_job_does_not_count_and_a_successful_one_is_no_verification(world):
    """The acceptance's table case, through the database: ingested jobs, no restore point."""
    data = asset(world.et_a1, "JOB-DB")
    copy(data, "nas", media="nas", site="SITE-A", restore_test_days=5)
    failed = copy(data, "tape", media="bande", site="SITE-B", offline=True, point_hours=None,
                  verified_hours=None)
    BackupJob.objects.create(copy=failed, external_id="f1", ended_at=hours_ago(3),
                             status="failed", source=Source.INGEST)
    [report] = __import__("pcra.backups.selectors", fromlist=["x"]).asset_reports([data])
    assert tuple(v.ok for v in report.digits.as_dict().values()) == (
        False, False, False, False, False)
    # Its next job succeeds and leaves a restore point: it counts, but is still not verified.
    from pcra.backups.models import RestorePoint

    BackupJob.objects.create(copy=failed, external_id="s1", ended_at=hours_ago(1),
                             status="success", source=Source.INGEST)
    RestorePoint.objects.create(copy=failed, external_id="p1", taken_at=hours_ago(1),
                                source=Source.INGEST)
    [report] = __import__("pcra.backups.selectors", fromlist=["x"]).asset_reports([data])
    assert tuple(v.ok for v in report.digits.as_dict().values()) == (
        True, True, True, True, False)
    assert report.digits.zero.render() == "tape: never verified"


def test_asset_without_copy_is_critical(world):
    asset(world.et_a1, "NAKED-DB")
    supervision.alerts_refresh()
    assert open_alerts() == {("NAKED-DB", None, "backup_missing", "critical")}
    code, line = plugin()
    assert code == 2 and "NAKED-DB: no backup copy is declared for this data" in line


def test_nagios_output_never_carries_a_second_pipe(world):
    data = asset(world.et_a1, "PIPE-DB")
    made = copy(data, "nas")
    BackupJob.objects.create(copy=made, external_id="j", ended_at=hours_ago(0.5), status="failed",
                             message="disk full | perf=1\nnext", source=Source.INGEST)
    code, line = plugin()
    assert code == 2 and line.count("|") == 1 and "\n" not in line
    assert "disk full / perf=1 next" in line


def test_resolving_by_hand_a_condition_that_holds_keeps_its_age_and_escalates(world, settings):
    settings.PCRA_ALERT_ESCALATION_DAYS = 2
    data = asset(world.et_a1, "HAND-DB")
    copy(data, "nas", verified_ok=False, restore_test_days=5)
    supervision.alerts_refresh()
    first = Alert.objects.get(kind="verification_failed")
    supervision.alert_resolve(alert=first, user=world.owner)
    later = timezone.now() + dt.timedelta(days=2, hours=1)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        result = supervision.alerts_refresh(now=later)
    reopened = Alert.objects.get(kind="verification_failed", resolved_at__isnull=True)
    assert reopened.opened_at == first.opened_at
    assert reopened not in result.opened  # not mailed again as new…
    assert [a.pk for a in result.escalated] == [reopened.pk]  # …but escalated on time


def test_many_copies_with_jobs_in_one_report(world):
    """SQLite limits the depth of an expression: the latest job per copy is one subquery."""
    from pcra.backups import selectors
    from pcra.backups.models import BackupCopy, DataAsset

    data = DataAsset.objects.get(pk=asset(world.et_a1, "BIG-DB").pk)
    copies = BackupCopy.objects.bulk_create(
        BackupCopy(data_asset=data, name=f"c{i}", engine="veeam", media="nas")
        for i in range(1100))
    BackupJob.objects.bulk_create(
        BackupJob(copy=c, external_id="j", ended_at=hours_ago(1),
                  status="failed" if i % 2 else "success", source=Source.INGEST)
        for i, c in enumerate(copies))
    [report] = selectors.asset_reports([data])
    assert len(report.copies) == 1100
    assert sum(1 for c in report.copies if c.last_job.status == "failed") == 550
