"""Supervision (CaRE O3.d): alerts opened and resolved from the asset reports, escalated when
left unresolved, sent by e-mail; acknowledged and resolved by people.

Conditions, per supervised copy: the last engine run failed (``collection_failed``), the last
ingested job failed (``backup_failed``), no restore point newer than 1.5 × the copy's frequency
(default 24 h) (``backup_missing``), a verification found errors (``verification_failed``), the
data not all read within the window (``verification_overdue``); per asset: the achieved RPO
beyond the required PDMA (``rpo_breach``). An alert whose condition clears is resolved
automatically; one left open for ``PCRA_ALERT_ESCALATION_DAYS`` is escalated (marked, and sent
again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pcra.backups import rules, selectors
from pcra.backups.display import duration_text
from pcra.backups.models import (
    Alert,
    AlertKind,
    BackupCopy,
    CollectionRun,
    DataAsset,
    JobStatus,
    RunStatus,
    Severity,
)

DEFAULT_FREQUENCY_HOURS = 24.0
MISSING_FACTOR = 1.5


@dataclass(frozen=True)
class Condition:
    copy_id: int | None
    kind: str
    severity: str
    message: str


def last_runs(copy_ids: list[int]) -> dict[int, list[CollectionRun]]:
    """The latest finished collection run and verification run of each copy (one query)."""
    newest = (CollectionRun.objects.filter(copy_id=OuterRef("copy_id"), kind=OuterRef("kind"))
              .exclude(status=RunStatus.RUNNING).order_by("-started_at", "-pk").values("pk")[:1])
    result: dict[int, list[CollectionRun]] = {}
    for run in (CollectionRun.objects.filter(copy_id__in=copy_ids, pk=Subquery(newest))
                .order_by("kind")):
        result.setdefault(run.copy_id, []).append(run)
    return result


def conditions_of(report: selectors.AssetReport, runs: dict[int, list[CollectionRun]],
                  now: dt.datetime) -> list[Condition]:
    """What is wrong with one asset right now."""
    found: list[Condition] = []
    if not report.copies:
        found.append(Condition(None, AlertKind.BACKUP_MISSING, Severity.CRITICAL,
                               _("no backup copy is declared for this data")))
    for copy_report in report.copies:
        copy = copy_report.copy
        if not copy.supervised:
            continue
        failed = [run for run in runs.get(copy.pk, []) if run.status == RunStatus.FAILED]
        if failed:
            found.append(Condition(copy.pk, AlertKind.COLLECTION_FAILED, Severity.CRITICAL,
                                   "; ".join(
                                       _("%(copy)s: the repository could not be read "
                                         "(%(label)s): %(error)s")
                                       % {"copy": copy.name, "label": run.error_label,
                                          "error": run.error} for run in failed)))
        job = copy_report.last_job
        if job is not None and job.status == JobStatus.FAILED:
            found.append(Condition(copy.pk, AlertKind.BACKUP_FAILED, Severity.CRITICAL,
                                   _("%(copy)s: the backup job of %(when)s failed%(message)s")
                                   % {"copy": copy.name,
                                      "when": timezone.localtime(job.ended_at)
                                      .strftime("%Y-%m-%d %H:%M"),
                                      "message": f": {job.message}" if job.message else ""}))
        expected = float(copy.frequency_hours or DEFAULT_FREQUENCY_HOURS) * MISSING_FACTOR
        age = copy_report.newest_point_age_hours
        if age is None:
            found.append(Condition(copy.pk, AlertKind.BACKUP_MISSING, Severity.CRITICAL,
                                   _("%(copy)s: no restore point at all")
                                   % {"copy": copy.name}))
        elif age > expected:
            found.append(Condition(copy.pk, AlertKind.BACKUP_MISSING, Severity.WARNING,
                                   _("%(copy)s: newest restore point %(age)s old (expected "
                                     "within %(expected)s)")
                                   % {"copy": copy.name, "age": duration_text(age),
                                      "expected": duration_text(expected)}))
        state = copy_report.verification
        if state.failed_slices:
            found.append(Condition(copy.pk, AlertKind.VERIFICATION_FAILED, Severity.CRITICAL,
                                   state.reason.render(_)))
        elif not state.verified:
            found.append(Condition(copy.pk, AlertKind.VERIFICATION_OVERDUE, Severity.WARNING,
                                   state.reason.render(_)))
    policy = selectors.policy()
    start = now - dt.timedelta(days=policy.restore_test_window_days)
    passed_any = False
    for copy_report in report.copies:
        tests = [v for v in copy_report.facts.verifications
                 if v.kind == rules.RESTORE and start <= v.performed_at <= now]
        latest = max(tests, key=lambda v: v.performed_at, default=None)
        passed_any = passed_any or any(v.ok for v in tests)
        if latest is not None and not latest.ok and copy_report.copy.supervised:
            found.append(Condition(copy_report.copy.pk, AlertKind.RESTORE_TEST_FAILED,
                                   Severity.CRITICAL,
                                   _("%(copy)s: the restore test of %(when)s failed")
                                   % {"copy": copy_report.copy.name,
                                      "when": timezone.localtime(latest.performed_at)
                                      .strftime("%Y-%m-%d %H:%M")}))
    if report.copies and not passed_any:
        found.append(Condition(None, AlertKind.RESTORE_TEST_OVERDUE, Severity.WARNING,
                               _("no restore test passed within %(days)s days")
                               % {"days": policy.restore_test_window_days}))
    if report.required_rpo_hours is not None and report.rpo_ok is False:
        achieved = report.nominal_rpo_hours
        found.append(Condition(None, AlertKind.RPO_BREACH, Severity.CRITICAL, (
            _("achieved RPO %(achieved)s, beyond the required %(required)s")
            % {"achieved": duration_text(achieved), "required": duration_text(report.required_rpo_hours)})
            if achieved is not None else
            _("no verified restore point, the required RPO is %(required)s")
            % {"required": duration_text(report.required_rpo_hours)}))
    return found


def latest_restore_runs(copy_ids: list[int]) -> dict:
    """The latest finished (passed or failed) restore test of each copy (two queries)."""
    from pcra.restoretests.models import RestoreTestRun, RunState

    finished = (RunState.PASSED, RunState.FAILED)
    latest = (RestoreTestRun.objects.filter(copy=OuterRef("pk"), status__in=finished)
              .order_by("-finished_at", "-pk").values("pk")[:1])
    ids = [pk for pk in BackupCopy.objects.filter(pk__in=copy_ids)
           .annotate(latest=Subquery(latest)).values_list("latest", flat=True) if pk]
    return {run.copy_id: run for run in RestoreTestRun.objects.filter(pk__in=ids).only(
        "copy_id", "finished_at", "status", "error_code", "errors")}


def restore_run_conditions(report: selectors.AssetReport, latest_tests: dict) -> list[Condition]:
    """A copy whose latest restore test could not run at all (wrong password, no space in the
    sandbox, executor lost…) records no verification, but must not fail in silence: a warning
    until a test of that copy finishes again."""
    from pcra.restoretests.models import RunState
    from pcra.restoretests.services import NOT_ABOUT_THE_DATA

    found = []
    for copy_report in report.copies:
        copy = copy_report.copy
        latest = latest_tests.get(copy.pk)
        if not copy.supervised or latest is None or latest.status != RunState.FAILED \
                or latest.error_code not in NOT_ABOUT_THE_DATA:
            continue
        found.append(Condition(copy.pk, AlertKind.RESTORE_TEST_FAILED, Severity.WARNING,
                               _("%(copy)s: the restore test of %(when)s could not run: "
                                 "%(error)s")
                               % {"copy": copy.name,
                                  "when": timezone.localtime(latest.finished_at)
                                  .strftime("%Y-%m-%d %H:%M"),
                                  "error": (latest.errors or [latest.error_code])[0]}))
    return found


@dataclass
class RefreshResult:
    opened: list[Alert]
    resolved: list[Alert]
    escalated: list[Alert]


def alerts_refresh(*, assets=None, now: dt.datetime | None = None,
                   notify: bool = True) -> RefreshResult:
    """Open, update, resolve and escalate the alerts of ``assets`` (default: every asset)."""
    now = now or timezone.now()
    if assets is None:
        assets = DataAsset.objects.select_related("node")
    assets = list(assets)
    reports = selectors.asset_reports(assets, now=now)
    copy_ids = [c.copy.pk for r in reports for c in r.copies]
    with override(settings.LANGUAGE_CODE):
        runs = last_runs(copy_ids)
        wanted = {(r.asset.pk, c.copy_id, c.kind): c for r in reports
                  for c in conditions_of(r, runs, now)}
        latest_tests = latest_restore_runs(copy_ids)
        for report in reports:
            for condition in restore_run_conditions(report, latest_tests):
                wanted.setdefault((report.asset.pk, condition.copy_id, condition.kind),
                                  condition)
    result = RefreshResult([], [], [])
    escalation = dt.timedelta(days=settings.PCRA_ALERT_ESCALATION_DAYS)
    with transaction.atomic():
        open_alerts = {(a.data_asset_id, a.copy_id, a.kind): a for a in
                       Alert.objects.select_for_update().filter(
                           data_asset_id__in=[a.pk for a in assets], resolved_at__isnull=True)}
        for key, alert in open_alerts.items():
            condition = wanted.get(key)
            if condition is None:
                alert.resolved_at = now
                alert.resolution = _("Condition cleared")
                alert.save()
                result.resolved.append(alert)
                continue
            changed = False
            if alert.message != condition.message or alert.severity != condition.severity:
                alert.message, alert.severity = condition.message, condition.severity
                changed = True
            alert.last_seen_at = now
            if alert.escalated_at is None and now - alert.opened_at >= escalation:
                alert.escalated_at = now
                result.escalated.append(alert)
                changed = True
            if changed:
                alert.save()
            else:
                Alert.objects.filter(pk=alert.pk).update(last_seen_at=now)
        assets_by_id = {a.pk: a for a in assets}
        for key, condition in wanted.items():
            if key in open_alerts:
                continue
            # Resolved by hand while the condition still held: the same problem goes on, with
            # its first opening date (so it still escalates) and without a new e-mail.
            previous = (Alert.objects.filter(data_asset_id=key[0], copy_id=key[1], kind=key[2])
                        .order_by("-opened_at", "-pk").first())
            carried = previous is not None and previous.resolved_by_id is not None
            alert = Alert.objects.create(
                data_asset=assets_by_id[key[0]], copy_id=condition.copy_id, kind=condition.kind,
                severity=condition.severity, message=condition.message,
                opened_at=previous.opened_at if carried else now, last_seen_at=now,
                escalated_at=previous.escalated_at if carried else None,
                notified_at=previous.notified_at if carried else None)
            if not carried:
                result.opened.append(alert)
            elif alert.escalated_at is None and now - alert.opened_at >= escalation:
                alert.escalated_at = now
                alert.save()
                result.escalated.append(alert)
    if notify and (result.opened or result.escalated):
        transaction.on_commit(lambda: notify_alerts(opened=result.opened,
                                                    escalated=result.escalated))
    return result


def _recipients(alert: Alert) -> set[str]:
    from pcra.accounts.models import WRITE_ROLES, Membership

    node = alert.data_asset.node
    org = node.organization
    chain = {node.top_id}
    while org is not None:
        chain.add(org.pk)
        org = org.parent
    emails = set(Membership.objects.filter(organization_id__in=chain, role__in=WRITE_ROLES,
                                           user__is_active=True)
                 .exclude(user__email="").values_list("user__email", flat=True))
    return emails | set(settings.PCRA_ALERT_EMAILS)


def notify_alerts(*, opened: list[Alert], escalated: list[Alert]) -> int:
    """One e-mail per recipient listing the new and escalated alerts they may see; returns the
    number of messages sent."""
    per_recipient: dict[str, list[tuple[str, Alert]]] = {}
    with override(settings.LANGUAGE_CODE):
        for label, alerts in ((_("New"), opened), (_("Unresolved for %(days)s days")
                                                   % {"days": settings.PCRA_ALERT_ESCALATION_DAYS},
                                                   escalated)):
            for alert in alerts:
                for email in _recipients(alert):
                    per_recipient.setdefault(email, []).append((label, alert))
        sent = 0
        for email, items in sorted(per_recipient.items()):
            critical = sum(1 for _label, a in items if a.severity == Severity.CRITICAL)
            subject = _("[pcra] %(count)s backup alert(s), %(critical)s critical") % {
                "count": len(items), "critical": critical}
            lines = [f"- [{label}] {a.get_severity_display()} · {a.data_asset.node.code} · "
                     f"{a.get_kind_display()}: {a.message}" for label, a in items]
            body = "\n".join([_("Backup supervision found:"), "", *lines, "",
                              _("Acknowledge and resolve them on the alerts page of pcra.")])
            sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        now = timezone.now()
        Alert.objects.filter(pk__in=[a.pk for a in (*opened, *escalated)]).update(notified_at=now)
    return sent


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user) -> Alert:
    if alert.acknowledged_at is None and alert.resolved_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save()
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user, resolution: str = "") -> Alert:
    """Resolve by hand. If the condition still holds, the next refresh opens a new alert."""
    if alert.resolved_at is None:
        alert.resolved_at = timezone.now()
        alert.resolved_by = user
        alert.resolution = resolution.strip() or _("Resolved by hand")
        alert.save()
    return alert


def copies_due(now: dt.datetime | None = None):
    """Supervised copies pcra drives whose collection or verification is due."""
    from django.db.models import Q

    now = now or timezone.now()
    # Copies without a stored password are due too: their run fails and says so.
    base = BackupCopy.objects.filter(supervised=True, engine__in=("restic", "borg"))
    collect = base.filter(Q(next_collection_at__isnull=True) | Q(next_collection_at__lte=now))
    verify = base.filter(Q(next_verification_at__isnull=True) | Q(next_verification_at__lte=now))
    return collect, verify
