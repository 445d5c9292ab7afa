"""Supervision alerts: the list (open first), acknowledge, resolve with a note, and a refresh
of the conditions on the assets the user sees (CaRE O3.d)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcra.accounts.access import access_for
from pcra.backups import selectors, supervision
from pcra.backups.display import duration_text
from pcra.backups.forms import AlertFilterForm, AlertResolveForm
from pcra.backups.models import Alert, Severity
from pcra.backups.views.common import (
    age_hours,
    asset_url,
    can_write_node,
    escalation_due,
    get_alert,
)
from pcra.core.crud import paginate, render_list, safe_next


def ordered(queryset):
    """Open alerts first, critical before warning, newest first."""
    return queryset.annotate(
        _open=Case(When(resolved_at__isnull=True, then=Value(0)), default=Value(1),
                   output_field=IntegerField()),
        _severity=Case(When(severity=Severity.CRITICAL, then=Value(0)), default=Value(1),
                       output_field=IntegerField()),
    ).order_by("_open", "_severity", "-opened_at", "pk")


def _decorate(alerts, user, now) -> None:
    access = access_for(user)
    for alert in alerts:
        node = alert.data_asset.node
        alert.can_write = access.can_write(node.organization_id, top_id=node.top_id)
        alert.age = duration_text(age_hours(alert.opened_at, now))
        alert.escalation_due = escalation_due(alert, now)
        alert.asset_url = asset_url(alert.data_asset)


@login_required
@require_safe
def alert_list(request: HttpRequest) -> HttpResponse:
    filters = AlertFilterForm(request.GET or None)
    qs = filters.filter(selectors.alerts_visible_to(user=request.user).select_related(
        "data_asset__node__organization", "data_asset__node__top"))
    page = paginate(request, ordered(qs))
    now = timezone.now()
    _decorate(page.object_list, request.user, now)
    return render_list(request, "backups/alert_list.html", "backups/_alert_results.html", {
        "filters": filters, "page": page, "rows": page.object_list, "state": filters.chosen_state,
        "searching": bool(request.GET), "escalation_days": settings.PCRA_ALERT_ESCALATION_DAYS,
        "can_refresh": access_for(request.user).can_write_anything,
        "next": request.get_full_path()})


def _writable_alert(request: HttpRequest, uuid) -> Alert:
    alert = get_alert(request, uuid)
    if not can_write_node(request.user, alert.data_asset.node):
        raise PermissionDenied
    return alert


@login_required
@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: HttpRequest, uuid) -> HttpResponse:
    alert = _writable_alert(request, uuid)
    back = safe_next(request, reverse("backups:alerts"))
    if request.method == "POST":
        supervision.alert_acknowledge(alert=alert, user=request.user)
        messages.success(request, _("Alert acknowledged: %(alert)s.") % {"alert": alert})
        return redirect(back)
    return render(request, "backups/confirm.html", {
        "title": _("Acknowledge an alert"), "object": alert, "alert": alert,
        "text": _("Say that someone is on it? The alert stays open until its cause is gone."),
        "submit": _("Acknowledge"), "cancel_url": back, "next": back})


@login_required
@require_http_methods(["GET", "POST"])
def alert_resolve(request: HttpRequest, uuid) -> HttpResponse:
    alert = _writable_alert(request, uuid)
    back = safe_next(request, reverse("backups:alerts"))
    form = AlertResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        supervision.alert_resolve(alert=alert, user=request.user,
                                  resolution=form.cleaned_data["resolution"])
        messages.success(request, _("Alert resolved: %(alert)s.") % {"alert": alert})
        return redirect(back)
    return render(request, "backups/form.html", {
        "form": form, "alert": alert, "title": _("Resolve an alert"),
        "intro": alert.message, "submit": _("Resolve"), "cancel_url": back, "next": back})


@login_required
@require_POST
def alerts_refresh(request: HttpRequest) -> HttpResponse:
    """Check the conditions now on the assets the user may change (the worker does it for every
    asset on its schedule)."""
    access = access_for(request.user)
    if not access.can_write_anything:
        raise PermissionDenied
    assets = [a for a in selectors.data_assets_visible_to(user=request.user)
              if access.can_write(a.node.organization_id, top_id=a.node.top_id)]
    result = supervision.alerts_refresh(assets=assets)
    opened, resolved = len(result.opened), len(result.resolved)
    messages.success(request, ngettext(
        "Checked %(count)d data asset: %(opened)d alert(s) opened, %(resolved)d resolved.",
        "Checked %(count)d data assets: %(opened)d alert(s) opened, %(resolved)d resolved.",
        len(assets)) % {"count": len(assets), "opened": opened, "resolved": resolved})
    return redirect(safe_next(request, reverse("backups:alerts")))
