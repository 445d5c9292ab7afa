"""Reads of the graph, always scoped to what the user may see (DESIGN §5)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pcra.accounts.access import access_for
from pcra.inventory.graph import DependencyGraph, Edge
from pcra.inventory.models import Dependency, Node, NodeType


def _node_scope(user) -> Q | None:
    """Q for the nodes ``user`` may see; None means everything (superuser)."""
    access = access_for(user)
    if access.is_superuser:
        return None
    return Q(organization_id__in=access.organization_ids) | Q(
        organization__isnull=True, top_id__in=access.top_ids)


def nodes_visible_to(*, user, node_type: str | None = None) -> QuerySet[Node]:
    qs = Node.objects.all()
    scope = _node_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    if node_type:
        qs = qs.filter(node_type=node_type)
    return qs.select_related("organization", "top")


def dependencies_visible_to(*, user) -> QuerySet[Dependency]:
    """Edges whose two ends the user may see."""
    qs = Dependency.objects.all()
    access = access_for(user)
    if not access.is_superuser:
        orgs, tops = access.organization_ids, access.top_ids
        qs = qs.filter(
            Q(source__organization_id__in=orgs)
            | Q(source__organization__isnull=True, source__top_id__in=tops)
        ).filter(
            Q(target__organization_id__in=orgs)
            | Q(target__organization__isnull=True, target__top_id__in=tops)
        )
    return qs.select_related("source", "target", "source__organization",
                             "target__organization")


def load_graph(*, top_id: int) -> DependencyGraph:
    """The whole graph of one GHT, keyed by node id (two queries).

    Impact is computed on the whole graph (a hidden component still breaks a visible
    activity); callers filter what they show.
    """
    activities = Node.objects.filter(top_id=top_id, node_type=NodeType.ACTIVITY).values_list(
        "id", flat=True)
    edges = [
        Edge(s, t, float(a) if a is not None else None, g)
        for s, t, a, g in Dependency.objects.filter(top_id=top_id).values_list(
            "source_id", "target_id", "degraded_autonomy_hours", "redundancy_group")
    ]
    return DependencyGraph(list(activities), edges)


def adjacency(*, top_id: int) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for s, t in Dependency.objects.filter(top_id=top_id).values_list("source_id", "target_id"):
        out.setdefault(s, []).append(t)
    return out
