"""Bearer tokens for the Prometheus ``/metrics`` endpoint: administrators of an organization
create them (the token is shown once), list and revoke them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.accounts.models import Role
from pcra.backups import metrics
from pcra.backups.forms import TokenForm
from pcra.backups.models import MetricsToken
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organizations_visible_to


def _administered(user) -> list[Organization]:
    access = access_for(user)
    return [org for org in organizations_visible_to(user=user).order_by("code")
            if access.role_on(org.pk) == Role.ADMIN]


def _is_admin_of(user, organization_id: int) -> bool:
    return access_for(user).role_on(organization_id) == Role.ADMIN


@login_required
@require_safe
def token_list(request: HttpRequest) -> HttpResponse:
    organizations = _administered(request.user)
    if not organizations:
        raise PermissionDenied
    tokens = (MetricsToken.objects.filter(organization__in=organizations)
              .select_related("organization", "created_by").order_by("revoked_at", "name", "pk"))
    return render(request, "backups/token_list.html", {
        "tokens": tokens, "metrics_url": request.build_absolute_uri(reverse("metrics"))})


@login_required
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    organizations = _administered(request.user)
    if not organizations:
        raise PermissionDenied
    form = TokenForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        token, raw = metrics.metrics_token_create(
            organization=form.cleaned_data["organization"], name=form.cleaned_data["name"],
            user=request.user)
        # Shown on this response only: never stored, never redirected through the session.
        response = render(request, "backups/token_created.html", {
            "token": token, "raw": raw,
            "metrics_url": request.build_absolute_uri(reverse("metrics"))})
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "backups/form.html", {
        "form": form, "title": _("New metrics token"),
        "intro": _("Prometheus reads /metrics with this token. It is shown once, right after "
                   "its creation; only its fingerprint is kept."),
        "submit": _("Create the token"), "cancel_url": reverse("backups:token_list")})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, uuid) -> HttpResponse:
    token = get_object_or_404(MetricsToken.objects.select_related("organization"), uuid=uuid)
    access = access_for(request.user)
    if not access.can_read(token.organization_id):
        raise Http404
    if not _is_admin_of(request.user, token.organization_id):
        raise PermissionDenied
    if request.method == "POST":
        metrics.metrics_token_revoke(token=token)
        messages.success(request, _("Token revoked: %(name)s.") % {"name": token.name})
        return redirect("backups:token_list")
    return render(request, "backups/confirm.html", {
        "title": _("Revoke a metrics token"), "object": token,
        "text": _("Prometheus will get 401 with this token from now on. This cannot be undone."),
        "submit": _("Revoke"), "danger": True, "cancel_url": reverse("backups:token_list")})
