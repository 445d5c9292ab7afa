"""Readiness pages (DESIGN §4.4): what the BIA requires of each activity next to what the
information system achieves, the gap, the chain of nodes behind the achieved figure, the
activities × horizons heatmap and the BIA report of an establishment as a PDF.

Reads go through the selectors: the activities are those the user may see
(``bia_rows_visible_to``), the figures come from ``readiness_of_top`` (one per GHT the user
works in, a fixed number of queries each). Nodes the user may not see are never named: a chain
through them only says how many there are. An activity or organization out of scope is a 404.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from pcra.accounts.access import access_for
from pcra.core.crud import format_hours
from pcra.impact import rules, selectors
from pcra.impact.management.commands.report_bia import organization_ids
from pcra.impact.views import ActivityRowDisplay, _activity
from pcra.inventory.models import Node
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organizations_visible_to


def source_label(source: str) -> str:
    return {rules.DECLARED: _("declared"), rules.MEASURED: _("measured")}.get(source,
                                                                              _("unknown"))


@dataclass
class ReadinessRow(ActivityRowDisplay):
    """One activity's required and achieved objectives, as the pages show them."""

    row: selectors.ActivityBia
    ready: selectors.TopReadiness

    @property
    def scale(self) -> selectors.ScaleData:
        return self.ready.scale

    @property
    def capability(self) -> rules.Capability | None:
        return self.ready.result.achieved.get(self.activity.pk)

    @property
    def required_rto(self) -> str:
        return self.dmia

    @property
    def achieved_hours(self) -> float | None:
        cap = self.capability
        return cap.rto_hours if cap is not None else None

    @property
    def achieved_rto(self) -> str:
        return format_hours(self.achieved_hours)

    @property
    def source(self) -> str:
        cap = self.capability
        return cap.source if cap is not None else rules.UNKNOWN

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def gap_hours(self) -> float | None:
        """Achieved minus required RTO, as the rules define it (None when either is unknown)."""
        if self.activity.pk not in self.ready.result.achieved:
            return None
        return self.ready.result.gap(self.activity.pk)

    @property
    def gap(self) -> str:
        gap = self.gap_hours
        if gap is None:
            return ""
        return ("+" if gap > 0 else "") + format_hours(gap)

    @property
    def state(self) -> str:
        """``late``, ``on-time`` or ``unknown`` (the CSS class of the gap)."""
        gap = self.gap_hours
        if gap is None:
            return "unknown"
        return "late" if gap > 0 else "on-time"

    @property
    def state_label(self) -> str:
        return {"late": _("late"), "on-time": _("on time")}.get(self.state, _("unknown"))

    @property
    def required_rpo(self) -> str:
        return self.pdma

    @property
    def heat(self) -> list[tuple[Any, int | None]]:
        """(horizon, highest level at it) in horizon order."""
        return list(zip(self.scale.horizons, self.row.horizon_max, strict=False))

    @property
    def url(self) -> str:
        return reverse("readiness:activity", kwargs={"uuid": self.activity.uuid})


def readiness_rows(*, user, organization_ids: set[int] | None = None) -> list[ReadinessRow]:
    """Every activity the user may see with its readiness (one ``readiness_of_top`` per GHT)."""
    rows = selectors.bia_rows_visible_to(user=user, organization_ids=organization_ids)
    tops = {top: selectors.readiness_of_top(top_id=top)
            for top in sorted({r.activity.top_id for r in rows})}
    return [ReadinessRow(row=r, ready=tops[r.activity.top_id]) for r in rows]


def _groups(rows: list[ReadinessRow]) -> list[dict]:
    """Rows grouped by establishment (in code order), each group with its scale's horizons."""
    groups: dict[int, dict] = {}
    for r in sorted(rows, key=lambda r: (r.activity.organization.code, r.activity.code)):
        org = r.activity.organization
        groups.setdefault(org.pk, {"organization": org, "horizons": r.scale.horizons,
                                   "rows": []})["rows"].append(r)
    return list(groups.values())


def _establishments(user) -> list[Organization]:
    return list(organizations_visible_to(user=user).exclude(root__isnull=True)
                .order_by("code"))


def _chosen_ids(request: HttpRequest, choices: list[Organization]) -> tuple[str, set | None]:
    chosen = request.GET.get("organization", "")
    for org in choices:
        if str(org.uuid) == chosen:
            return chosen, organization_ids(Organization(pk=org.top_id), org)
    return "", None


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The readiness dashboard: required and achieved RTO of every visible activity."""
    choices = _establishments(request.user)
    chosen, ids = _chosen_ids(request, choices)
    rows = readiness_rows(user=request.user, organization_ids=ids)
    classes = Counter(r.criticality for r in rows)
    states = Counter(r.state for r in rows)
    return render(request, "impact/readiness_index.html", {
        "rows": rows, "choices": choices, "chosen": chosen,
        "classes": sorted(classes.items()), "late": states["late"],
        "on_time": states["on-time"], "unknown": states["unknown"],
        "by_establishment": by_establishment(rows)})


@dataclass
class EstablishmentSummary:
    """One establishment's line of the GHT readiness dashboard."""

    organization: Organization
    activities: int = 0
    critical: int = 0  # activities with a DMIA
    late: int = 0
    on_time: int = 0
    unknown: int = 0


def by_establishment(rows: list[ReadinessRow]) -> list[EstablishmentSummary]:
    """Counts per establishment, for the GHT view (no query: from the rows)."""
    summaries: dict[int, EstablishmentSummary] = {}
    for r in rows:
        org = r.activity.organization
        summary = summaries.setdefault(org.pk, EstablishmentSummary(organization=org))
        summary.activities += 1
        summary.critical += r.row.dmia_hours is not None
        summary.late += r.state == "late"
        summary.on_time += r.state == "on-time"
        summary.unknown += r.state == "unknown"
    return sorted(summaries.values(), key=lambda s: s.organization.code)


def _chain(request: HttpRequest, ready: selectors.TopReadiness,
           cap: rules.Capability | None) -> tuple[list[dict], int, list[Node], int]:
    """(visible chain steps, hidden steps, visible unknown nodes, hidden unknown nodes)."""
    if cap is None:
        return [], 0, [], 0
    access = access_for(request.user)

    def visible(node: Node) -> bool:
        return access.can_read(node.organization_id, top_id=node.top_id)

    durations = selectors.restore_durations([ready.nodes[pk] for pk in cap.chain[1:]])
    steps, hidden = [], 0
    for pk in cap.chain[1:]:
        node = ready.nodes[pk]
        if not visible(node):
            hidden += 1
            continue
        duration = durations[pk]
        steps.append({"node": node, "hours": format_hours(duration.hours),
                      "source": duration.source, "source_label": source_label(duration.source)})
    unknown = sorted((ready.nodes[pk] for pk in cap.unknown), key=lambda n: n.code)
    shown = [n for n in unknown if visible(n)]
    return steps, hidden, shown, len(unknown) - len(shown)


@login_required
@require_safe
def activity(request: HttpRequest, uuid) -> HttpResponse:
    """The readiness card of one activity (404 when the user may not see it)."""
    node = _activity(request, uuid)
    ready = selectors.readiness_of_top(top_id=node.top_id)
    if node.pk not in ready.bia:
        raise Http404
    row = ReadinessRow(row=ready.bia[node.pk], ready=ready)
    steps, hidden, unknown, hidden_unknown = _chain(request, ready, row.capability)
    required = ready.result.required.get(node.pk, rules.NO_REQUIREMENT)
    from pcra.recovery.selectors import activity_rto_by_scenario

    return render(request, "impact/readiness_activity.html", {
        "r": row, "heat_rows": [row], "required": required, "steps": steps, "hidden": hidden,
        "unknown": unknown, "hidden_unknown": hidden_unknown,
        "scenarios": activity_rto_by_scenario(user=request.user, activity=node)})


@login_required
@require_safe
def heatmap(request: HttpRequest) -> HttpResponse:
    """Activities × horizons, the highest impact level at each horizon, by establishment."""
    choices = _establishments(request.user)
    chosen, ids = _chosen_ids(request, choices)
    rows = readiness_rows(user=request.user, organization_ids=ids)
    return render(request, "impact/readiness_heatmap.html", {
        "groups": _groups(rows), "choices": choices, "chosen": chosen})


@login_required
@require_safe
def report_pdf(request: HttpRequest, uuid) -> HttpResponse:
    """The BIA report of an organization as a PDF (404 when the user may not read it)."""
    from pcra.impact.reports import bia_report_pdf

    organization = get_object_or_404(Organization.objects.select_related("root"), uuid=uuid)
    if not access_for(request.user).can_read(organization.pk):
        raise Http404
    pdf = bia_report_pdf(organization=organization, user=request.user,
                         base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bia-{organization.code}.pdf"'
    return response
