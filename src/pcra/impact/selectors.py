"""Reads of the BIA and of readiness, scoped by the user (DESIGN §5).

Everything a page needs is loaded in a fixed number of queries whatever the number of
activities; the rules are applied by the pure-Python core (``rules.py``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pcra.impact import rules
from pcra.impact.models import BiaStatus, BusinessImpactAnalysis, ImpactLevel, ImpactScale
from pcra.inventory.models import Node, NodeType
from pcra.inventory.selectors import nodes_visible_to

MISSING = "missing"


@dataclass(frozen=True)
class Criterion:
    id: int
    code: str
    label: str
    descriptions: tuple[str, ...]


@dataclass(frozen=True)
class Horizon:
    id: int
    code: str
    label: str
    hours: float


@dataclass(frozen=True)
class ScaleData:
    """A GHT's impact scale as plain data (what the rules and the grid need)."""

    id: int
    top_id: int
    threshold: int
    classes: tuple
    criteria: tuple[Criterion, ...]
    horizons: tuple[Horizon, ...]

    @property
    def rule_scale(self) -> rules.Scale:
        return rules.Scale(horizons=tuple((h.code, h.hours) for h in self.horizons),
                           threshold=self.threshold)

    def criticality(self, dmia_hours: float | None) -> str:
        return rules.criticality_class(dmia_hours, self.classes)


def scale_data(*, top_id: int) -> ScaleData:
    """The scale of a GHT (created with the defaults when missing). Three queries."""
    scale = ImpactScale.objects.filter(top_id=top_id).first()
    if scale is None:
        from pcra.impact.services import scale_ensure
        from pcra.organizations.models import Organization

        scale = scale_ensure(top=Organization.objects.get(pk=top_id))
    criteria = tuple(Criterion(c.id, c.code, c.label, tuple(c.level_descriptions or ()))
                     for c in scale.criteria.all())
    horizons = tuple(Horizon(h.id, h.code, h.label, float(h.hours))
                     for h in scale.horizons.all())
    classes = tuple(tuple(c) for c in (scale.criticality_classes or []))
    return ScaleData(scale.id, scale.top_id, scale.threshold, classes, criteria, horizons)


def _levels_by_cell(bia_ids) -> dict[int, dict[tuple[str, str], int]]:
    out: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    rows = ImpactLevel.objects.filter(bia_id__in=bia_ids).values_list(
        "bia_id", "criterion__code", "horizon__code", "level")
    for bia_id, crit, hor, level in rows:
        out[bia_id][(crit, hor)] = level
    return out


def _float(value) -> float | None:
    return float(value) if value is not None else None


def activity_dmia(*, bia: BusinessImpactAnalysis | None, activity: Node) -> tuple:
    """(DMIA hours or None, "declared" | "computed") of an activity for one BIA version."""
    scale = scale_data(top_id=activity.top_id)
    levels = _levels_by_cell([bia.pk]).get(bia.pk, {}) if bia is not None else {}
    computed = rules.dmia_hours(levels, scale.rule_scale)
    return rules.effective_dmia(computed, _float(activity.declared_dmia_hours))


@dataclass
class ActivityBia:
    """What the BIA says of one activity (its current and its effective version)."""

    activity: Node
    current: BusinessImpactAnalysis | None
    effective: BusinessImpactAnalysis | None
    levels: dict[tuple[str, str], int] = field(default_factory=dict)
    computed_dmia_hours: float | None = None
    dmia_hours: float | None = None
    dmia_source: str = "computed"
    pdma_hours: float | None = None
    criticality: str = ""
    horizon_max: list[int | None] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.current.status if self.current is not None else MISSING


def _bia_rows(activities: list[Node], scales: dict[int, ScaleData]) -> list[ActivityBia]:
    bias = list(BusinessImpactAnalysis.objects.filter(activity__in=activities)
                .order_by("activity_id", "-version"))
    current: dict[int, BusinessImpactAnalysis] = {}
    signed: dict[int, BusinessImpactAnalysis] = {}
    for bia in bias:
        current.setdefault(bia.activity_id, bia)
        if bia.status == BiaStatus.SIGNED_OFF:
            signed.setdefault(bia.activity_id, bia)
    # The signed-off version stays in force while a new version is being written.
    effective = {a: signed.get(a, current[a]) for a in current}
    levels = _levels_by_cell([b.pk for b in effective.values()])
    rows = []
    for activity in activities:
        scale = scales[activity.top_id]
        eff = effective.get(activity.pk)
        cells = levels.get(eff.pk, {}) if eff is not None else {}
        computed = rules.dmia_hours(cells, scale.rule_scale)
        dmia, source = rules.effective_dmia(computed, _float(activity.declared_dmia_hours))
        horizon_max = rules.horizon_maxima(cells, scale.rule_scale)
        rows.append(ActivityBia(
            activity=activity, current=current.get(activity.pk), effective=eff, levels=cells,
            computed_dmia_hours=computed, dmia_hours=dmia, dmia_source=source,
            pdma_hours=_float(activity.pdma_hours), criticality=scale.criticality(dmia),
            horizon_max=horizon_max))
    return rows


def bia_row_of(*, activity: Node, scale: ScaleData | None = None) -> ActivityBia:
    """The BIA of one activity (the caller has checked the user may see it)."""
    scale = scale or scale_data(top_id=activity.top_id)
    return _bia_rows([activity], {activity.top_id: scale})[0]


def bia_rows_visible_to(*, user, organization_ids: set[int] | None = None) -> list[ActivityBia]:
    """The BIA of every activity the user may see (optionally of some organizations)."""
    qs = nodes_visible_to(user=user, node_type=NodeType.ACTIVITY).order_by("code")
    if organization_ids is not None:
        qs = qs.filter(organization_id__in=organization_ids)
    activities = list(qs)
    scales = {top: scale_data(top_id=top) for top in {a.top_id for a in activities}}
    return _bia_rows(activities, scales)


def bia_rows_of_top(*, top_id: int) -> list[ActivityBia]:
    """Every activity's BIA in a GHT (unscoped: for commands and the readiness core)."""
    activities = list(Node.objects.filter(top_id=top_id, node_type=NodeType.ACTIVITY)
                      .select_related("organization").order_by("code"))
    return _bia_rows(activities, {top_id: scale_data(top_id=top_id)})


# --- readiness ------------------------------------------------------------------------------


@dataclass
class TopReadiness:
    """Readiness of a whole GHT: the rules' result plus what the pages and reports show.

    ``nodes`` maps node id → Node (every node of the GHT, unscoped: callers show only what the
    user may see); ``bia`` maps activity id → ActivityBia.
    """

    top_id: int
    result: rules.Readiness
    nodes: dict[int, Node]
    bia: dict[int, ActivityBia]
    scale: ScaleData


def restore_durations(nodes: list[Node]) -> dict[int, rules.Duration]:
    """Restore duration of each application and component: measured by its newest passed
    restore test (the full-restore time, extrapolated from a sample), else the declared
    estimate, else unknown."""
    from pcra.restoretests.selectors import measured_restore_hours

    candidates = [node for node in nodes if node.node_type != NodeType.ACTIVITY]
    measured = measured_restore_hours(candidates)
    return {
        node.pk: rules.best_duration(measured.get(node.pk), _float(node.restore_hours_estimate))
        for node in candidates
    }


def readiness_of_top(*, top_id: int) -> TopReadiness:
    """Required objectives and achieved capabilities of every node of a GHT (a fixed number of
    queries: nodes, edges, BIAs, levels, scale)."""
    from pcra.inventory.selectors import load_graph

    nodes = list(Node.objects.filter(top_id=top_id).select_related("organization"))
    by_id = {node.pk: node for node in nodes}
    graph = load_graph(top_id=top_id)
    scale = scale_data(top_id=top_id)
    activities = [n for n in nodes if n.node_type == NodeType.ACTIVITY]
    activities.sort(key=lambda n: n.code)
    bia = {row.activity.pk: row for row in _bia_rows(activities, {top_id: scale})}
    inputs = {pk: rules.ActivityBia(dmia_hours=row.dmia_hours, pdma_hours=row.pdma_hours)
              for pk, row in bia.items() if pk in graph.activities}
    result = rules.compute_readiness(graph, inputs, restore_durations(nodes))
    return TopReadiness(top_id=top_id, result=result, nodes=by_id, bia=bia, scale=scale)
