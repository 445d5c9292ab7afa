"""Pages of the recovery plan (DESIGN §4.6-4.7): the scenarios and their newest plans, one
scenario, one plan (summary, activities against their DMIA, Gantt chart, why each task starts
when it does, the hand-made-groups plan beside it), the runbook per team (printable, PDF), the
recovery teams.

Every object comes from a selector scoped by the user (outside it: 404; readable but not
writable: 403 on writes). A plan covers the whole GHT: tasks of nodes the user may not see are
drawn without their name.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcra.accounts.access import access_for
from pcra.core.crud import apply_errors
from pcra.inventory.models import Node, NodeType
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.models import Organization
from pcra.organizations.selectors import chosen_top, tops_visible_to
from pcra.recovery import gantt, selectors, services, taskgraph
from pcra.recovery.display import minutes_text
from pcra.recovery.forms import PlanForm, ScenarioForm, TeamForm
from pcra.recovery.models import PlanState, RecoveryPlan, RecoveryTeam, Scenario, TaskKind

# --- Helpers --------------------------------------------------------------------------------------


def _top(request: HttpRequest) -> Organization:
    """The GHT the page is about: ``?top=<uuid>``, else the user's first one."""
    top = chosen_top(user=request.user,
                     wanted=request.GET.get("top") or request.POST.get("top"))
    if top is None:
        raise Http404
    return top


def _scenario(request: HttpRequest, uuid) -> Scenario:
    return get_object_or_404(selectors.scenarios_visible_to(user=request.user), uuid=uuid)


def _plan(request: HttpRequest, uuid) -> RecoveryPlan:
    return get_object_or_404(selectors.plans_visible_to(user=request.user), uuid=uuid)


def _writable_orgs(user, top: Organization) -> list[Organization]:
    access = access_for(user)
    orgs = [top, *Organization.objects.filter(root=top).order_by("code")]
    return [org for org in orgs
            if access.can_write(None if org.pk == top.pk else org.pk, top_id=top.pk)]


def _form_kwargs(user, top: Organization) -> dict:
    nodes = list(nodes_visible_to(user=user).filter(top=top).select_related("organization")
                 .order_by("code"))
    establishments = [org for org in Organization.objects.filter(root=top).order_by("code")
                      if access_for(user).can_read(org.pk, top_id=top.pk)]
    return {"top": top, "organizations": _writable_orgs(user, top), "nodes": nodes,
            "establishments": establishments}


def plan_url(plan: RecoveryPlan) -> str:
    return reverse("recovery:plan_detail", kwargs={"uuid": plan.uuid})


REASON_TEXT = {
    "start": gettext_lazy("starts at once"),
    "release": gettext_lazy("waits for its release time"),
    "predecessor": gettext_lazy("waits for %(what)s"),
    "resource": gettext_lazy("team %(team)s busy until then (%(what)s)"),
    "stream": gettext_lazy("every restore %(infrastructure)s serves at once in use until then "
                           "(%(what)s)"),
    "choice": gettext_lazy("planned later on purpose (nothing earlier is better)"),
}


def reason_text(reason: dict, names: dict[str, str]) -> str:
    """Why a task starts when it does, in words (tasks the user may not see stay unnamed)."""
    kind = reason.get("kind", "")
    resource = reason.get("resource") or ""
    team, stream = taskgraph.team_and_stream({resource: 1})
    if kind == "resource" and stream:
        kind = "stream"
    template = REASON_TEXT.get(kind)
    if template is None:
        return ""
    tasks = reason.get("tasks") or ([reason["task"]] if reason.get("task") else [])
    what = ", ".join(names.get(code, _("a task of another establishment")) for code in tasks)
    return str(template) % {"what": what or "—", "team": team, "infrastructure": stream}


# --- Scenarios -------------------------------------------------------------------------------


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    scenarios = list(selectors.scenarios_visible_to(user=request.user).filter(top=top))
    readable = set(selectors.plans_visible_to(user=request.user).filter(top=top)
                   .values_list("pk", flat=True))
    latest = {k: plan for k, plan in selectors.latest_plans(top_id=top.pk).items()
              if plan.pk in readable}
    running = {p.scenario_id: p for p in selectors.plans_visible_to(user=request.user).filter(
        top=top, state__in=[PlanState.QUEUED, PlanState.RUNNING])}
    late = selectors.late_activities(plans=list(latest.values()))
    rows = [{"scenario": s, "plan": latest.get(s.pk), "running": running.get(s.pk),
             "late": late.get(latest[s.pk].pk, 0) if s.pk in latest else None}
            for s in scenarios]
    return render(request, "recovery/index.html", {
        "top": top, "tops": list(tops_visible_to(user=request.user).order_by("code")),
        "rows": rows, "can_write": bool(_writable_orgs(request.user, top)),
        "can_teams": selectors.can_change_teams(request.user, top.pk),
        "teams": list(RecoveryTeam.objects.filter(top=top)),
    })


@login_required
@require_POST
def scenario_defaults(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    if not selectors.can_change_teams(request.user, top.pk):
        raise PermissionDenied
    made = services.scenario_defaults(top=top)
    messages.success(request, _("%(n)s standard scenarios created.") % {"n": len(made)})
    return redirect(f"{reverse('recovery:index')}?top={top.uuid}")


def _scenario_form_page(request, form, *, title, cancel_url):
    return render(request, "recovery/form.html", {
        "form": form, "title": title, "cancel_url": cancel_url})


@login_required
@require_http_methods(["GET", "POST"])
def scenario_create(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    kwargs = _form_kwargs(request.user, top)
    if not kwargs["organizations"]:
        raise PermissionDenied
    form = ScenarioForm(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            scenario = services.scenario_create(top=top, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Scenario created."))
            return redirect("recovery:scenario_detail", uuid=scenario.uuid)
    return _scenario_form_page(request, form, title=_("New scenario"),
                               cancel_url=reverse("recovery:index"))


@login_required
@require_http_methods(["GET", "POST"])
def scenario_edit(request: HttpRequest, uuid) -> HttpResponse:
    scenario = _scenario(request, uuid)
    if not selectors.can_change_scenario(request.user, scenario):
        raise PermissionDenied
    top = scenario.top
    initial = {
        "organization": str((scenario.organization or top).uuid), "code": scenario.code,
        "name": scenario.name, "kind": scenario.kind, "description": scenario.description,
        "scope": [str(o.uuid) for o in scenario.scope.all()], "site": scenario.site,
        "supplier": str(scenario.supplier.uuid) if scenario.supplier else "",
        "nodes": [str(n.uuid) for n in scenario.nodes.all()],
    }
    form = ScenarioForm(request.POST or None, initial=initial,
                        **_form_kwargs(request.user, top))
    if request.method == "POST" and form.is_valid():
        try:
            services.scenario_update(scenario=scenario, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Scenario saved."))
            return redirect("recovery:scenario_detail", uuid=scenario.uuid)
    return _scenario_form_page(
        request, form, title=_("Edit scenario %(name)s") % {"name": scenario.name},
        cancel_url=reverse("recovery:scenario_detail", kwargs={"uuid": scenario.uuid}))


@login_required
@require_http_methods(["GET", "POST"])
def scenario_delete(request: HttpRequest, uuid) -> HttpResponse:
    scenario = _scenario(request, uuid)
    if not selectors.can_change_scenario(request.user, scenario):
        raise PermissionDenied
    if request.method == "POST":
        services.scenario_delete(scenario=scenario)
        messages.success(request, _("Scenario deleted; its plans are kept."))
        return redirect("recovery:index")
    return render(request, "core/confirm_delete.html", {
        "object": scenario, "title": _("Delete scenario %(name)s?") % {"name": scenario.name},
        "cancel_url": reverse("recovery:scenario_detail", kwargs={"uuid": scenario.uuid})})


@login_required
@require_http_methods(["GET", "POST"])
def scenario_detail(request: HttpRequest, uuid) -> HttpResponse:
    scenario = _scenario(request, uuid)
    can_write = selectors.can_change_scenario(request.user, scenario)
    form = PlanForm(request.POST or None)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        if form.is_valid():
            try:
                plan = services.plan_request(scenario=scenario, user=request.user,
                                             **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Plan requested: it is computed in the background."))
                return redirect(plan_url(plan))
    nodes = list(Node.objects.filter(top_id=scenario.top_id))
    lost = services.lost_nodes(scenario, nodes)
    access = access_for(request.user)
    visible_lost = sorted((n for n in nodes if n.pk in lost
                           and access.can_read(n.organization_id, top_id=n.top_id)),
                          key=lambda n: n.code)
    plans = selectors.plans_visible_to(user=request.user).filter(scenario=scenario)[:20]
    return render(request, "recovery/scenario_detail.html", {
        "scenario": scenario, "form": form, "can_write": can_write, "plans": plans,
        "lost": visible_lost, "hidden_lost": len(lost) - len(visible_lost),
        "scope": list(scenario.scope.all()),
    })


# --- Plans -------------------------------------------------------------------------------------


#: Rows of the plan page's task table per page (a GHT's plan has thousands of tasks; the
#: runbook and the PDF list them all).
TASKS_PER_PAGE = 100
#: The ``team`` filter value for the tasks of outside parties.
OUTSIDE = "_outside"


def _plan_context(request: HttpRequest, plan: RecoveryPlan) -> dict:
    views = selectors.plan_tasks(user=request.user, plan=plan)
    names = {v.task.code: f"{v.task.code} – {v.task.name}" for v in views if v.visible}
    items = [gantt.Item(v.task.code if v.visible else "", names.get(v.task.code, ""),
                        v.task.start_minutes, v.task.end_minutes, v.task.kind, v.task.team,
                        v.task.node_type, v.visible, v.task.due_minutes) for v in views]
    chart = gantt.layout(items, outside_title=_("Outside parties"),
                         activities_title=_("Activities back"))
    activities = [v for v in views if v.task.node_type == NodeType.ACTIVITY and v.visible]
    activities.sort(key=lambda v: (-(v.task.lateness_minutes or 0), v.task.end_minutes,
                                   v.task.code))
    listed = [v for v in views if v.task.kind != TaskKind.MILESTONE
              or v.task.node_type == NodeType.ACTIVITY]
    teams = sorted({v.task.team for v in listed if v.task.kind == TaskKind.RESTORE and v.task.team})
    team = request.GET.get("team", "")
    query = request.GET.get("q", "").strip()
    if team == OUTSIDE:
        listed = [v for v in listed if v.task.kind == TaskKind.EXTERNAL]
    elif team:
        listed = [v for v in listed if v.task.kind == TaskKind.RESTORE and v.task.team == team]
    if query:
        needle = query.casefold()
        listed = [v for v in listed if v.visible and (needle in v.task.code.casefold()
                                                      or needle in v.task.name.casefold())]
    page = Paginator(listed, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    tasks = [{"view": v, "reason": reason_text(v.task.reason, names) if v.visible else "",
              "start": minutes_text(v.task.start_minutes),
              "end": minutes_text(v.task.end_minutes)} for v in page.object_list]
    late = sum(1 for v in activities if v.task.lateness_minutes)
    groups_late = sum(1 for v in activities if v.task.due_minutes is not None
                      and v.task.groups_end_minutes > v.task.due_minutes)
    return {
        "plan": plan, "chart": chart, "activities": activities, "tasks": tasks,
        "page": page, "teams": teams, "team": team, "query": query, "outside": OUTSIDE,
        "filtered": bool(team or query), "late": late,
        "pager_query": urlencode({k: v for k, v in (("team", team), ("q", query)) if v}), "groups_late": groups_late,
        "hidden": sum(1 for v in views if not v.visible),
        "live": not plan.finished,
        "ticks": [(x, minutes_text(m)) for x, m in chart.ticks],
        "notes": [_note_text(n, names) for n in plan.notes],
        "error": _plan_error(request, plan),
    }


def _plan_error(request: HttpRequest, plan: RecoveryPlan) -> str:
    """Why the plan failed, for the GHT's own readers (the message may name any node of the
    GHT); the others are told who can see it."""
    if not plan.error:
        return ""
    if access_for(request.user).can_read(plan.top_id, top_id=plan.top_id):
        return plan.error
    return _("The plan could not be computed; the GHT's administrators can see why.")


def _named(codes: list[str], names: dict[str, str], limit: int = 10) -> str:
    """The codes the reader may see (``names``), at most ``limit``, then how many others."""
    seen = [code for code in codes if code in names]
    text = ", ".join(seen[:limit]) + (", …" if len(seen) > limit else "")
    hidden = len(codes) - len(seen)
    if hidden:
        other = ngettext("%(n)s task of another establishment",
                         "%(n)s tasks of other establishments", hidden) % {"n": hidden}
        text = f"{text} ({other})" if text else other
    return text


def _note_text(note: dict, names: dict[str, str]) -> str:
    """A plan's note in words; ``names``: the tasks the reader may see (others are counted)."""
    code = note.get("code")
    if code == "assumed_durations":
        return _("No restore duration is measured or declared for %(nodes)s: %(hours)s h assumed "
                 "for each.") % {"nodes": _named(note.get("nodes", []), names),
                                 "hours": note.get("hours")}
    if code == "undeclared_teams":
        return _("No capacity is declared for the team(s) %(teams)s: one restore at a time "
                 "assumed.") % {"teams": ", ".join(note.get("teams", []))}
    if code == "streams":
        return _("Restores at once per backup infrastructure: %(streams)s.") % {
            "streams": ", ".join(f"{code} {count}"
                                 for code, count in sorted(note.get("streams", {}).items()))}
    if code == "nothing_lost":
        return _("This scenario loses nothing: there is nothing to restore.")
    if code == "not_reproducible":
        return _("The solver was stopped by the time limit before its own work limit: computing "
                 "the plan again with the same data and seed may give another schedule, as good "
                 "or better. A longer time limit does not change that; a less busy server does.")
    if code == "groups_moved":
        tasks = note.get("tasks", [])
        return ngettext(
            "In the priority-groups plan, %(n)s task is moved to a later group than its own, "
            "because something it needs is in a later group: %(tasks)s.",
            "In the priority-groups plan, %(n)s tasks are moved to a later group than their "
            "own, because something they need is in a later group: %(tasks)s.",
            len(tasks)) % {"n": len(tasks), "tasks": _named(tasks, names)}
    if code == "groups":  # plans computed before the tasks were kept by code: not named
        return _("In the priority-groups plan, some tasks are moved to a later group than their "
                 "own, because something they need is in a later group.")
    return note.get("text", "")


@login_required
@require_safe
def plan_detail(request: HttpRequest, uuid) -> HttpResponse:
    plan = _plan(request, uuid)
    return render(request, "recovery/plan_detail.html", _plan_context(request, plan))


@login_required
@require_safe
def plan_progress(request: HttpRequest, uuid) -> JsonResponse:
    plan = _plan(request, uuid)
    response = JsonResponse({"state": plan.state, "state_label": plan.get_state_display(),
                             "finished": plan.finished, "phase": plan.progress_phase,
                             "percent": round(plan.progress * 100),
                         "error": _plan_error(request, plan)})
    response["Cache-Control"] = "no-store"
    return response


def _runbook(request: HttpRequest, plan: RecoveryPlan) -> list[dict]:
    views = selectors.plan_tasks(user=request.user, plan=plan)
    names = {v.task.code: f"{v.task.code} – {v.task.name}" for v in views if v.visible}
    teams: dict[str, list[dict]] = {}
    for v in views:
        if v.task.kind == TaskKind.MILESTONE:
            continue
        key = v.task.team if v.task.kind == TaskKind.RESTORE else ""
        teams.setdefault(key, []).append({
            "view": v, "start": minutes_text(v.task.start_minutes),
            "end": minutes_text(v.task.end_minutes),
            "reason": reason_text(v.task.reason, names) if v.visible else "",
            "waits": [names.get(code, _("a task of another establishment"))
                      for code in v.task.waits_for]})
    return [{"team": team or _("Outside parties"), "steps": steps}
            for team, steps in sorted(teams.items(), key=lambda item: (item[0] == "", item[0]))]


@login_required
@require_safe
def plan_runbook(request: HttpRequest, uuid) -> HttpResponse:
    plan = _plan(request, uuid)
    if plan.state != PlanState.DONE:
        raise Http404
    return render(request, "recovery/runbook.html", {"plan": plan,
                                                     "teams": _runbook(request, plan)})


@login_required
@require_safe
def plan_pdf(request: HttpRequest, uuid) -> HttpResponse:
    from pcra.recovery.report import plan_pdf_bytes

    plan = _plan(request, uuid)
    if plan.state != PlanState.DONE:
        raise Http404
    context = {**_plan_context(request, plan), "teams": _runbook(request, plan)}
    data = plan_pdf_bytes(request, context)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="pri-{plan.scenario_name[:40]}-'
                                       f'{plan.requested_at:%Y%m%d-%H%M}.pdf"')
    return response


# --- Teams ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    top = _top(request)
    if not selectors.can_change_teams(request.user, top.pk):
        raise PermissionDenied
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_create(top=top, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Team saved."))
            return redirect(f"{reverse('recovery:index')}?top={top.uuid}#teams")
    return render(request, "recovery/form.html", {
        "form": form, "title": _("New recovery team"), "top": top,
        "cancel_url": reverse("recovery:index")})


def _team(request: HttpRequest, uuid) -> RecoveryTeam:
    """A team the user may change (teams have no page of their own: a team the user may not
    change is not found)."""
    team = get_object_or_404(selectors.teams_visible_to(user=request.user), uuid=uuid)
    if not selectors.can_change_teams(request.user, team.top_id):
        raise Http404
    return team


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, uuid) -> HttpResponse:
    team = _team(request, uuid)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, **{k: form.cleaned_data[k]
                                               for k in services.TEAM_FIELDS})
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Team saved."))
            return redirect(f"{reverse('recovery:index')}?top={team.top.uuid}#teams")
    return render(request, "recovery/form.html", {
        "form": form, "title": _("Recovery team %(name)s") % {"name": team.name},
        "cancel_url": reverse("recovery:index")})


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request: HttpRequest, uuid) -> HttpResponse:
    team = _team(request, uuid)
    if request.method == "POST":
        services.team_delete(team=team)
        messages.success(request, _("Team deleted."))
        return redirect(f"{reverse('recovery:index')}?top={team.top.uuid}#teams")
    return render(request, "core/confirm_delete.html", {
        "object": team, "title": _("Delete team %(name)s?") % {"name": team.name},
        "cancel_url": reverse("recovery:index")})
