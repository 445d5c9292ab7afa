"""Pages of the BIA (DESIGN §4.3): the list of activities with their BIA, the grid of one
activity (criteria × horizons, levels 0–4) with its lifecycle and versions, the campaigns and
the impact scale.

Reads go through the selectors (scoped by the user); writes through the services. An activity
the user may not see is a 404; a viewer gets a 403 on every write; signing off needs the admin
role on the activity's organization. The grid answers HTMX with its partial (``_grid.html``)
and works as a plain form without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.accounts.models import WRITE_ROLES, Role
from pcra.core.crud import apply_errors, format_hours, is_htmx, paginate, render_list
from pcra.impact import defaults, rules, selectors, services
from pcra.impact.forms import (
    BiaFilterForm,
    BiaGridForm,
    CampaignForm,
    ObjectivesForm,
    ScaleForm,
    cell_name,
)
from pcra.impact.locks import signed_off_bia_lock
from pcra.impact.models import (
    BiaCampaign,
    BiaStatus,
    BusinessImpactAnalysis,
    ImpactLevel,
    ImpactScale,
)
from pcra.inventory import services as inventory_services
from pcra.inventory.models import Node, NodeType
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organizations_visible_to, tops_visible_to

LEVEL_NAMES = dict(defaults.LEVELS)

# --- Access -----------------------------------------------------------------------------------


def _activity(request: HttpRequest, uuid) -> Node:
    """The activity, if the user may see it (404 otherwise)."""
    return get_object_or_404(nodes_visible_to(user=request.user, node_type=NodeType.ACTIVITY),
                             uuid=uuid)


def _role(user, node: Node) -> str | None:
    return access_for(user).role_on(node.organization_id, top_id=node.top_id)


def _require_write(user, node: Node) -> None:
    if _role(user, node) not in WRITE_ROLES:
        raise PermissionDenied


# --- Summaries (what the BIA says of an activity) ---------------------------------------------


def dmia_source_label(source: str) -> str:
    return _("declared") if source == rules.DECLARED else _("computed")


def criticality_label(label: str) -> str:
    return _("Not critical") if label == rules.NON_CRITICAL else label


def criticality_css(scale: selectors.ScaleData, label: str) -> str:
    """``crit-1`` for the most critical class, ``crit-2``…, ``crit-none`` when not critical."""
    for index, (_bound, name) in enumerate(scale.classes, start=1):
        if name == label:
            return f"crit-{min(index, 5)}"
    return "crit-none"


class ActivityRowDisplay:
    """What every page shows of an activity's BIA row (``self.row``) under its scale
    (``self.scale``): shared by the BIA summaries and the readiness rows."""

    row: selectors.ActivityBia
    scale: selectors.ScaleData

    @property
    def activity(self) -> Node:
        return self.row.activity

    @property
    def dmia(self) -> str:
        return format_hours(self.row.dmia_hours)

    @property
    def pdma(self) -> str:
        return format_hours(self.row.pdma_hours)

    @property
    def criticality(self) -> str:
        return criticality_label(self.row.criticality)

    @property
    def criticality_css(self) -> str:
        return criticality_css(self.scale, self.row.criticality)


@dataclass
class Summary(ActivityRowDisplay):
    """One activity's BIA as the list, the node page and the campaigns show it."""

    row: selectors.ActivityBia
    scale: selectors.ScaleData

    @property
    def status(self) -> str:
        return self.row.status

    @property
    def status_label(self) -> str:
        return _("No BIA") if self.row.current is None else self.row.current.get_status_display()

    @property
    def version_in_force(self) -> int | None:
        """The signed-off version still in force while a newer one is written."""
        current, effective = self.row.current, self.row.effective
        if current is not None and effective is not None and effective.pk != current.pk:
            return effective.version
        return None

    @property
    def dmia_source(self) -> str:
        return dmia_source_label(self.row.dmia_source)

    @property
    def url(self) -> str:
        return reverse("impact:activity", kwargs={"uuid": self.row.activity.uuid})

    @property
    def updated_at(self):
        return self.row.current.updated_at if self.row.current is not None else None


def summaries(rows: list[selectors.ActivityBia]) -> list[Summary]:
    scales = {top: selectors.scale_data(top_id=top) for top in {r.activity.top_id for r in rows}}
    return [Summary(row, scales[row.activity.top_id]) for row in rows]


def activity_summary(activity: Node) -> Summary:
    """The BIA summary of one activity the caller has already checked the user may see."""
    # A public one-activity selector (``selectors.bia_row_of``) would be the right door.
    scale = selectors.scale_data(top_id=activity.top_id)
    row = selectors.bia_row_of(activity=activity, scale=scale)
    return Summary(row, scale)


# --- The grid -----------------------------------------------------------------------------------


@dataclass
class Cell:
    name: str
    label: str
    value: str
    level: int | None
    heat: str
    over: bool
    dmia: bool
    missing: bool
    error: bool
    title: str
    level_name: str


@dataclass
class Grid:
    """The criteria × horizons grid of one BIA version, ready for the template."""

    scale: selectors.ScaleData
    rows: list[tuple[selectors.Criterion, list[Cell]]]
    horizons: list[tuple[selectors.Horizon, bool]]
    computed_dmia: float | None
    dmia: float | None
    dmia_source: str
    criticality: str
    criticality_css: str
    missing: list[str]
    editable: bool
    errors: list[str] = field(default_factory=list)
    saved: bool = False

    @property
    def dmia_text(self) -> str:
        return format_hours(self.dmia)

    @property
    def computed_dmia_text(self) -> str:
        return format_hours(self.computed_dmia)

    @property
    def source_label(self) -> str:
        return dmia_source_label(self.dmia_source)

    @property
    def threshold_label(self) -> str:
        return f"{self.scale.threshold} – {LEVEL_NAMES[self.scale.threshold]}"


def _cell_title(criterion: selectors.Criterion, horizon: selectors.Horizon,
                level: int | None) -> str:
    lines = [f"{criterion.label} · {horizon.label}"]
    for number, text in enumerate(criterion.descriptions):
        mark = "▶ " if number == level else ""
        lines.append(mark + _("%(number)d %(name)s: %(text)s") % {
            "number": number, "name": LEVEL_NAMES.get(number, ""), "text": text})
    return "\n".join(lines)


def build_grid(scale: selectors.ScaleData, levels: dict[tuple[str, str], int], *,
               declared: Any = None, editable: bool = False, raw: dict[str, str] | None = None,
               errors: list[str] | None = None, error_cells: set[str] | None = None,
               dmia: tuple[float | None, str] | None = None) -> Grid:
    """The grid of ``levels`` ({(criterion code, horizon code): level}); ``raw`` are refused
    values to show again; ``dmia`` forces the effective DMIA (a signed-off snapshot)."""
    raw, error_cells = raw or {}, error_cells or set()
    computed = rules.dmia_hours(levels, scale.rule_scale)
    effective, source = dmia or rules.effective_dmia(
        computed, float(declared) if declared is not None else None)
    dmia_code = next((h.code for h in scale.horizons if h.hours == computed), None)
    rows, missing = [], []
    for criterion in scale.criteria:
        cells = []
        for horizon in scale.horizons:
            name = cell_name(criterion.id, horizon.id)
            level = levels.get((criterion.code, horizon.code))
            if level is None:
                missing.append(f"{criterion.label} – {horizon.label}")
            value = raw.get(name, "" if level is None else str(level))
            if name in raw and value != ("" if level is None else str(level)):
                level = int(value) if value in ("0", "1", "2", "3", "4") else None
            cells.append(Cell(
                name=name, label=f"{criterion.label}, {horizon.label}", value=value, level=level,
                heat="heat-none" if level is None else f"heat-{level}",
                over=level is not None and level >= scale.threshold,
                dmia=horizon.code == dmia_code, missing=level is None,
                error=name in error_cells, title=_cell_title(criterion, horizon, level),
                level_name=str(LEVEL_NAMES.get(level, "")) if level is not None else ""))
        rows.append((criterion, cells))
    label = scale.criticality(effective)
    return Grid(scale=scale, rows=rows,
                horizons=[(h, h.code == dmia_code) for h in scale.horizons],
                computed_dmia=computed, dmia=effective, dmia_source=source,
                criticality=criticality_label(label),
                criticality_css=criticality_css(scale, label), missing=missing,
                editable=editable, errors=errors or [])


def _levels_of(bia: BusinessImpactAnalysis | None) -> dict[tuple[str, str], int]:
    if bia is None:
        return {}
    return {(c, h): level for c, h, level in ImpactLevel.objects.filter(bia=bia).values_list(
        "criterion__code", "horizon__code", "level")}


def _versions(activity: Node) -> list[BusinessImpactAnalysis]:
    return list(activity.bias.select_related("submitted_by", "signed_off_by")
                .order_by("-version"))


def _page_context(request: HttpRequest, activity: Node, *,
                  grid_form: BiaGridForm | None = None, grid_errors: list[str] | None = None,
                  objectives_form: ObjectivesForm | None = None, saved: bool = False) -> dict:
    scale = selectors.scale_data(top_id=activity.top_id)
    versions = _versions(activity)
    current = versions[0] if versions else None
    in_force = next((v for v in versions if v.status == BiaStatus.SIGNED_OFF), None)
    role = _role(request.user, activity)
    can_write = role in WRITE_ROLES
    editable = can_write and current is not None and current.status == BiaStatus.DRAFT
    error_cells = {name for name in (grid_form.errors if grid_form is not None else {})}
    grid = build_grid(scale, _levels_of(current), declared=activity.declared_dmia_hours,
                      editable=editable, raw=grid_form.raw() if grid_form is not None else None,
                      errors=grid_errors, error_cells=error_cells)
    grid.saved = saved
    lock = _objectives_lock(activity, current)
    return {
        "activity": activity, "scale": scale, "grid": grid, "bia": current,
        "versions": versions, "in_force": in_force if in_force is not current else None,
        "can_write": can_write, "can_sign_off": role == Role.ADMIN,
        "notes": grid_form["notes"].value() if grid_form is not None
        else (current.notes if current is not None else ""),
        "objectives_form": objectives_form or ObjectivesForm(activity=activity),
        "objectives_lock": lock,
        "levels": defaults.LEVELS,
        "level_names": {str(n): str(label) for n, label in defaults.LEVELS},
    }


# --- List ---------------------------------------------------------------------------------------


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Every visible activity with its BIA status, DMIA, PDMA and criticality."""
    organizations = list(organizations_visible_to(user=request.user).exclude(kind="GHT")
                         .order_by("code"))
    filters = BiaFilterForm(request.GET or None, organizations=organizations)
    rows = selectors.bia_rows_visible_to(user=request.user,
                                         organization_ids=filters.organization_ids())
    rows = filters.filter(rows)
    counts = {status: 0 for status in (selectors.MISSING, *BiaStatus.values)}
    for row in rows:
        counts[row.status] += 1
    page = paginate(request, rows)
    context = {
        "filters": filters, "page": page, "summaries": summaries(list(page.object_list)),
        "counts": counts, "total": len(rows), "searching": bool(request.GET),
    }
    return render_list(request, "impact/index.html", "impact/_index_results.html", context)


# --- One activity -------------------------------------------------------------------------------


@login_required
@require_safe
def activity(request: HttpRequest, uuid) -> HttpResponse:
    node = _activity(request, uuid)
    return render(request, "impact/activity.html", _page_context(request, node))


@login_required
@require_http_methods(["GET", "POST"])
def set_levels(request: HttpRequest, uuid) -> HttpResponse:
    """Save levels (and notes) of the draft: the grid partial for HTMX, else back to the page.
    A refused value stores nothing and is shown again with its message."""
    node = _activity(request, uuid)
    template = "impact/_grid.html" if is_htmx(request) else "impact/activity.html"
    if request.method == "GET":
        return render(request, template, _page_context(request, node))
    _require_write(request.user, node)
    scale = selectors.scale_data(top_id=node.top_id)
    form = BiaGridForm(request.POST, scale=scale)
    bia = services.bia_current(activity=node)
    errors: list[str] = []
    if not form.is_valid():
        errors = form.cell_errors() + [str(e) for e in form.errors.get("notes", [])]
    elif bia is None:
        errors = [_("Start the BIA before entering impact levels.")]
    else:
        try:
            with transaction.atomic():
                services.bia_set_levels(bia=bia, levels=form.levels())
                if form.has_notes:
                    services.bia_set_notes(bia=bia, notes=form.cleaned_data["notes"])
        except ValidationError as exc:
            errors = list(exc.messages)
    if not errors and not is_htmx(request):
        messages.success(request, _("Impact levels saved."))
        return redirect("impact:activity", uuid=node.uuid)
    context = _page_context(request, node, grid_form=form if form.errors else None,
                            grid_errors=errors, saved=not errors)
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def objectives(request: HttpRequest, uuid) -> HttpResponse:
    """PDMA and declared DMIA of the activity, through ``node_update`` (so the BIA lock holds)."""
    node = _activity(request, uuid)
    _require_write(request.user, node)
    form = ObjectivesForm(request.POST or None, activity=node)
    if request.method == "POST" and form.is_valid():
        try:
            inventory_services.node_update(node=node, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
            node = _activity(request, uuid)  # the service changed the object before refusing
        else:
            messages.success(request, _("PDMA and DMIA saved."))
            return redirect("impact:activity", uuid=node.uuid)
    if request.method == "POST":
        return render(request, "impact/activity.html",
                      _page_context(request, node, objectives_form=form))
    return render(request, "impact/objectives.html", {
        "activity": node, "form": form,
        "lock": _objectives_lock(node, services.bia_current(activity=node))})


def _objectives_lock(activity: Node, current: BusinessImpactAnalysis | None) -> str:
    """Why the PDMA and declared DMIA cannot change now ("" when they can)."""
    if current is not None and current.status == BiaStatus.SUBMITTED:
        return _("The BIA is submitted: return it to draft to change the PDMA or the declared "
                 "DMIA.")
    return signed_off_bia_lock(activity, {"pdma_hours"}).get("pdma_hours", [""])[0]


# --- Lifecycle ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    admin_only: bool


ACTIONS = {a.name: a for a in (Action("start", False), Action("submit", False),
                               Action("return_to_draft", False), Action("sign_off", True))}


def _action_texts(action: str, bia: BusinessImpactAnalysis | None) -> tuple[str, str, str]:
    """(title, explanation, button) of a lifecycle action."""
    if action == "start":
        if bia is not None and bia.status == BiaStatus.SIGNED_OFF:
            return (_("Start a new version"),
                    _("Version %(v)d stays signed off and in force. A new draft copies its "
                      "levels; it replaces it once signed off.") % {"v": bia.version},
                    _("Start version %(v)d") % {"v": bia.version + 1})
        return (_("Start the BIA"),
                _("A draft is created: fill in the impact levels, then submit it."),
                _("Start the draft"))
    if action == "submit":
        return (_("Submit the BIA"),
                _("Once submitted the BIA can no longer be changed, unless it is returned to "
                  "draft. An administrator then signs it off."), _("Submit"))
    if action == "return_to_draft":
        return (_("Return to draft"),
                _("The submitted BIA becomes a draft again and can be changed."),
                _("Return to draft"))
    return (_("Sign off the BIA"),
            _("Signing off locks this version: its levels, the PDMA and the declared DMIA are "
              "kept as signed, with your name and the date. Changing them later needs a new "
              "version."), _("Sign off"))


def _run(action: str, node: Node, bia: BusinessImpactAnalysis | None, user) -> str:
    """Do the action; the success message. ValidationError when it cannot be done."""
    if action == "start":
        was = bia.version if bia is not None else None
        new = services.bia_start(activity=node)
        if was is not None and new.version != was:
            return _("Version %(v)d of the BIA started from version %(old)d.") % {
                "v": new.version, "old": was}
        return _("Version %(v)d of the BIA is a draft.") % {"v": new.version}
    if bia is None:
        raise ValidationError(_("This activity has no BIA yet."))
    if action == "submit":
        services.bia_submit(bia=bia, user=user)
        return _("Version %(v)d of the BIA is submitted.") % {"v": bia.version}
    if action == "return_to_draft":
        services.bia_return_to_draft(bia=bia, user=user)
        return _("Version %(v)d of the BIA is a draft again.") % {"v": bia.version}
    services.bia_sign_off(bia=bia, user=user)
    return _("Version %(v)d of the BIA is signed off.") % {"v": bia.version}


def _possible(action: str, bia: BusinessImpactAnalysis | None) -> bool:
    status = bia.status if bia is not None else None
    return {"start": status in (None, BiaStatus.DRAFT, BiaStatus.SIGNED_OFF),
            "submit": status == BiaStatus.DRAFT,
            "return_to_draft": status == BiaStatus.SUBMITTED,
            "sign_off": status == BiaStatus.SUBMITTED}[action]


def _lifecycle(request: HttpRequest, uuid, action: str) -> HttpResponse:
    node = _activity(request, uuid)
    role = _role(request.user, node)
    allowed = role == Role.ADMIN if ACTIONS[action].admin_only else role in WRITE_ROLES
    if not allowed:
        raise PermissionDenied
    bia = services.bia_current(activity=node)
    if request.method == "POST":
        try:
            message = _run(action, node, bia, request.user)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
        return redirect("impact:activity", uuid=node.uuid)
    title, explanation, button = _action_texts(action, bia)
    scale = selectors.scale_data(top_id=node.top_id)
    return render(request, "impact/confirm.html", {
        "activity": node, "bia": bia, "action": action, "title": title,
        "explanation": explanation, "button": button, "possible": _possible(action, bia),
        "grid": build_grid(scale, _levels_of(bia), declared=node.declared_dmia_hours),
        "action_url": reverse(f"impact:{action}", kwargs={"uuid": node.uuid}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, uuid) -> HttpResponse:
    return _lifecycle(request, uuid, "start")


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, uuid) -> HttpResponse:
    return _lifecycle(request, uuid, "submit")


@login_required
@require_http_methods(["GET", "POST"])
def return_to_draft(request: HttpRequest, uuid) -> HttpResponse:
    return _lifecycle(request, uuid, "return_to_draft")


@login_required
@require_http_methods(["GET", "POST"])
def sign_off(request: HttpRequest, uuid) -> HttpResponse:
    return _lifecycle(request, uuid, "sign_off")


@login_required
@require_safe
def version(request: HttpRequest, uuid) -> HttpResponse:
    """One version of a BIA, read-only (with what was signed, for a signed-off one)."""
    visible = nodes_visible_to(user=request.user, node_type=NodeType.ACTIVITY)
    bia = get_object_or_404(BusinessImpactAnalysis.objects.select_related(
        "activity__organization", "activity__top", "submitted_by", "signed_off_by")
        .filter(activity__in=visible.values("pk")), uuid=uuid)
    node = bia.activity
    scale = selectors.scale_data(top_id=node.top_id)
    signoff = bia.signoff or {}
    snapshot = (signoff.get("dmia_hours"), signoff.get("dmia_source", rules.COMPUTED)) \
        if bia.status == BiaStatus.SIGNED_OFF and bia.signoff else None
    return render(request, "impact/version.html", {
        "activity": node, "bia": bia, "versions": _versions(node), "signoff": signoff,
        "grid": build_grid(scale, _levels_of(bia), declared=node.declared_dmia_hours,
                           dmia=snapshot),
        "signed_pdma": format_hours(signoff.get("pdma_hours")),
        "signed_declared": format_hours(signoff.get("declared_dmia_hours")),
        "levels": defaults.LEVELS,
    })


# --- Campaigns ----------------------------------------------------------------------------------

DONE, LATE, IN_PROGRESS, MISSING = "done", "late", "in_progress", "missing"
CAMPAIGN_STATES = (DONE, IN_PROGRESS, MISSING, LATE)


def campaign_state_label(state: str) -> str:
    return {DONE: _("Done"), LATE: _("Late"), IN_PROGRESS: _("In progress"),
            MISSING: _("Not started")}[state]


def campaign_state(row: selectors.ActivityBia, campaign: BiaCampaign, today) -> str:
    """Done when the latest version is signed off; else late once the due date has passed;
    else in progress (a draft or a submitted version) or missing (no BIA)."""
    if row.current is not None and row.current.status == BiaStatus.SIGNED_OFF:
        return DONE
    if today > campaign.due_on:
        return LATE
    return MISSING if row.current is None else IN_PROGRESS


@dataclass
class Progress:
    """A campaign and where its activities stand."""

    campaign: BiaCampaign
    items: list[tuple[Summary, str]]
    today: Any

    @property
    def counts(self) -> list[tuple[str, str, int, float]]:
        """(state, label, count, percent of the total) in display order."""
        total = len(self.items) or 1
        return [(state, campaign_state_label(state), n, round(100 * n / total, 1))
                for state in CAMPAIGN_STATES
                for n in [sum(1 for _s, st in self.items if st == state)]]

    @property
    def count_of(self) -> dict[str, int]:
        return {state: n for state, _label, n, _pct in self.counts}

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done_percent(self) -> int:
        return round(100 * self.count_of[DONE] / self.total) if self.total else 0

    @property
    def bar(self) -> list[tuple[str, str, int, float, float]]:
        """Segments of the stacked bar: (state, label, count, x %, width %)."""
        out, x = [], 0.0
        for state, label, n, percent in self.counts:
            if n:
                out.append((state, label, n, x, percent))
                x += percent
        return out

    @property
    def overdue(self) -> bool:
        return self.today > self.campaign.due_on

    @property
    def days_left(self) -> int:
        return (self.campaign.due_on - self.today).days


def campaigns_visible_to(*, user) -> QuerySet[BiaCampaign]:
    """Campaigns of the organizations the user sees, and of the ones above them (an ET's
    users follow the GHT's campaign, for their own activities)."""
    access = access_for(user)
    qs = BiaCampaign.objects.select_related("organization")
    if access.is_superuser:
        return qs
    ids = set(access.organization_ids)
    for parent, root in Organization.objects.filter(id__in=ids).values_list("parent_id",
                                                                           "root_id"):
        ids.update(x for x in (parent, root) if x is not None)
    return qs.filter(organization_id__in=ids)


def _subtrees(tree: list[tuple[int, int | None]], roots: set[int]) -> dict[int, set[int]]:
    """{root: the root and every organization below it}, from (id, parent id) pairs."""
    children: dict[int | None, list[int]] = {}
    for org_id, parent_id in tree:
        children.setdefault(parent_id, []).append(org_id)
    out = {}
    for root in roots:
        seen, stack = set(), [root]
        while stack:
            current = stack.pop()
            seen.add(current)
            stack.extend(children.get(current, []))
        out[root] = seen
    return out


def _progress(user, campaigns: list[BiaCampaign]) -> list[Progress]:
    """Where the visible activities of each campaign stand (a fixed number of queries)."""
    if not campaigns:
        return []
    tree = list(Organization.objects.values_list("id", "parent_id"))
    scopes = _subtrees(tree, {c.organization_id for c in campaigns})
    wanted = set().union(*scopes.values())
    rows = summaries(selectors.bia_rows_visible_to(user=user, organization_ids=wanted))
    today = timezone.localdate()
    return [Progress(c, [(s, campaign_state(s.row, c, today)) for s in rows
                         if s.activity.organization_id in scopes[c.organization_id]], today)
            for c in campaigns]


def _admin_organizations(user) -> list[Organization]:
    access = access_for(user)
    return [o for o in organizations_visible_to(user=user).order_by("code")
            if access.role_on(o.id) == Role.ADMIN]


def _campaign(request: HttpRequest, uuid) -> BiaCampaign:
    return get_object_or_404(campaigns_visible_to(user=request.user), uuid=uuid)


def _require_admin_of(user, campaign: BiaCampaign) -> None:
    if access_for(user).role_on(campaign.organization_id) != Role.ADMIN:
        raise PermissionDenied


@login_required
@require_safe
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(campaigns_visible_to(user=request.user).order_by("-due_on", "name"))
    access = access_for(request.user)
    return render(request, "impact/campaign_list.html", {
        "progresses": _progress(request.user, campaigns),
        "can_create": access.is_superuser or Role.ADMIN in access.roles.values(),
    })


@login_required
@require_safe
def campaign_detail(request: HttpRequest, uuid) -> HttpResponse:
    campaign = _campaign(request, uuid)
    progress = _progress(request.user, [campaign])[0]
    state = request.GET.get("state", "")
    items = [i for i in progress.items if i[1] == state] if state in CAMPAIGN_STATES \
        else progress.items
    return render(request, "impact/campaign_detail.html", {
        "campaign": campaign, "progress": progress, "state": state,
        "items": [(s, st, campaign_state_label(st)) for s, st in items],
        "can_admin": access_for(request.user).role_on(campaign.organization_id) == Role.ADMIN,
    })


def _campaign_form(request: HttpRequest, campaign: BiaCampaign | None) -> HttpResponse:
    organizations = _admin_organizations(request.user)
    if not organizations:
        raise PermissionDenied
    form = CampaignForm(request.POST or None, organizations=organizations, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if campaign is None:
                campaign = services.campaign_create(
                    organization=data["organization"], name=data["name"],
                    starts_on=data["starts_on"], due_on=data["due_on"])
            else:
                campaign = services.campaign_update(
                    campaign=campaign, organization=data["organization"], name=data["name"],
                    starts_on=data["starts_on"], due_on=data["due_on"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": campaign})
            return redirect("impact:campaign_detail", uuid=campaign.uuid)
    cancel = (reverse("impact:campaign_detail", kwargs={"uuid": campaign.uuid})
              if campaign is not None and campaign.pk else reverse("impact:campaign_list"))
    return render(request, "impact/campaign_form.html", {
        "form": form, "campaign": campaign, "cancel_url": cancel,
        "title": _("Edit %(object)s") % {"object": campaign.name} if campaign is not None
        else _("New BIA campaign")})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, uuid) -> HttpResponse:
    campaign = _campaign(request, uuid)
    _require_admin_of(request.user, campaign)
    return _campaign_form(request, campaign)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_delete(request: HttpRequest, uuid) -> HttpResponse:
    campaign = _campaign(request, uuid)
    _require_admin_of(request.user, campaign)
    if request.method == "POST":
        services.campaign_delete(campaign=campaign)
        messages.success(request, _("Deleted: %(object)s.") % {"object": campaign})
        return redirect("impact:campaign_list")
    return render(request, "core/confirm_delete.html", {
        "object": campaign, "title": _("Delete %(object)s") % {"object": campaign.name},
        "cancel_url": reverse("impact:campaign_detail", kwargs={"uuid": campaign.uuid})})


# --- Scale --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scale(request: HttpRequest) -> HttpResponse:
    """The impact scale of a GHT: editable by its administrators, read-only for the others."""
    access = access_for(request.user)
    tops = list(Organization.objects.filter(root__isnull=True).order_by("code")
                if access.is_superuser else tops_visible_to(user=request.user).order_by("code"))
    top = next((t for t in tops if str(t.uuid) == request.GET.get("ght")), None) or (
        tops[0] if tops else None)
    can_edit = top is not None and access.role_on(None, top_id=top.id) == Role.ADMIN
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    if top is None:
        return render(request, "impact/scale.html", {"tops": tops, "top": None})
    data = selectors.scale_data(top_id=top.id)
    form = ScaleForm(request.POST if request.method == "POST" else None, scale=data)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.scale_update(scale=ImpactScale.objects.get(pk=data.id),
                                      threshold=form.cleaned_data["threshold"],
                                      criticality_classes=form.classes())
                services.criteria_update(scale_id=data.id, changes=form.criteria())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Impact scale saved."))
            return redirect(f"{reverse('impact:scale')}?ght={top.uuid}")
    return render(request, "impact/scale.html", {
        "tops": tops, "top": top, "scale": data, "form": form, "can_edit": can_edit,
        "levels": defaults.LEVELS,
        "classes": [(format_hours(b) if b is not None else "", name, f"crit-{min(i, 5)}")
                    for i, (b, name) in enumerate(data.classes, start=1)],
    })
