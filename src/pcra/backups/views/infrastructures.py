"""Backup infrastructures (servers, zones) and their ANSSI hardening checklist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.backups import rules, selectors, services
from pcra.backups.forms import InfrastructureForm
from pcra.backups.models import BackupInfrastructure
from pcra.backups.views.common import (
    can_write_infrastructure,
    get_infrastructure,
    rule_views,
)
from pcra.core.crud import apply_errors, paginate


def hardening_of(infra: BackupInfrastructure):
    facts = rules.InfrastructureFacts(
        code=infra.code, separate_auth=infra.separate_auth, admin_mfa=infra.admin_mfa,
        segmented=infra.segmented, named_admin_accounts=infra.named_admin_accounts)
    return rule_views(rules.infrastructure_hardening(facts))


def _url(infra: BackupInfrastructure) -> str:
    return reverse("backups:infrastructure_detail", kwargs={"uuid": infra.uuid})


@login_required
@require_safe
def infrastructure_list(request: HttpRequest) -> HttpResponse:
    qs = (selectors.infrastructures_visible_to(user=request.user)
          .annotate(n_copies=Count("copies")).order_by("top__code", "code", "pk"))
    page = paginate(request, qs)
    for infra in page.object_list:
        infra.hardening = hardening_of(infra)
        infra.can_write = can_write_infrastructure(request.user, infra)
        infra.url = _url(infra)
    return render(request, "backups/infrastructure_list.html", {
        "page": page, "rows": page.object_list,
        "can_create": access_for(request.user).can_write_anything})


@login_required
@require_safe
def infrastructure_detail(request: HttpRequest, uuid) -> HttpResponse:
    infra = get_infrastructure(request, uuid)
    copies = list(selectors.copies_visible_to(user=request.user).filter(infrastructure=infra)
                  .order_by("data_asset__node__code", "name"))
    hidden = infra.copies.count() - len(copies)
    return render(request, "backups/infrastructure_detail.html", {
        "infra": infra, "hardening": hardening_of(infra), "copies": copies, "hidden": hidden,
        "can_write": can_write_infrastructure(request.user, infra)})


@login_required
@require_http_methods(["GET", "POST"])
def infrastructure_create(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).can_write_anything:
        raise PermissionDenied
    form = InfrastructureForm(request.POST or None, user=request.user)
    if not form.owners:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            infra = services.infrastructure_create(top=form.top, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Created: %(object)s.") % {"object": infra})
            return redirect(_url(infra))
    return render(request, "backups/form.html", {
        "form": form, "title": _("New backup infrastructure"),
        "intro": _("A backup server or zone. Say what you know of its hardening; what is left "
                   "empty counts as unknown, never as met."),
        "submit": _("Create"), "cancel_url": reverse("backups:infrastructure_list")})


@login_required
@require_http_methods(["GET", "POST"])
def infrastructure_edit(request: HttpRequest, uuid) -> HttpResponse:
    infra = get_infrastructure(request, uuid)
    if not can_write_infrastructure(request.user, infra):
        raise PermissionDenied
    form = InfrastructureForm(request.POST or None, user=request.user, infrastructure=infra)
    if request.method == "POST" and form.is_valid():
        try:
            infra = services.infrastructure_update(infrastructure=infra, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": infra})
            return redirect(_url(infra))
    return render(request, "backups/form.html", {
        "form": form, "title": _("Edit %(object)s") % {"object": infra.code},
        "cancel_url": _url(infra)})


@login_required
@require_http_methods(["GET", "POST"])
def infrastructure_delete(request: HttpRequest, uuid) -> HttpResponse:
    infra = get_infrastructure(request, uuid)
    if not can_write_infrastructure(request.user, infra):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.infrastructure_delete(infrastructure=infra)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("Deleted: %(object)s.") % {"object": infra})
            return redirect("backups:infrastructure_list")
    return render(request, "core/confirm_delete.html", {
        "object": infra, "errors": errors, "cancel_url": _url(infra),
        "title": _("Delete %(object)s") % {"object": infra.code}})
