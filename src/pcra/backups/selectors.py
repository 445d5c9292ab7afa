"""Reads of the backups app, scoped to what the user may see (DESIGN §5), and the per-asset
report (3-2-1-1-0 digits, verification state, hardening, achieved RPO per scenario against the
required PDMA) that the dashboard, the CLI, the Nagios plugin, the metrics and the alerts share.

``asset_reports`` runs a fixed number of queries whatever the number of assets (plus one
readiness computation per GHT for the required RPO).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from pcra.accounts.access import access_for
from pcra.backups import rules
from pcra.backups.models import (
    Alert,
    BackupCopy,
    BackupInfrastructure,
    BackupJob,
    DataAsset,
    RestorePoint,
    Verification,
    VerificationResult,
)


def policy() -> rules.Policy:
    return rules.Policy(
        verification_window_days=settings.PCRA_BACKUP_VERIFICATION_WINDOW_DAYS,
        restore_test_window_days=settings.PCRA_BACKUP_RESTORE_TEST_WINDOW_DAYS,
        immutable_min_days=settings.PCRA_BACKUP_IMMUTABLE_MIN_DAYS)


def _scope(user, prefix: str) -> Q | None:
    """Q on ``<prefix>organization``/``<prefix>top`` for what ``user`` sees; None = all."""
    access = access_for(user)
    if access.is_superuser:
        return None
    return Q(**{f"{prefix}organization_id__in": access.organization_ids}) | Q(
        **{f"{prefix}organization__isnull": True, f"{prefix}top_id__in": access.top_ids})


def _scoped(qs: QuerySet, user, prefix: str) -> QuerySet:
    scope = _scope(user, prefix)
    return qs if scope is None else qs.filter(scope)


def data_assets_visible_to(*, user) -> QuerySet[DataAsset]:
    return _scoped(DataAsset.objects.all(), user, "node__").select_related(
        "node", "node__organization", "node__top")


def copies_visible_to(*, user) -> QuerySet[BackupCopy]:
    return _scoped(BackupCopy.objects.all(), user, "data_asset__node__").select_related(
        "data_asset", "data_asset__node", "data_asset__node__organization", "infrastructure",
        "supplier")


def infrastructures_visible_to(*, user) -> QuerySet[BackupInfrastructure]:
    return _scoped(BackupInfrastructure.objects.all(), user, "").select_related(
        "organization", "top")


def alerts_visible_to(*, user) -> QuerySet[Alert]:
    return _scoped(Alert.objects.all(), user, "data_asset__node__").select_related(
        "data_asset", "data_asset__node", "copy", "acknowledged_by", "resolved_by")


def verifications_visible_to(*, user) -> QuerySet[Verification]:
    return _scoped(Verification.objects.all(), user, "copy__data_asset__node__").select_related(
        "copy", "copy__data_asset", "copy__data_asset__node")


def can_write_asset(user, asset: DataAsset) -> bool:
    node = asset.node
    return access_for(user).can_write(node.organization_id, top_id=node.top_id)


# --- Reports ----------------------------------------------------------------------------------


@dataclass
class CopyReport:
    copy: BackupCopy
    facts: rules.CopyFacts
    verification: rules.CopyVerification
    hardening: list[rules.RuleStatus]
    newest_point_age_hours: float | None
    point_count: int
    last_job: BackupJob | None = None

    @property
    def coverage_percent(self) -> int:
        return round(self.verification.coverage * 100)


@dataclass
class AssetReport:
    asset: DataAsset
    copies: list[CopyReport]
    digits: rules.Digits
    #: scenario key -> achieved RPO in hours (None: no surviving verified restore point)
    achieved_rpo: dict[str, float | None]
    required_rpo_hours: float | None
    scenarios: list[rules.Scenario] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.asset.node.code

    @property
    def nominal_rpo_hours(self) -> float | None:
        return self.achieved_rpo.get(rules.NOMINAL)

    @property
    def rpo_ok(self) -> bool | None:
        """Whether the nominal achieved RPO meets the PDMA (None: no PDMA required)."""
        if self.required_rpo_hours is None:
            return None
        achieved = self.nominal_rpo_hours
        return achieved is not None and achieved <= self.required_rpo_hours

    def rpo_ok_in(self, scenario_key: str) -> bool | None:
        if self.required_rpo_hours is None:
            return None
        achieved = self.achieved_rpo.get(scenario_key)
        return achieved is not None and achieved <= self.required_rpo_hours


def _required_rpo(assets: list[DataAsset]) -> dict[int, float | None]:
    """Required RPO (hours) of each asset's node, from the BIA propagation (DESIGN §4.4)."""
    from pcra.impact.selectors import readiness_of_top

    result: dict[int, float | None] = {}
    by_top: dict[int, list[DataAsset]] = defaultdict(list)
    for asset in assets:
        by_top[asset.node.top_id].append(asset)
    for top_id, group in by_top.items():
        required = readiness_of_top(top_id=top_id).result.required
        for asset in group:
            requirement = required.get(asset.node_id)
            result[asset.pk] = requirement.rpo_hours if requirement else None
    return result


def _facts(copy: BackupCopy, newest: dt.datetime | None, count: int,
           verifications: list[rules.VerificationFact],
           point_times: list[dt.datetime]) -> rules.CopyFacts:
    changed = copy.repository_changed_at
    if changed is not None:  # nothing read of an earlier repository counts
        verifications = [v for v in verifications if v.performed_at >= changed]
    declared = copy.declared_last_success if not copy.is_driven else None
    if declared and (newest is None or declared > newest):
        newest = declared
        count = max(count, 1)
    times = sorted({*point_times, *([declared] if declared else [])})
    encrypted = copy.engine_details.get("encrypted", copy.encrypted)
    return rules.CopyFacts(
        name=copy.name, media=str(copy.get_media_display()), site=copy.site, offsite=copy.offsite,
        offline=copy.offline, immutable_days=copy.immutable_days,
        supplier=copy.supplier.code if copy.supplier_id else "",
        newest_point=newest, point_count=count, verifications=tuple(verifications),
        point_times=tuple(times), driven=copy.is_driven,
        slices=copy.verify_slices if copy.engine == "restic" else 1,
        encrypted=encrypted, admin_mfa=copy.admin_mfa, separate_auth=copy.separate_auth,
        segmented=copy.segmented, named_admin_accounts=copy.named_admin_accounts)


def _infra_facts(infra: BackupInfrastructure | None) -> rules.InfrastructureFacts | None:
    if infra is None:
        return None
    return rules.InfrastructureFacts(code=infra.code, separate_auth=infra.separate_auth,
                                     admin_mfa=infra.admin_mfa, segmented=infra.segmented,
                                     named_admin_accounts=infra.named_admin_accounts)


def asset_reports(assets, *, now: dt.datetime | None = None,
                  with_required: bool = True) -> list[AssetReport]:
    """The report of each asset (in the given order)."""
    now = now or timezone.now()
    pol = policy()
    assets = list(assets)
    if not assets:
        return []
    asset_ids = [a.pk for a in assets]
    copies = list(BackupCopy.objects.filter(data_asset_id__in=asset_ids)
                  .select_related("infrastructure", "supplier").order_by("name"))
    copy_ids = [c.pk for c in copies]
    points = {row["copy"]: (row["newest"], row["n"]) for row in
              RestorePoint.objects.filter(copy_id__in=copy_ids, gone_at__isnull=True,
                                          taken_at__lte=now)
              .values("copy").annotate(newest=Max("taken_at"), n=Count("id"))}
    # The times of the points that may be the newest *verified* one: those within the
    # verification window (a copy is only verified through a date inside it), and the newest
    # one before it.
    window_start = now - dt.timedelta(days=pol.verification_window_days)
    live = RestorePoint.objects.filter(copy_id__in=copy_ids, gone_at__isnull=True,
                                       taken_at__lte=now)
    point_times: dict[int, list[dt.datetime]] = defaultdict(list)
    for copy_id, taken in live.filter(taken_at__gte=window_start).values_list("copy_id",
                                                                             "taken_at"):
        point_times[copy_id].append(taken)
    for row in (live.filter(taken_at__lt=window_start).values("copy")
                .annotate(newest=Max("taken_at"))):
        point_times[row["copy"]].append(row["newest"])
    lookback = now - dt.timedelta(days=max(pol.verification_window_days,
                                           pol.restore_test_window_days))
    verifications: dict[int, list[rules.VerificationFact]] = defaultdict(list)
    for copy_id, at, kind, result, errors, n, t, reads in (
            Verification.objects.filter(copy_id__in=copy_ids, performed_at__gte=lookback,
                                        performed_at__lte=now)
            .values_list("copy_id", "performed_at", "kind", "result", "error_count",
                         "slice_number", "slice_total", "reads_data")):
        verifications[copy_id].append(rules.VerificationFact(
            performed_at=at, ok=result == VerificationResult.OK, kind=kind, error_count=errors,
            slice=(n, t) if n else None, reads_data=reads))
    # The latest verification ever, for copies not verified within the window ("never" vs old).
    stale = [c.pk for c in copies if not verifications.get(c.pk)]
    if stale:
        for copy_id, at, kind, result, errors, reads in (
                Verification.objects.filter(copy_id__in=stale, performed_at__lte=now)
                .order_by("copy_id", "-performed_at")
                .values_list("copy_id", "performed_at", "kind", "result", "error_count",
                             "reads_data")):
            if not verifications.get(copy_id):
                verifications[copy_id].append(rules.VerificationFact(
                    performed_at=at, ok=result == VerificationResult.OK, kind=kind,
                    error_count=errors, slice=None, reads_data=reads))
    # The latest job of each copy (one query; a job dated in the future is ignored).
    newest_job = (BackupJob.objects.filter(copy_id=OuterRef("copy_id"), ended_at__lte=now)
                  .order_by("-ended_at", "-pk").values("pk")[:1])
    last_jobs: dict[int, BackupJob] = {
        job.copy_id: job for job in BackupJob.objects.filter(
            copy_id__in=copy_ids, ended_at__lte=now, pk=Subquery(newest_job))}
    required = _required_rpo(assets) if with_required else {}

    by_asset: dict[int, list[BackupCopy]] = defaultdict(list)
    for copy in copies:
        by_asset[copy.data_asset_id].append(copy)
    reports = []
    for asset in assets:
        copy_reports = []
        for copy in by_asset.get(asset.pk, []):
            newest, count = points.get(copy.pk, (None, 0))
            facts = _facts(copy, newest, count, verifications.get(copy.pk, []),
                           point_times.get(copy.pk, []))
            copy_reports.append(CopyReport(
                copy=copy, facts=facts,
                verification=rules.copy_verification(facts, now, pol),
                hardening=rules.copy_hardening(facts, _infra_facts(copy.infrastructure), pol),
                newest_point_age_hours=(None if facts.newest_point is None else
                                        max(0.0, (now - facts.newest_point).total_seconds()
                                            / 3600)),
                point_count=facts.point_count, last_job=last_jobs.get(copy.pk)))
        all_facts = [c.facts for c in copy_reports]
        site = asset.site
        scenarios = rules.scenarios_for(all_facts, site)
        reports.append(AssetReport(
            asset=asset, copies=copy_reports,
            digits=rules.digits(all_facts, production_site=site, now=now, policy=pol),
            achieved_rpo={s.key: rules.achieved_rpo_hours(all_facts, s, production_site=site,
                                                          now=now, policy=pol)
                          for s in scenarios},
            required_rpo_hours=required.get(asset.pk), scenarios=scenarios))
    return reports
