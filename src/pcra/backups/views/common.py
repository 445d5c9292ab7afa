"""What the backup pages share: finding objects in the user's scope (outsider → 404, reader
without write → 403 on writes), and turning the selectors' reports into what the templates
show (digits with their reasons, achieved RPO next to the required PDMA, ages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcra.accounts.access import access_for
from pcra.backups import rules, selectors
from pcra.backups.display import duration_text
from pcra.backups.models import Alert, BackupCopy, BackupInfrastructure, DataAsset

# --- Objects in scope -----------------------------------------------------------------------


def get_asset(request: HttpRequest, uuid) -> DataAsset:
    return get_object_or_404(selectors.data_assets_visible_to(user=request.user), uuid=uuid)


def get_copy(request: HttpRequest, uuid) -> BackupCopy:
    return get_object_or_404(selectors.copies_visible_to(user=request.user), uuid=uuid)


def get_alert(request: HttpRequest, uuid) -> Alert:
    return get_object_or_404(selectors.alerts_visible_to(user=request.user), uuid=uuid)


def get_infrastructure(request: HttpRequest, uuid) -> BackupInfrastructure:
    return get_object_or_404(selectors.infrastructures_visible_to(user=request.user), uuid=uuid)


def can_write_node(user, node) -> bool:
    return access_for(user).can_write(node.organization_id, top_id=node.top_id)


def can_write_infrastructure(user, infra: BackupInfrastructure) -> bool:
    return access_for(user).can_write(infra.organization_id, top_id=infra.top_id)


def require_write(user, asset: DataAsset) -> None:
    if not can_write_node(user, asset.node):
        raise PermissionDenied


def asset_url(asset: DataAsset) -> str:
    return reverse("backups:asset_detail", kwargs={"uuid": asset.uuid})


def copy_anchor(copy: BackupCopy) -> str:
    return f"{asset_url(copy.data_asset)}#copy-{copy.uuid}"


# --- Durations ------------------------------------------------------------------------------


def age_hours(moment: dt.datetime | None, now: dt.datetime | None = None) -> float | None:
    if moment is None:
        return None
    return max(0.0, ((now or timezone.now()) - moment).total_seconds() / 3600)


def escalation_due(alert: Alert, now: dt.datetime) -> bool:
    """Escalated, or unresolved for longer than PCRA_ALERT_ESCALATION_DAYS."""
    if alert.resolved_at is not None:
        return False
    return alert.escalated_at is not None or (
        now - alert.opened_at >= dt.timedelta(days=settings.PCRA_ALERT_ESCALATION_DAYS))


# --- 3-2-1-1-0 ------------------------------------------------------------------------------

DIGITS = (
    ("three", "3", gettext_lazy("3 copies: the production data and 2 backups")),
    ("two", "2", gettext_lazy("2 different media")),
    ("one_offsite", "1", gettext_lazy("1 copy off-site")),
    ("one_offline", "1", gettext_lazy("1 copy offline or immutable")),
    ("zero", "0", gettext_lazy("0 errors: verified and restore-tested")),
)


@dataclass(frozen=True)
class DigitView:
    key: str
    symbol: str
    name: Any
    ok: bool
    reason: str

    @property
    def state(self) -> str:
        return "ok" if self.ok else "ko"

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "✗"

    @property
    def title(self) -> str:
        return f"{self.name} – {self.reason}"


def digit_views(report: selectors.AssetReport) -> list[DigitView]:
    verdicts = report.digits.as_dict()
    return [DigitView(key, symbol, name, verdicts[key].ok, verdicts[key].render(_))
            for key, symbol, name in DIGITS]


def verdict_text(verdict: rules.Verdict) -> str:
    return verdict.render(_)


# --- Achieved RPO against the PDMA ----------------------------------------------------------


def scenario_label(scenario: rules.Scenario) -> str:
    if scenario.kind == rules.NOMINAL:
        return _("Nominal")
    if scenario.kind == rules.RANSOMWARE:
        return _("Cyberattack / ransomware")
    if scenario.kind == rules.SITE:
        return _("Loss of site %(site)s") % {"site": scenario.target}
    if scenario.kind == rules.SUPPLIER:
        return _("Failure of supplier %(supplier)s") % {"supplier": scenario.target}
    return scenario.key


def scenario_help(scenario: rules.Scenario) -> str:
    if scenario.kind == rules.NOMINAL:
        return _("Every copy is available.")
    if scenario.kind == rules.RANSOMWARE:
        return _("Only offline or immutable copies survive.")
    if scenario.kind == rules.SITE:
        return _("The copies on this site are lost.")
    return _("The copies this supplier holds are lost.")


@dataclass(frozen=True)
class RpoView:
    """Achieved RPO of one scenario next to the required PDMA."""

    key: str
    label: str
    help: str
    achieved_hours: float | None
    required_hours: float | None

    @property
    def achieved(self) -> str:
        return duration_text(self.achieved_hours)

    @property
    def required(self) -> str:
        return duration_text(self.required_hours)

    @property
    def state(self) -> str:
        """``late``, ``on-time`` or ``unknown`` (the CSS class of the gap, as on readiness)."""
        if self.required_hours is None:
            return "unknown"
        if self.achieved_hours is None or self.achieved_hours > self.required_hours:
            return "late"
        return "on-time"

    @property
    def gap(self) -> str:
        if self.required_hours is None:
            return _("no PDMA")
        if self.achieved_hours is None:
            return _("no verified point")
        diff = self.achieved_hours - self.required_hours
        return ("+" if diff > 0 else "−") + duration_text(abs(diff))

    @property
    def state_label(self) -> str:
        return {"late": _("beyond the PDMA"), "on-time": _("within the PDMA")}.get(
            self.state, _("no PDMA required"))


def rpo_views(report: selectors.AssetReport) -> list[RpoView]:
    return [RpoView(s.key, scenario_label(s), scenario_help(s), report.achieved_rpo.get(s.key),
                    report.required_rpo_hours) for s in report.scenarios]


def rpo_view(report: selectors.AssetReport, key: str) -> RpoView:
    scenario = next((s for s in report.scenarios if s.key == key), rules.Scenario(key))
    return RpoView(key, scenario_label(scenario), scenario_help(scenario),
                   report.achieved_rpo.get(key), report.required_rpo_hours)


# --- Hardening ------------------------------------------------------------------------------

STATUS_MARKS = {rules.OK: "✓", rules.FAILED: "✗", rules.UNKNOWN: "?"}


@dataclass(frozen=True)
class RuleView:
    label: str
    status: str
    source: str

    @property
    def mark(self) -> str:
        return STATUS_MARKS[self.status]

    @property
    def status_label(self) -> str:
        return {rules.OK: _("met"), rules.FAILED: _("not met")}.get(self.status, _("unknown"))

    @property
    def source_label(self) -> str:
        return {"copy": _("from the copy"),
                "infrastructure": _("from the infrastructure")}.get(self.source, "")


def rule_views(statuses: list[rules.RuleStatus]) -> list[RuleView]:
    return [RuleView(_(s.label), s.status, s.source) for s in statuses]
