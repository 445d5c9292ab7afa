"""The copies dashboard (one row per data asset: its 3-2-1-1-0, freshness, verification,
achieved RPO against the PDMA, open alerts) and the page of one data asset with its copies.

Figures come from ``selectors.asset_reports`` (a fixed number of queries whatever the number of
assets), called on the page's assets only; the summary bar and the "only problems" filter need
every visible asset's digits and call it once on them (also a fixed number of queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.backups import rules, selectors, services
from pcra.backups.display import duration_text
from pcra.backups.forms import AssetCreateForm, AssetFilterForm, AssetForm
from pcra.backups.models import Alert, BackupCopy, CollectionRun, Severity
from pcra.backups.views.common import (
    age_hours,
    asset_url,
    can_write_node,
    digit_views,
    get_asset,
    require_write,
    rpo_view,
    rpo_views,
    rule_views,
    verdict_text,
)
from pcra.core.crud import apply_errors, is_htmx, paginate, render_list
from pcra.organizations.selectors import organizations_visible_to

# --- Dashboard ------------------------------------------------------------------------------


@dataclass
class AssetRow:
    """One line of the dashboard."""

    report: selectors.AssetReport
    open_alerts: int = 0
    critical_alerts: int = 0

    @property
    def asset(self):
        return self.report.asset

    @property
    def node(self):
        return self.report.asset.node

    @property
    def url(self) -> str:
        return asset_url(self.report.asset)

    @property
    def digits(self):
        return digit_views(self.report)

    @property
    def all_ok(self) -> bool:
        return self.report.digits.all_ok

    @property
    def newest_age_hours(self) -> float | None:
        ages = [c.newest_point_age_hours for c in self.report.copies
                if c.newest_point_age_hours is not None]
        return min(ages) if ages else None

    @property
    def newest_age(self) -> str:
        return duration_text(self.newest_age_hours)

    @property
    def last_verified_at(self):
        """When a copy of the asset was last verified (None: never)."""
        facts = [c.verification.latest for c in self.report.copies if c.verification.latest]
        return max((f.performed_at for f in facts), default=None)

    @property
    def verification_failed(self) -> bool:
        """A copy has a failing slice, or the latest verification found errors: a later
        success on another copy or slice must not hide it."""
        facts = [c.verification.latest for c in self.report.copies if c.verification.latest]
        latest = max(facts, key=lambda f: f.performed_at, default=None)
        return (any(c.verification.failed_slices for c in self.report.copies)
                or (latest is not None and not latest.ok))

    @property
    def verified_percent(self) -> int | None:
        if not self.report.copies:
            return None
        share = sum(c.verification.coverage for c in self.report.copies) / len(self.report.copies)
        return round(share * 100)

    @property
    def nominal(self):
        return rpo_view(self.report, rules.NOMINAL)

    @property
    def ransomware(self):
        return rpo_view(self.report, rules.RANSOMWARE)

    @property
    def has_problem(self) -> bool:
        return (not self.report.digits.all_ok or self.report.rpo_ok is False
                or self.open_alerts > 0)


def _alert_counts(asset_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (Alert.objects.filter(data_asset_id__in=asset_ids, resolved_at__isnull=True)
            .values("data_asset").annotate(n=Count("id"),
                                           critical=Count("id", filter=Q(
                                               severity=Severity.CRITICAL))))
    return {r["data_asset"]: (r["n"], r["critical"]) for r in rows}


def _rows(reports: list[selectors.AssetReport]) -> list[AssetRow]:
    counts = _alert_counts([r.asset.pk for r in reports])
    return [AssetRow(r, *counts.get(r.asset.pk, (0, 0))) for r in reports]


@dataclass
class Summary:
    assets: int
    copies: int
    all_digits: int
    critical: int
    warning: int

    @property
    def all_digits_percent(self) -> int | None:
        return round(100 * self.all_digits / self.assets) if self.assets else None


def _summary(user, reports: list[selectors.AssetReport]) -> Summary:
    alerts = (selectors.alerts_visible_to(user=user).filter(resolved_at__isnull=True)
              .order_by().values("severity").annotate(n=Count("id")))
    by_severity = {row["severity"]: row["n"] for row in alerts}
    return Summary(assets=len(reports), copies=sum(len(r.copies) for r in reports),
                   all_digits=sum(1 for r in reports if r.digits.all_ok),
                   critical=by_severity.get(Severity.CRITICAL, 0),
                   warning=by_severity.get(Severity.WARNING, 0))


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The copies dashboard."""
    user = request.user
    organizations = list(organizations_visible_to(user=user).exclude(root__isnull=True)
                         .order_by("code"))
    filters = AssetFilterForm(request.GET or None, organizations=organizations)
    visible = selectors.data_assets_visible_to(user=user)
    assets = filters.filter(visible).order_by("node__code", "pk")
    now = timezone.now()
    summary = None
    if filters.only_problems:
        rows = [row for row in _rows(selectors.asset_reports(assets, now=now))
                if row.has_problem]
        page = Paginator(rows, settings.PCRA_PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        page = paginate(request, assets)
        page.object_list = _rows(selectors.asset_reports(page.object_list, now=now))
    if not is_htmx(request):
        summary = _summary(user, selectors.asset_reports(visible.order_by("pk"), now=now,
                                                         with_required=False))
    context = {
        "filters": filters, "page": page, "rows": page.object_list, "summary": summary,
        "searching": bool(request.GET), "can_create": access_for(user).can_write_anything,
        "is_admin": bool(_admin_anywhere(user)),
        "window_days": settings.PCRA_BACKUP_VERIFICATION_WINDOW_DAYS,
    }
    return render_list(request, "backups/index.html", "backups/_asset_results.html", context)


def _admin_anywhere(user) -> bool:
    from pcra.accounts.models import Role

    access = access_for(user)
    return access.is_superuser or any(role == Role.ADMIN for role in access.roles.values())


# --- Data assets ----------------------------------------------------------------------------


@dataclass
class CopyView:
    """One copy card of the asset page."""

    report: selectors.CopyReport
    points: list
    verifications: list
    runs: list[CollectionRun]
    jobs: list
    #: the copy's infrastructure when the reader may see it (a shared asset's copy may sit on
    #: an establishment's backup server: its name is not shown to the other establishments)
    infrastructure: Any = None

    @property
    def copy(self) -> BackupCopy:
        return self.report.copy

    @property
    def verification(self) -> rules.CopyVerification:
        return self.report.verification

    @property
    def reason(self) -> str:
        return verdict_text(self.report.verification.reason)

    @property
    def hardening(self):
        return rule_views(self.report.hardening)

    @property
    def newest_age(self) -> str:
        return duration_text(self.report.newest_point_age_hours)

    @property
    def protected(self) -> bool:
        return self.copy.offline or self.copy.immutable_days > 0

    @property
    def encrypted_by_engine(self) -> Any:
        return (self.copy.engine_details or {}).get("encrypted")


def _copy_views(report: selectors.AssetReport, user) -> list[CopyView]:
    access = access_for(user)
    views = []
    for copy_report in report.copies:
        copy = copy_report.copy
        infra = copy.infrastructure
        if infra is not None and not access.can_read(infra.organization_id, top_id=infra.top_id):
            infra = None
        views.append(CopyView(
            infrastructure=infra,
            report=copy_report,
            points=list(copy.points.filter(gone_at__isnull=True).order_by("-taken_at")[:10]),
            verifications=list(copy.verifications.order_by("-performed_at")[:10]),
            runs=list(copy.runs.order_by("-started_at", "-pk")[:5]),
            jobs=list(copy.jobs.order_by("-ended_at")[:5])))
    return views


@login_required
@require_safe
def asset_detail(request: HttpRequest, uuid) -> HttpResponse:
    asset = get_asset(request, uuid)
    now = timezone.now()
    report = selectors.asset_reports([asset], now=now)[0]
    alerts = list(asset.alerts.filter(resolved_at__isnull=True).select_related(
        "copy", "acknowledged_by").order_by("severity", "-opened_at"))
    return render(request, "backups/asset_detail.html", {
        "asset": asset, "node": asset.node, "report": report, "digits": digit_views(report),
        "scenarios": rpo_views(report), "copies": _copy_views(report, request.user), "alerts": alerts,
        "can_write": can_write_node(request.user, asset.node), "now": now,
        "window_days": settings.PCRA_BACKUP_VERIFICATION_WINDOW_DAYS,
        "restore_window_days": settings.PCRA_BACKUP_RESTORE_TEST_WINDOW_DAYS,
        "immutable_days": settings.PCRA_BACKUP_IMMUTABLE_MIN_DAYS,
        "age": lambda moment: duration_text(age_hours(moment, now)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).can_write_anything:
        raise PermissionDenied
    form = AssetCreateForm(request.POST or None, user=request.user)
    if not form.nodes:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        node = form.cleaned_data["node"]
        try:
            existing = hasattr(node, "data_asset")
            asset = services.data_asset_ensure(
                node=node, production_site=form.cleaned_data["production_site"] or None)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if existing:
                messages.info(request, _("%(code)s already had its backups here.")
                              % {"code": node.code})
            else:
                messages.success(request, _("Created: %(object)s.") % {"object": asset})
            return redirect(asset_url(asset))
    return render(request, "backups/form.html", {
        "form": form, "title": _("Add backups for an application or a component"),
        "intro": _("Choose the application or component whose data is backed up; you will "
                   "then describe its copies."),
        "submit": _("Continue"), "cancel_url": reverse("backups:index")})


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, uuid) -> HttpResponse:
    asset = get_asset(request, uuid)
    require_write(request.user, asset)
    form = AssetForm(request.POST or None, asset=asset)
    if request.method == "POST" and form.is_valid():
        try:
            services.data_asset_update(data_asset=asset, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": asset})
            return redirect(asset_url(asset))
    return render(request, "backups/form.html", {
        "form": form, "asset": asset, "title": _("Edit %(object)s") % {"object": asset.code},
        "cancel_url": asset_url(asset)})


@login_required
@require_http_methods(["GET", "POST"])
def asset_delete(request: HttpRequest, uuid) -> HttpResponse:
    asset = get_asset(request, uuid)
    require_write(request.user, asset)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.data_asset_delete(data_asset=asset)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("Deleted: %(object)s.") % {"object": asset})
            return redirect("backups:index")
    n_copies = asset.copies.count()
    return render(request, "core/confirm_delete.html", {
        "object": asset, "errors": errors, "cancel_url": asset_url(asset),
        "title": _("Delete the backups of %(object)s") % {"object": asset.code},
        "consequences": [_("Its %(n)s copies, their restore points, verifications and alerts "
                           "will be deleted too; the application or component stays.")
                         % {"n": n_copies}] if n_copies else [],
    })
