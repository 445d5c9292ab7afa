"""Restore-test agents, for the administrators of an organization: the list, the registration
(the token is shown once, with the command line that starts the agent) and the revocation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.accounts.models import Role
from pcra.core.crud import apply_errors
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organizations_visible_to
from pcra.restoretests import selectors, services
from pcra.restoretests.forms import AgentForm
from pcra.restoretests.models import Agent

#: where the agent's token is kept on its machine (the command line shown at registration)
TOKEN_FILE = "/etc/pcra/agent.token"


def administered(user) -> list[Organization]:
    access = access_for(user)
    return [org for org in organizations_visible_to(user=user).order_by("code")
            if access.role_on(org.pk) == Role.ADMIN]


def _server_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@login_required
@require_safe
def agent_list(request: HttpRequest) -> HttpResponse:
    if not administered(request.user):
        raise PermissionDenied
    agents = (selectors.agents_visible_to(user=request.user)
              .select_related("created_by", "revoked_by")
              .annotate(n_definitions=Count("definitions", distinct=True))
              .order_by("revoked_at", "organization__code", "name"))
    return render(request, "restoretests/agent_list.html", {
        "agents": agents, "server_url": _server_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def agent_create(request: HttpRequest) -> HttpResponse:
    organizations = administered(request.user)
    if not organizations:
        raise PermissionDenied
    form = AgentForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            agent, raw = services.agent_register(
                organization=form.cleaned_data["organization"], name=form.cleaned_data["name"],
                description=form.cleaned_data["description"], user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # Shown on this response only: never stored, never redirected through the session.
            response = render(request, "restoretests/agent_created.html", {
                "agent": agent, "raw": raw, "server_url": _server_url(request),
                "token_file": TOKEN_FILE})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "restoretests/form.html", {
        "form": form, "title": _("Register a restore-test agent"),
        "intro": _("An agent runs the restore tests inside a segmented backup zone: it calls "
                   "pcra over HTTPS with its own token and accepts no inbound connection. The "
                   "token is shown once, right after the registration; only its fingerprint "
                   "is kept."),
        "submit": _("Register the agent"), "cancel_url": reverse("restoretests:agent_list"),
        "crumb": (_("Agents"), reverse("restoretests:agent_list"))})


@login_required
@require_http_methods(["GET", "POST"])
def agent_revoke(request: HttpRequest, uuid) -> HttpResponse:
    agent = get_object_or_404(Agent.objects.select_related("organization"), uuid=uuid)
    if not access_for(request.user).can_read(agent.organization_id):
        raise Http404
    if not selectors.can_manage_agents(request.user, agent.organization_id):
        raise PermissionDenied
    if agent.revoked_at is not None:
        messages.info(request, _("%(name)s is already revoked.") % {"name": agent.name})
        return redirect("restoretests:agent_list")
    if request.method == "POST":
        services.agent_revoke(agent=agent, user=request.user)
        messages.success(request, _("Agent revoked: %(name)s.") % {"name": agent.name})
        return redirect("restoretests:agent_list")
    n_definitions = agent.definitions.count()
    queued = agent.runs.filter(status="queued").count()
    consequences = [_("Its token is refused from now on. This cannot be undone: a new agent "
                      "needs a new registration.")]
    if queued:
        consequences.append(_("Its %(n)s queued tests are cancelled.") % {"n": queued})
    if n_definitions:
        consequences.append(_("Its %(n)s restore-test definitions cannot run until another "
                              "executor is chosen for them.") % {"n": n_definitions})
    return render(request, "restoretests/confirm.html", {
        "title": _("Revoke a restore-test agent"),
        "object": f"{agent.name} · {agent.organization.code}",
        "lines": consequences, "submit": _("Revoke"), "danger": True,
        "cancel_url": reverse("restoretests:agent_list"),
        "crumb": (_("Agents"), reverse("restoretests:agent_list"))})
