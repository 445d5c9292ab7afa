"""Writes of the recovery app: teams, scenarios, and the computation of recovery plans.

A plan goes queued → running → done / failed. :func:`plan_request` queues it (the worker's
job computes it); :func:`plan_compute` does the work in the current process: it reads the
GHT's graph, restore durations (measured by restore tests, else declared), BIA and teams,
builds the restore problem of the scenario (``taskgraph.build``), solves it
(``scheduler.solve``), plans the same scenario by hand-made priority groups for comparison
(``scheduler.groups``), explains every start (``scheduler.explain``) and writes the tasks.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.core.crud import assign_fields
from pcra.inventory.models import ComponentKind, Node, NodeType
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organization_ids_below
from pcra.recovery import selectors, taskgraph
from pcra.recovery.models import (
    PlanState,
    PlanTask,
    RecoveryPlan,
    RecoveryTeam,
    Scenario,
    ScenarioKind,
    TaskKind,
)
from pcra.recovery.scheduler.model import MAX_SEED

#: restore duration assumed for a lost node whose duration is neither measured nor declared
UNKNOWN_RESTORE_HOURS = 8.0
#: the team of the nodes that name none
DEFAULT_TEAM = "DSI"
MAX_TIME_LIMIT_SECONDS = 600

TEAM_FIELDS = ("name", "capacity", "description")
SCENARIO_FIELDS = ("organization", "code", "name", "kind", "description", "site", "supplier")


# --- Teams ---------------------------------------------------------------------------------------


def _team_save(team: RecoveryTeam) -> RecoveryTeam:
    team.name = (team.name or "").strip()
    errors: dict[str, list[str]] = {}
    if not team.name:
        errors["name"] = [_("Give the team's name, as written on the nodes.")]
    elif RecoveryTeam.objects.filter(top_id=team.top_id, name=team.name).exclude(
            pk=team.pk).exists():
        errors["name"] = [_("This GHT already has a team named %(name)s.") % {"name": team.name}]
    if team.capacity is None or team.capacity < 1:
        errors["capacity"] = [_("A team runs at least one restore at a time.")]
    if errors:
        raise ValidationError(errors)
    team.save()
    return team


def team_create(*, top: Organization, **fields) -> RecoveryTeam:
    team = RecoveryTeam(top=top)
    assign_fields(team, fields, TEAM_FIELDS)
    return _team_save(team)


def team_update(*, team: RecoveryTeam, **fields) -> RecoveryTeam:
    assign_fields(team, fields, TEAM_FIELDS)
    return _team_save(team)


def team_delete(*, team: RecoveryTeam) -> None:
    team.delete()


# --- Scenarios -----------------------------------------------------------------------------------


def scenario_rules(scenario: Scenario, *, scope: list[Organization] | None,
                   nodes: list[Node] | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not scenario.code:
        errors["code"] = [_("Give the scenario a short code (letters, digits, dashes).")]
    elif Scenario.objects.filter(top_id=scenario.top_id, code=scenario.code).exclude(
            pk=scenario.pk).exists():
        errors["code"] = [_("This GHT already has a scenario with code %(code)s.")
                          % {"code": scenario.code}]
    if not (scenario.name or "").strip():
        errors["name"] = [_("Give the scenario a name.")]
    if scenario.kind not in ScenarioKind.values:
        errors["kind"] = [_("Choose the kind of scenario.")]
    org = scenario.organization
    if org is not None and org.top_id != scenario.top_id:
        errors["organization"] = [_("This organization is not in the scenario's GHT.")]
    allowed = organization_ids_below(scenario.top_id, [org]) if org is not None else None
    if scenario.kind == ScenarioKind.SITE and not scenario.site.strip():
        errors["site"] = [_("Name the site that is lost.")]
    if scenario.kind == ScenarioKind.SUPPLIER:
        supplier = scenario.supplier
        if supplier is None:
            errors["supplier"] = [_("Choose the supplier that fails.")]
        elif supplier.top_id != scenario.top_id or not supplier.is_supplier:
            errors["supplier"] = [_("Choose a supplier of this GHT.")]
    if scenario.kind == ScenarioKind.CUSTOM:
        if not nodes:
            errors["nodes"] = [_("Choose at least one node that is lost.")]
        elif any(node.top_id != scenario.top_id for node in nodes):
            errors["nodes"] = [_("Every node must belong to the scenario's GHT.")]
    for item in scope or []:
        if item.top_id != scenario.top_id or (allowed is not None and item.pk not in allowed):
            errors["scope"] = [_("%(org)s is outside the scenario's organization.")
                               % {"org": item}]
            break
    return errors


@transaction.atomic
def _scenario_save(scenario: Scenario, *, scope, nodes) -> Scenario:
    scenario.code = (scenario.code or "").strip()
    scenario.site = (scenario.site or "").strip()
    errors = scenario_rules(scenario, scope=scope, nodes=nodes)
    if errors:
        raise ValidationError(errors)
    if scenario.kind != ScenarioKind.SITE:
        scenario.site = ""
    if scenario.kind != ScenarioKind.SUPPLIER:
        scenario.supplier = None
    scenario.save()
    scenario.scope.set(scope if scenario.kind == ScenarioKind.RANSOMWARE and scope else [])
    scenario.nodes.set(nodes if scenario.kind == ScenarioKind.CUSTOM and nodes else [])
    return scenario


def scenario_create(*, top: Organization, scope=None, nodes=None, **fields) -> Scenario:
    scenario = Scenario(top=top)
    assign_fields(scenario, fields, SCENARIO_FIELDS)
    return _scenario_save(scenario, scope=list(scope or []), nodes=list(nodes or []))


def scenario_update(*, scenario: Scenario, scope=None, nodes=None, **fields) -> Scenario:
    assign_fields(scenario, fields, SCENARIO_FIELDS)
    scope = list(scope) if scope is not None else list(scenario.scope.all())
    nodes = list(nodes) if nodes is not None else list(scenario.nodes.all())
    return _scenario_save(scenario, scope=scope, nodes=nodes)


def scenario_delete(*, scenario: Scenario) -> None:
    """Its plans stay (evidence of what was planned); they keep the scenario's name."""
    scenario.delete()


def scenario_defaults(*, top: Organization) -> list[Scenario]:
    """The standard scenarios of a GHT, created when missing: ransomware on the whole IS, the
    loss of each site component, the failure of each supplier. A site or supplier of one
    establishment gives a scenario of that establishment (its name is not shown to the
    others); a shared one, a scenario of the GHT."""
    made = []
    existing = set(Scenario.objects.filter(top=top).values_list("code", flat=True))

    def add(code: str, **fields) -> None:
        code = code[:64]
        if code not in existing:
            made.append(scenario_create(top=top, code=code, **fields))
            existing.add(code)

    add("rancongiciel", name=_("Ransomware on the whole IS"), kind=ScenarioKind.RANSOMWARE,
        description=_("Every on-premises application and IT component is encrypted; only "
                      "offline or immutable backups survive."))
    components = Node.objects.filter(top=top, node_type=NodeType.COMPONENT)
    for site in components.filter(component_kind=ComponentKind.SITE).order_by("code"):
        add(f"site-{site.code}".lower(), name=_("Loss of site %(site)s") % {"site": site.name},
            kind=ScenarioKind.SITE, site=site.code, organization=site.organization)
    for supplier in components.filter(component_kind=ComponentKind.SUPPLIER).order_by("code"):
        add(f"fournisseur-{supplier.code}".lower(),
            name=_("Failure of supplier %(supplier)s") % {"supplier": supplier.name},
            kind=ScenarioKind.SUPPLIER, supplier=supplier, organization=supplier.organization)
    return made


def lost_nodes(scenario: Scenario, nodes: list[Node]) -> set[int]:
    """The ids of the nodes the scenario loses (DESIGN §4.6).

    * ransomware: every on-premises application (hosting on premises or not given) and every
      IT component (server, VM, database, storage, network, directory, hypervisor, other) of
      the establishments hit — with their own establishments' nodes; the GHT's shared nodes only
      when the whole GHT is hit;
    * loss of a site: the site component whose code it names, and every node whose site is it;
    * failure of a supplier: the supplier;
    * hand-picked: those nodes.
    """
    kind = scenario.kind
    if kind == ScenarioKind.SUPPLIER:
        return {scenario.supplier_id} if scenario.supplier_id else set()
    if kind == ScenarioKind.CUSTOM:
        return set(scenario.nodes.values_list("pk", flat=True))
    if kind == ScenarioKind.SITE:
        site = scenario.site.strip().casefold()
        return {node.pk for node in nodes
                if (node.node_type == NodeType.COMPONENT
                    and node.component_kind == ComponentKind.SITE
                    and node.code.casefold() == site)
                or (node.site and node.site.strip().casefold() == site)}
    scope = list(scenario.scope.all())
    roots = scope or ([scenario.organization] if scenario.organization_id else [])
    hit = organization_ids_below(scenario.top_id, roots) if roots else None  # None: the whole GHT
    lost = set()
    for node in nodes:
        if hit is not None and node.organization_id not in hit:
            continue  # another establishment's, or shared across the GHT
        if taskgraph.encrypted_by_ransomware(node.node_type, node.component_kind, node.hosting):
            lost.add(node.pk)
    return lost


# --- Plans ---------------------------------------------------------------------------------------


def plan_rules(*, time_limit_seconds, seed, team_capacity) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(time_limit_seconds, int) or not 1 <= time_limit_seconds <= \
            MAX_TIME_LIMIT_SECONDS:
        errors["time_limit_seconds"] = [_("The time limit is 1 to %(max)s seconds.")
                                        % {"max": MAX_TIME_LIMIT_SECONDS}]
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        errors["seed"] = [_("The seed is a whole number from 0 to %(max)s.")
                          % {"max": MAX_SEED}]
    if team_capacity is not None and (not isinstance(team_capacity, int) or team_capacity < 1):
        errors["team_capacity"] = [_("Each team runs at least one restore at a time.")]
    return errors


def plan_request(*, scenario: Scenario, user=None, time_limit_seconds: int = 10, seed: int = 0,
                 team_capacity: int | None = None, enqueue: bool = True) -> RecoveryPlan:
    """A queued plan of ``scenario``; the worker computes it once the transaction commits."""
    errors = plan_rules(time_limit_seconds=time_limit_seconds, seed=seed,
                        team_capacity=team_capacity)
    if errors:
        raise ValidationError(errors)
    plan = RecoveryPlan.objects.create(
        top_id=scenario.top_id, organization_id=scenario.organization_id, scenario=scenario,
        scenario_name=scenario.name, time_limit_seconds=time_limit_seconds, seed=seed,
        team_capacity=team_capacity,
        requested_by=user if user is not None and user.is_authenticated else None)
    if enqueue:
        from pcra.recovery.tasks import compute_plan_task

        transaction.on_commit(lambda: compute_plan_task.enqueue(plan.pk))
    return plan


def _facts(top_id: int, nodes: list[Node]) -> dict[int, taskgraph.NodeFacts]:
    from pcra.impact.rules import criticality_class
    from pcra.impact.selectors import readiness_of_top, restore_durations

    readiness = readiness_of_top(top_id=top_id)
    durations = restore_durations(nodes)
    sources = selectors.restore_sources(top_id=top_id)
    classes = [label for _, label in sorted(
        ((float("inf") if b is None else float(b), str(label))
         for b, label in (readiness.scale.classes or ())), key=lambda c: c[0])]
    hours_of = {h.code: h.hours for h in readiness.scale.horizons}
    facts = {}
    for node in nodes:
        if node.node_type == NodeType.ACTIVITY:
            row = readiness.bia.get(node.pk)
            dmia = row.dmia_hours if row is not None else None
            weight = (taskgraph.impact_weight(row.levels, hours_of, dmia)
                      if row is not None else 0)
            facts[node.pk] = taskgraph.NodeFacts(
                key=node.pk, code=node.code, is_activity=True, dmia_hours=dmia, weight=weight)
            continue
        duration = durations.get(node.pk)
        required = readiness.result.required.get(node.pk)
        group = None
        if required is not None and required.rto_hours is not None:
            label = criticality_class(required.rto_hours, readiness.scale.classes or None)
            group = classes.index(label) + 1 if label in classes else None
        external = taskgraph.brought_back_from_outside(node.node_type, node.component_kind,
                                                       node.hosting)
        facts[node.pk] = taskgraph.NodeFacts(
            key=node.pk, code=node.code,
            duration_hours=duration.hours if duration is not None else None,
            duration_source=duration.source if duration is not None else taskgraph.UNKNOWN,
            team=(node.recovery_team or "").strip(), stream=sources.get(node.pk, ""),
            external=external, group=group)
    return facts


def _plain(value):
    if is_dataclass(value):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, tuple | list | set | frozenset):
        return [_plain(v) for v in value]
    return value


def plan_compute(plan: RecoveryPlan, *,
                 progress: Callable[[str, float], None] | None = None) -> RecoveryPlan:
    """Compute ``plan`` now (see the module's documentation). A failure is recorded on the plan
    (state failed, the error in clear words), never raised."""
    from pcra.inventory.selectors import load_graph
    from pcra.recovery.scheduler.explain import explain
    from pcra.recovery.scheduler.formats import write_json_problem
    from pcra.recovery.scheduler.groups import schedule_by_groups
    from pcra.recovery.scheduler.model import ProblemError
    from pcra.recovery.scheduler.solve import solve

    claimed = RecoveryPlan.objects.filter(pk=plan.pk, state=PlanState.QUEUED).update(
        state=PlanState.RUNNING, started_at=timezone.now(), progress_phase="build", progress=0.0)
    if not claimed:
        plan.refresh_from_db()
        return plan
    last = [0.0]

    def report(phase: str, fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0 or fraction >= 1.0:
            last[0] = now
            RecoveryPlan.objects.filter(pk=plan.pk).update(progress_phase=phase,
                                                          progress=max(0.0, min(1.0, fraction)))
        if progress is not None:
            progress(phase, fraction)

    try:
        scenario = plan.scenario
        if scenario is None:
            raise ValueError(_("The scenario of this plan was deleted."))
        nodes = list(Node.objects.filter(top_id=plan.top_id).select_related("organization"))
        by_id = {node.pk: node for node in nodes}
        lost = lost_nodes(scenario, nodes)
        graph = load_graph(top_id=plan.top_id)
        facts = _facts(plan.top_id, nodes)
        if plan.team_capacity:  # every team, declared or not, runs that many at once
            capacities = {fact.team or DEFAULT_TEAM: plan.team_capacity
                          for fact in facts.values() if not fact.is_activity}
        else:
            capacities = {team.name: team.capacity
                          for team in RecoveryTeam.objects.filter(top_id=plan.top_id)}
        built = taskgraph.build(graph, facts, lost, capacities=capacities,
                                default_team=DEFAULT_TEAM, unknown_hours=UNKNOWN_RESTORE_HOURS,
                                name=scenario.name,
                                streams=selectors.restore_streams(top_id=plan.top_id))
        report("solve", 0.05)
        started = time.monotonic()
        schedule = solve(built.problem, time_limit=float(plan.time_limit_seconds),
                         seed=plan.seed,
                         progress=lambda phase, fraction: report(phase, 0.05 + 0.85 * fraction))
        solved_in = time.monotonic() - started
        report("compare", 0.92)
        by_groups = schedule_by_groups(built.problem)
        reasons = explain(schedule)
        report("save", 0.97)
        _write_tasks(plan, built, schedule, by_groups, reasons, by_id, facts)
        notes = _notes(built, by_id, schedule, by_groups)
        RecoveryPlan.objects.filter(pk=plan.pk).update(
            state=PlanState.DONE, finished_at=timezone.now(), progress_phase="", progress=1.0,
            solver_status=schedule.status, method=schedule.method,
            makespan_minutes=schedule.makespan, lower_bound_minutes=schedule.lower_bound,
            weighted_lateness=schedule.weighted_lateness,
            groups_makespan_minutes=by_groups.makespan,
            groups_weighted_lateness=by_groups.weighted_lateness,
            solve_seconds=round(solved_in, 3), problem_json=write_json_problem(built.problem),
            notes=notes, error="")
    except (ProblemError, ValueError) as exc:
        _fail(plan, str(exc))
    except Exception as exc:  # recorded, then raised for the worker's log
        _fail(plan, _("The computation stopped on an unexpected error: %(error)s")
              % {"error": f"{type(exc).__name__}: {exc}"})
        raise
    plan.refresh_from_db()
    return plan


def _fail(plan: RecoveryPlan, message: str) -> None:
    with transaction.atomic():
        PlanTask.objects.filter(plan_id=plan.pk).delete()
        RecoveryPlan.objects.filter(pk=plan.pk).update(
            state=PlanState.FAILED, finished_at=timezone.now(), progress_phase="", error=message)


def _notes(built, by_id, schedule, by_groups) -> list[dict]:
    """What the reader of the plan must know, as {"code": ..., params}: worded by the UI, which
    names only the tasks the reader may see."""
    from pcra.recovery.scheduler.groups import moved_tasks

    notes: list[dict] = []
    if built.assumed:
        notes.append({"code": "assumed_durations", "hours": UNKNOWN_RESTORE_HOURS,
                      "nodes": sorted(by_id[k].code for k in built.assumed)})
    if built.undeclared_teams:
        notes.append({"code": "undeclared_teams", "teams": sorted(built.undeclared_teams)})
    if built.streams:
        notes.append({"code": "streams", "streams": dict(built.streams)})
    if not built.lost:
        notes.append({"code": "nothing_lost"})
    moved = moved_tasks(built.problem)
    if moved:  # named by the UI to each reader, who may not see every task
        notes.append({"code": "groups_moved", "tasks": moved})
    if not schedule.reproducible:
        notes.append({"code": "not_reproducible"})
    for note in schedule.notes:
        notes.append({"code": "solver", "text": note})
    return notes


@transaction.atomic
def _write_tasks(plan, built, schedule, by_groups, reasons, by_id, facts) -> None:
    PlanTask.objects.filter(plan_id=plan.pk).delete()
    preds = built.problem.predecessors()
    rows = []
    for task in built.problem.tasks:
        key = built.node_of[task.id]
        node = by_id[key]
        fact = facts[key]
        if key not in built.lost:
            kind = TaskKind.MILESTONE
        elif fact.external:
            kind = TaskKind.EXTERNAL
        else:
            kind = TaskKind.RESTORE
        team, stream = taskgraph.team_and_stream(task.demands)
        start = schedule.starts[task.id]
        reason = reasons.get(task.id)
        rows.append(PlanTask(
            plan_id=plan.pk, node=node, code=node.code, name=node.name,
            node_type=node.node_type, organization_id=node.organization_id,
            shared=node.organization_id is None, kind=kind,
            team=team, stream=stream, duration_minutes=task.duration,
            duration_source=("" if kind == TaskKind.MILESTONE else
                             taskgraph.UNKNOWN if key in built.assumed else fact.duration_source),
            start_minutes=start, end_minutes=start + task.duration, due_minutes=task.due,
            weight=task.weight, priority_group=task.group,
            groups_start_minutes=by_groups.starts[task.id],
            groups_end_minutes=by_groups.starts[task.id] + task.duration,
            reason=_plain(reason) if reason is not None else {},
            waits_for=sorted(preds[task.id])))
    PlanTask.objects.bulk_create(rows, batch_size=500)


def plans_expire(*, now: dt.datetime | None = None) -> int:
    """Fail the plans left running by a worker that was stopped (a plan never takes longer than
    its time limit plus a margin)."""
    now = now or timezone.now()
    failed = 0
    for plan in RecoveryPlan.objects.filter(state=PlanState.RUNNING):
        margin = dt.timedelta(seconds=plan.time_limit_seconds * 3 + 600)
        if plan.started_at is None or plan.started_at + margin < now:
            _fail(plan, _("The computation was interrupted (the worker stopped); request the "
                          "plan again."))
            failed += 1
    return failed


def plan_json(plan: RecoveryPlan) -> dict:
    """The plan as the command line prints it (every task: the command line sees everything)."""
    tasks = list(plan.tasks.order_by("start_minutes", "code"))
    return {
        "scenario": plan.scenario_name, "state": plan.state, "error": plan.error,
        "makespan": plan.makespan_minutes, "status": plan.solver_status,
        "lower_bound": plan.lower_bound_minutes, "weighted_lateness": plan.weighted_lateness,
        "method": plan.method, "time_unit": "minute",
        "groups": {"makespan": plan.groups_makespan_minutes,
                   "weighted_lateness": plan.groups_weighted_lateness},
        "notes": plan.notes,
        "tasks": [{"id": t.code, "start": t.start_minutes, "end": t.end_minutes,
                   "kind": t.kind, "team": t.team, "duration_source": t.duration_source,
                   "due": t.due_minutes, "reason": t.reason} for t in tasks],
        "activities": [{"id": t.code, "back": t.end_minutes, "due": t.due_minutes,
                        "late": t.lateness_minutes}
                       for t in tasks if t.node_type == NodeType.ACTIVITY],
    }


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
