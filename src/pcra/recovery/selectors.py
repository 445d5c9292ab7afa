"""Reads of the recovery app, scoped to what the user may see (DESIGN §5).

Scenarios, teams and plans belong to an organization (an establishment, or the GHT when
``organization`` is empty). A plan's tasks cover the whole GHT (a hidden component still
delays a visible activity): every task is returned, each marked ``visible`` or not, and the
pages never name a hidden one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from pcra.accounts.access import access_for
from pcra.recovery.models import PlanState, PlanTask, RecoveryPlan, RecoveryTeam, Scenario


def _scoped(qs: QuerySet, user) -> QuerySet:
    access = access_for(user)
    if access.is_superuser:
        return qs
    return qs.filter(Q(organization_id__in=access.organization_ids)
                     | Q(organization__isnull=True, top_id__in=access.top_ids))


def scenarios_visible_to(*, user) -> QuerySet[Scenario]:
    return _scoped(Scenario.objects.all(), user).select_related("top", "organization",
                                                                "supplier")


def plans_visible_to(*, user) -> QuerySet[RecoveryPlan]:
    return _scoped(RecoveryPlan.objects.all(), user).select_related("top", "organization",
                                                                    "scenario", "requested_by")


def teams_visible_to(*, user) -> QuerySet[RecoveryTeam]:
    access = access_for(user)
    qs = RecoveryTeam.objects.select_related("top")
    return qs if access.is_superuser else qs.filter(top_id__in=access.top_ids)


def can_change_scenario(user, scenario: Scenario) -> bool:
    return access_for(user).can_write(scenario.organization_id, top_id=scenario.top_id)


def can_change_teams(user, top_id: int) -> bool:
    return access_for(user).can_write(None, top_id=top_id)


@dataclass
class TaskView:
    task: PlanTask
    visible: bool


def plan_tasks(*, user, plan: RecoveryPlan) -> list[TaskView]:
    """Every task of a plan in start order, each marked visible to the user or not: a task of
    an establishment to its readers, a task of a shared node to every reader of the GHT; a
    task whose establishment was deleted since, to the GHT's own readers only."""
    access = access_for(user)

    def visible(task: PlanTask) -> bool:
        if task.organization_id is None and not task.shared:  # its establishment is gone
            return access.can_read(plan.top_id, top_id=plan.top_id)
        return access.can_read(task.organization_id, top_id=plan.top_id)

    return [TaskView(task, visible(task))
            for task in plan.tasks.all().order_by("start_minutes", "code")]


def latest_plans(*, top_id: int) -> dict[int, RecoveryPlan]:
    """The newest computed plan of each scenario of a GHT (unscoped: for readiness, which
    shows only the activities the user may see)."""
    latest: dict[int, RecoveryPlan] = {}
    for plan in (RecoveryPlan.objects.filter(top_id=top_id, state=PlanState.DONE,
                                             scenario__isnull=False)
                 .select_related("scenario").order_by("scenario_id", "-finished_at", "-pk")):
        latest.setdefault(plan.scenario_id, plan)
    return latest


def late_activities(*, plans: list[RecoveryPlan]) -> dict[int, int]:
    """Plan id -> how many activities it brings back after their due time (one query)."""
    counts: dict[int, int] = {}
    rows = PlanTask.objects.filter(plan__in=plans, node_type="activity",
                                   due_minutes__isnull=False,
                                   end_minutes__gt=F("due_minutes")).values_list("plan_id",
                                                                                 flat=True)
    for plan_id in rows:
        counts[plan_id] = counts.get(plan_id, 0) + 1
    return counts


@dataclass(frozen=True)
class ScenarioRto:
    """When an activity is back in a scenario's newest plan (None: not hit by it)."""

    scenario: Scenario
    plan: RecoveryPlan
    back_minutes: int | None
    due_minutes: int | None


def achieved_rto_by_scenario(*, top_id: int) -> dict[int, list[ScenarioRto]]:
    """Activity id -> its achieved RTO in the newest plan of every scenario of the GHT (an
    activity the scenario does not hit is back at once: absent from the plan). Two queries."""
    plans = latest_plans(top_id=top_id)
    if not plans:
        return {}
    rows = PlanTask.objects.filter(plan__in=plans.values(), node_type="activity").values_list(
        "plan_id", "node_id", "end_minutes", "due_minutes")
    by_plan: dict[int, dict[int, tuple[int, int | None]]] = {}
    for plan_id, node_id, end, due in rows:
        if node_id is not None:
            by_plan.setdefault(plan_id, {})[node_id] = (end, due)
    result: dict[int, list[ScenarioRto]] = {}
    ordered = sorted(plans.values(), key=lambda p: p.scenario.code)
    activity_ids = {node for hits in by_plan.values() for node in hits}
    for activity in activity_ids:
        items = []
        for plan in ordered:
            hit = by_plan.get(plan.pk, {}).get(activity)
            items.append(ScenarioRto(plan.scenario, plan, hit[0] if hit else None,
                                     hit[1] if hit else None))
        result[activity] = items
    return result


def activity_rto_by_scenario(*, user, activity) -> list[ScenarioRto]:
    """The activity's achieved RTO in the newest plan of every scenario of its GHT that
    ``user`` may see, in scenario order (``back_minutes`` None: the scenario does not hit it).
    Three queries."""
    visible = set(scenarios_visible_to(user=user).filter(top_id=activity.top_id)
                  .values_list("pk", flat=True))
    plans = sorted((plan for plan in latest_plans(top_id=activity.top_id).values()
                    if plan.scenario_id in visible), key=lambda p: p.scenario.code)
    hits = {plan_id: (end, due) for plan_id, end, due in PlanTask.objects.filter(
        plan__in=plans, node_id=activity.pk).values_list("plan_id", "end_minutes", "due_minutes")}
    return [ScenarioRto(plan.scenario, plan, *(hits.get(plan.pk) or (None, None)))
            for plan in plans]


# --- Restore streams (unscoped: the computation of a GHT-wide plan) -----------------------------

def restore_sources(*, top_id: int) -> dict[int, str]:
    """Node id -> the code of the backup infrastructure its restore reads from: the copy of its
    newest passed restore test when that copy is on an infrastructure (the restore measured
    there is the one planned); else the copy most likely to survive an attack (offline, then
    immutable, then by name) among those on an infrastructure. Nodes without such a copy are
    left out."""
    from pcra.backups.models import BackupCopy
    from pcra.restoretests.models import Level, RestoreTestRun, RunState

    copies = (BackupCopy.objects
              .filter(data_asset__node__top_id=top_id, infrastructure__isnull=False)
              .values_list("pk", "data_asset__node_id", "infrastructure__code", "offline",
                           "immutable_days", "name"))
    by_node: dict[int, list[tuple]] = {}
    infra_of: dict[int, str] = {}
    for pk, node_id, code, offline, immutable_days, name in copies:
        by_node.setdefault(node_id, []).append((not offline, not immutable_days, name, code))
        infra_of[pk] = code
    tested = (RestoreTestRun.objects
              .filter(copy__data_asset__node__top_id=top_id, status=RunState.PASSED,
                      level__gte=Level.RESTORE, extrapolated_full_seconds__isnull=False,
                      copy__infrastructure__isnull=False)
              .order_by("copy__data_asset__node_id", "-finished_at")
              .values_list("copy__data_asset__node_id", "copy_id"))
    sources: dict[int, str] = {}
    for node_id, copy_id in tested:
        sources.setdefault(node_id, infra_of[copy_id])
    for node_id, candidates in by_node.items():
        if node_id not in sources:
            sources[node_id] = min(candidates)[3]
    return sources


def restore_streams(*, top_id: int) -> dict[str, int]:
    """Backup infrastructure code -> how many restores it serves at once (limited ones only)."""
    from pcra.backups.models import BackupInfrastructure

    return dict(BackupInfrastructure.objects
                .filter(top_id=top_id, restore_streams__isnull=False)
                .values_list("code", "restore_streams"))
