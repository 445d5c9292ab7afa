"""Read helpers for the graph pages (``graph_views``): impact, needs and single points of failure.

They load one or more GHT graphs with what the pages show, scoped to the user; the
computations themselves live in the pure-Python core :mod:`pcra.inventory.graph`.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Q
from django.http import Http404

from pcra.accounts.access import access_for
from pcra.inventory.graph import (
    DependencyGraph,
    Edge,
    set_bits,
    single_failure_killers,
    single_points_of_failure_of,
)
from pcra.inventory.models import ActivityKind, ComponentKind, Dependency, Hosting, Node, NodeType
from pcra.inventory.selectors import nodes_visible_to

Key = Hashable


# --- Loading a GHT graph for the pages ----------------------------------------------------

_KIND_LABELS = {
    NodeType.ACTIVITY: dict(ActivityKind.choices),
    NodeType.APPLICATION: dict(Hosting.choices),
    NodeType.COMPONENT: dict(ComponentKind.choices),
}
_TYPE_LABELS = dict(NodeType.choices)
_TYPE_ORDER = {NodeType.ACTIVITY: 0, NodeType.APPLICATION: 1, NodeType.COMPONENT: 2}


@dataclass(frozen=True)
class NodeInfo:
    """What the graph pages know of one node (``visible`` says whether they may show it)."""

    id: int
    uuid: UUID
    code: str
    name: str
    node_type: str
    kind: str
    organization_id: int | None
    organization_code: str
    top_id: int
    visible: bool
    top_code: str = ""

    @property
    def type_label(self) -> str:
        return _TYPE_LABELS.get(self.node_type, self.node_type)

    @property
    def kind_label(self) -> str:
        return _KIND_LABELS.get(self.node_type, {}).get(self.kind, "")

    @property
    def is_activity(self) -> bool:
        return self.node_type == NodeType.ACTIVITY


def _sort_key(info: NodeInfo) -> tuple:
    return (_TYPE_ORDER.get(info.node_type, 9), info.code)


@dataclass
class LoadedGraph:
    """Whole graph of one or more GHT (impact needs it all) and what the user may see of it."""

    nodes: dict[int, NodeInfo]
    graph: DependencyGraph

    def split(self, ids: Iterable[int]) -> tuple[list[NodeInfo], int]:
        """The visible nodes among ``ids`` (sorted by type then code) and how many are hidden."""
        shown, hidden = [], 0
        for node_id in ids:
            info = self.nodes.get(node_id)
            if info is None:
                continue
            if info.visible:
                shown.append(info)
            else:
                hidden += 1
        shown.sort(key=_sort_key)
        return shown, hidden


def load_graph_for(*, user, top_ids: Iterable[int]) -> LoadedGraph:
    """Every node and edge of the given GHT (two queries), each node marked visible or not.

    The caller passes tops the user works in; nodes outside the user's scope are loaded too,
    because they carry impact, but are marked ``visible=False`` and never shown by name.
    """
    access = access_for(user)
    tops = list(top_ids)
    rows = Node.objects.filter(top_id__in=tops).values_list(
        "id", "uuid", "code", "name", "node_type", "activity_kind", "hosting", "component_kind",
        "organization_id", "organization__code", "top_id", "top__code")
    nodes: dict[int, NodeInfo] = {}
    activities = []
    for (pk, uuid, code, name, node_type, activity_kind, hosting, component_kind, org_id,
         org_code, top_id, top_code) in rows:
        kind = {NodeType.ACTIVITY: activity_kind, NodeType.APPLICATION: hosting}.get(
            node_type, component_kind)
        nodes[pk] = NodeInfo(pk, uuid, code, name, node_type, kind, org_id, org_code or "",
                             top_id, access.can_read(org_id, top_id=top_id), top_code)
        if node_type == NodeType.ACTIVITY:
            activities.append(pk)
    edges = [
        Edge(s, t, float(a) if a is not None else None, g)
        for s, t, a, g in Dependency.objects.filter(top_id__in=tops).values_list(
            "source_id", "target_id", "degraded_autonomy_hours", "redundancy_group")
    ]
    return LoadedGraph(nodes, DependencyGraph(activities, edges))


def visible_node_or_404(*, user, uuid: UUID) -> Node:
    node = nodes_visible_to(user=user).filter(uuid=uuid).first()
    if node is None:
        raise Http404("no such node")
    return node


def info_of(node: Node) -> NodeInfo:
    """The :class:`NodeInfo` of a node the caller already knows is visible."""
    kind = {NodeType.ACTIVITY: node.activity_kind, NodeType.APPLICATION: node.hosting}.get(
        node.node_type, node.component_kind)
    return NodeInfo(node.id, node.uuid, node.code, node.name, node.node_type, kind,
                    node.organization_id,
                    node.organization.code if node.organization_id else "", node.top_id, True,
                    node.top.code)


def search_nodes(*, user, query: str, limit: int = 50) -> list[NodeInfo]:
    """Visible nodes whose code or name contains ``query``, by code (one query)."""
    query = query.strip()
    qs = nodes_visible_to(user=user)
    if query:
        qs = qs.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return [info_of(node) for node in qs.order_by("code", "top_id")[:limit]]


# --- What a node needs --------------------------------------------------------------------


@dataclass
class NeedRow:
    """A visible node of the closure and its direct dependencies, for the table."""

    node: NodeInfo
    depth: int
    targets: list[tuple[NodeInfo, Edge]]
    hidden_targets: int


@dataclass
class Needs:
    root: NodeInfo
    rows: list[NeedRow]
    hidden: int
    #: cytoscape elements (``nodes`` and ``edges``) with hidden nodes collapsed
    elements: dict = field(default_factory=dict)


def _hidden_clusters(members: set[int], edges: list[Edge]) -> dict[int, int]:
    """Weakly connected groups of hidden nodes: node id -> smallest id of its group."""
    parent = {m: m for m in members}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for edge in edges:
        if edge.source in parent and edge.target in parent:
            a, b = find(edge.source), find(edge.target)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {m: find(m) for m in members}


def needs_of(loaded: LoadedGraph, root_id: int, *, url_for, hidden_label) -> Needs:
    """The downstream closure of ``root_id``: rows for the table, elements for the drawing.

    ``url_for(info)`` gives a node's page; ``hidden_label(n)`` names a marker standing for
    ``n`` nodes outside the user's scope (hidden nodes connected to each other share one).
    """
    graph = loaded.graph
    depth = {root_id: 0}
    order = [root_id]
    queue = deque([root_id])
    while queue:
        current = queue.popleft()
        for edge in graph.out.get(current, ()):
            if edge.target not in depth:
                depth[edge.target] = depth[current] + 1
                order.append(edge.target)
                queue.append(edge.target)
    edges = [edge for node_id in order for edge in graph.out.get(node_id, ())]
    hidden = {n for n in order if not loaded.nodes[n].visible}
    clusters = _hidden_clusters(hidden, edges)
    cluster_size: dict[int, int] = defaultdict(int)
    for rep in clusters.values():
        cluster_size[rep] += 1
    cluster_ids = {rep: f"hidden-{i}" for i, rep in enumerate(sorted(cluster_size), 1)}

    rows = []
    for node_id in order:
        info = loaded.nodes[node_id]
        if not info.visible:
            continue
        targets, hidden_targets = [], 0
        for edge in graph.out.get(node_id, ()):
            target = loaded.nodes[edge.target]
            if target.visible:
                targets.append((target, edge))
            else:
                hidden_targets += 1
        targets.sort(key=lambda pair: (pair[1].group, _sort_key(pair[0])))
        rows.append(NeedRow(info, depth[node_id], targets, hidden_targets))
    rows.sort(key=lambda row: (row.depth, _sort_key(row.node)))

    def element_id(node_id: int) -> str:
        info = loaded.nodes[node_id]
        return str(info.uuid) if info.visible else cluster_ids[clusters[node_id]]

    cy_nodes = [
        {"data": {"id": str(row.node.uuid), "label": row.node.code, "name": row.node.name,
                  "type": row.node.node_type, "kind": str(row.node.kind_label),
                  "org": row.node.organization_code, "url": url_for(row.node),
                  "root": row.node.id == root_id}}
        for row in rows
    ]
    cy_nodes += [
        {"data": {"id": cluster_ids[rep], "label": str(hidden_label(size)), "type": "hidden",
                  "count": size}}
        for rep, size in sorted(cluster_size.items())
    ]
    cy_edges: dict[tuple[str, str], dict] = {}
    for edge in edges:
        source, target = element_id(edge.source), element_id(edge.target)
        if source == target:
            continue
        source_visible = loaded.nodes[edge.source].visible
        group = edge.group if source_visible else ""
        autonomy = edge.autonomy_hours if source_visible else None
        data = cy_edges.setdefault((source, target), {
            "id": f"e{len(cy_edges) + 1}", "source": source, "target": target,
            "group": group, "autonomy": autonomy})
        if data["group"] != group:  # merged edges into one marker: keep what they share
            data["group"] = ""
        if data["autonomy"] != autonomy:
            data["autonomy"] = None
    for data in cy_edges.values():
        parts = [data["group"]] if data["group"] else []
        if data["autonomy"] is not None:
            parts.append(f"{data['autonomy']:g} h")
        data["label"] = " · ".join(parts)
        data["alt"] = bool(data["group"])
    elements = {"nodes": cy_nodes, "edges": [{"data": d} for d in cy_edges.values()]}
    return Needs(loaded.nodes[root_id], rows, len(hidden), elements)


# --- What a loss impacts ------------------------------------------------------------------


@dataclass
class Impact:
    """Visible consequences of losing ``lost`` together; hidden ones only counted."""

    lost: list[NodeInfo]
    activities: list[NodeInfo]
    hidden_activities: int
    failed: list[NodeInfo]
    hidden_failed: int

    @property
    def activity_count(self) -> int:
        return len(self.activities) + self.hidden_activities


def impact_of(loaded: LoadedGraph, lost_ids: Iterable[int]) -> Impact:
    lost_ids = set(lost_ids)
    failed = loaded.graph.failed_nodes(lost_ids)
    activities = failed & loaded.graph.activities
    shown_activities, hidden_activities = loaded.split(activities)
    shown_failed, hidden_failed = loaded.split(failed - activities - lost_ids)
    lost, _ = loaded.split(lost_ids)
    return Impact(lost, shown_activities, hidden_activities, shown_failed, hidden_failed)


def spofs_of_activity(loaded: LoadedGraph, activity_id: int) -> tuple[list[NodeInfo], int]:
    """The nodes an activity needs whose loss alone stops it: visible ones, hidden count."""
    return loaded.split(single_points_of_failure_of(loaded.graph, activity_id))


# --- Single points of failure of the user's GHT -------------------------------------------


@dataclass
class SpofRow:
    node: NodeInfo
    activities: list[NodeInfo]
    hidden_activities: int

    @property
    def count(self) -> int:
        return len(self.activities) + self.hidden_activities


def _is_candidate(info: NodeInfo, node_type: str | None) -> bool:
    return info.visible and not info.is_activity and (not node_type or info.node_type == node_type)


def spof_rows(*, user, top_ids: Iterable[int], organization_ids: set[int] | None = None,
              node_type: str | None = None) -> list[SpofRow]:
    """Visible applications and components whose loss alone stops at least one activity.

    ``organization_ids``: only count activities of these organizations (an establishment
    filter); without it, activities outside the user's scope are counted but not named.
    Sorted by number of impacted activities, most first. Constant number of queries.
    """
    loaded = load_graph_for(user=user, top_ids=top_ids)
    by_top: dict[int, list[int]] = defaultdict(list)
    for activity_id in loaded.graph.activities:
        activity = loaded.nodes[activity_id]
        if organization_ids is None or (activity.visible
                                        and activity.organization_id in organization_ids):
            by_top[activity.top_id].append(activity_id)
    shown: dict[int, list[NodeInfo]] = defaultdict(list)
    hidden: dict[int, int] = defaultdict(int)
    for activity_ids in by_top.values():
        # One GHT at a time: its bit sets only span what its activities need.
        killers, keys = single_failure_killers(loaded.graph, activity_ids)
        wanted = int("".join(
            "1" if _is_candidate(loaded.nodes[key], node_type) else "0"
            for key in reversed(keys)) or "0", 2)
        for activity_id in activity_ids:
            activity = loaded.nodes[activity_id]
            for i in set_bits(killers[activity_id] & wanted):
                if activity.visible:
                    shown[keys[i]].append(activity)
                else:
                    hidden[keys[i]] += 1
    rows = [SpofRow(loaded.nodes[node_id], sorted(shown.get(node_id, []), key=_sort_key),
                    hidden.get(node_id, 0))
            for node_id in set(shown) | set(hidden)]
    rows.sort(key=lambda row: (-row.count, row.node.code, row.node.top_id))
    return rows

