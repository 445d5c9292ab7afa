"""Reads of the restore-tests app, scoped to what the user may see (DESIGN §5), and the
measured restore durations that readiness and the recovery schedule use."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pcra.accounts.access import access_for
from pcra.accounts.models import Role
from pcra.restoretests.models import (
    Agent,
    Level,
    RestoreTestDefinition,
    RestoreTestRun,
    RunState,
)


def _scoped(qs: QuerySet, user, prefix: str) -> QuerySet:
    access = access_for(user)
    if access.is_superuser:
        return qs
    return qs.filter(Q(**{f"{prefix}organization_id__in": access.organization_ids})
                     | Q(**{f"{prefix}organization__isnull": True,
                            f"{prefix}top_id__in": access.top_ids}))


def definitions_visible_to(*, user) -> QuerySet[RestoreTestDefinition]:
    return _scoped(RestoreTestDefinition.objects.all(), user,
                   "copy__data_asset__node__").select_related(
        "copy", "copy__data_asset", "copy__data_asset__node", "agent", "referent")


def runs_visible_to(*, user) -> QuerySet[RestoreTestRun]:
    return _scoped(RestoreTestRun.objects.all(), user, "copy__data_asset__node__").select_related(
        "copy", "copy__data_asset", "copy__data_asset__node",
        "copy__data_asset__node__organization", "definition", "agent", "requested_by")


def agents_visible_to(*, user) -> QuerySet[Agent]:
    """Agents of the organizations the user administers (and what is below them)."""
    access = access_for(user)
    qs = Agent.objects.select_related("organization")
    if access.is_superuser:
        return qs
    admin_orgs = {org for org, role in access.roles.items() if role == Role.ADMIN}
    return qs.filter(organization_id__in=admin_orgs)


def can_manage_agents(user, organization_id: int) -> bool:
    return access_for(user).role_on(organization_id) == Role.ADMIN


def measured_restore_hours(nodes) -> dict[int, float]:
    """Per node, the full-restore duration (hours) measured by its newest passed restore test
    (level 2 or 3; a sample's time extrapolated to the whole snapshot). One query, filtered by
    the nodes' GHTs (no list of ids, however many nodes)."""
    nodes = list(nodes)
    wanted = {node.pk for node in nodes}
    rows = (RestoreTestRun.objects
            .filter(copy__data_asset__node__top_id__in={node.top_id for node in nodes},
                    status=RunState.PASSED, level__gte=Level.RESTORE,
                    extrapolated_full_seconds__isnull=False)
            .order_by("copy__data_asset__node_id", "-finished_at")
            .values_list("copy__data_asset__node_id", "extrapolated_full_seconds"))
    result: dict[int, float] = {}
    for node_id, seconds in rows:
        if node_id in wanted and node_id not in result:
            result[node_id] = seconds / 3600
    return result
