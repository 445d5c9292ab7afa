"""From a scenario's lost nodes to a scheduling problem (DESIGN §4.6-4.7; plain Python).

* Every node that stops working (``DependencyGraph.failed_nodes``) gets one task. A *lost*
  node is restored: its task lasts the node's restore duration (measured by the newest restore
  test, else declared, else ``unknown_hours`` assumed and flagged) and uses one unit of its
  recovery team, or none when someone outside the IT teams brings it back (a supplier, a site,
  power, people, a SaaS service: the task is the outage, waited for). A restore also uses one
  restore stream of the backup infrastructure it reads from, when that infrastructure serves a
  limited number of restores at once (``streams``). A node that failed only
  because something it needs was lost is a milestone: duration 0, no team; it is back when
  what it needs is back.
* Precedence follows the dependencies: a node comes back after what it needs. For each group of
  a failed node's dependencies (an edge without a redundancy group is a group of its own): when
  one target still works there is nothing to wait for; when every alternative failed, the node
  waits for one of them, the one that can be back first (with unlimited teams), ties broken by
  code. The others are still restored, but nothing waits for them.
* Activities carry the business objective. An activity stops working when the lost node reaches
  it through the degraded-mode autonomies on the way (for a group of alternatives, when the last
  of them stops); its due time is max(DMIA, that autonomy) — the conservative reading of DESIGN
  §4.4 used by readiness — and its weight is its BIA impact (given by the caller). The solver
  minimises the weighted lateness of the activities, then the makespan.
* Hand-made priority groups (for the comparison with disaster-recovery tools): each restore
  task takes its node's group; a milestone takes the latest group of what it waits for, so it
  never holds a barrier back.

Time is in minutes: durations are rounded up to the minute.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from pcra.inventory.graph import DependencyGraph, Edge

from .scheduler.model import Problem, Resource, Task

Key = Hashable
MINUTES_PER_HOUR = 60
MEASURED, DECLARED, UNKNOWN = "measured", "declared", "unknown"


@dataclass(frozen=True)
class NodeFacts:
    """What the builder needs to know of one node."""

    key: Key
    code: str
    is_activity: bool = False
    duration_hours: float | None = None  # restore duration (lost nodes)
    duration_source: str = UNKNOWN  # "measured" | "declared" | "unknown"
    team: str = ""  # recovery team; "" = the default team
    stream: str = ""  # the backup infrastructure its restore reads from ("" = none known)
    external: bool = False  # brought back from outside: no team
    group: int | None = None  # hand-made priority group (restore tasks)
    dmia_hours: float | None = None  # activities
    weight: int = 0  # activities: the BIA impact of each minute late


@dataclass
class TaskGraph:
    """The problem, and how it maps back to the graph."""

    problem: Problem
    node_of: dict[str, Key]  # task id -> node
    task_of: dict[Key, str]  # node -> task id
    lost: frozenset[Key]
    failed: frozenset[Key]
    #: node -> the alternative it waits for, for each group whose alternatives all failed
    chosen: dict[Key, list[Key]] = field(default_factory=dict)
    #: lost nodes whose restore duration is unknown (``unknown_hours`` assumed)
    assumed: frozenset[Key] = frozenset()
    #: activity -> minutes after the start of the crisis at which it stops working
    stops_at: dict[Key, int] = field(default_factory=dict)
    #: team id -> capacity, and the teams whose capacity was not declared (1 assumed)
    capacities: dict[str, int] = field(default_factory=dict)
    undeclared_teams: frozenset[str] = frozenset()
    #: backup infrastructure code -> restores it serves at once (those restores read from)
    streams: dict[str, int] = field(default_factory=dict)


#: Prefix of the resource ids of restore streams (a team's id is its name).
STREAM_PREFIX = "streams:"


def stream_resource(infrastructure: str) -> str:
    return STREAM_PREFIX + infrastructure


def team_and_stream(demands: Mapping[str, int]) -> tuple[str, str]:
    """The team and the backup infrastructure (its code, "" if none) a task's demands name."""
    team = stream = ""
    for resource in demands:
        if resource.startswith(STREAM_PREFIX):
            stream = resource[len(STREAM_PREFIX):]
        else:
            team = resource
    return team, stream


#: component kinds a ransomware attack encrypts (not sites, power, people, suppliers, SaaS)
ENCRYPTED_KINDS = frozenset({"serveur", "vm", "base_de_donnees", "stockage", "reseau",
                             "annuaire", "hyperviseur", "autre"})
#: component kinds brought back by someone outside the recovery teams (waited for)
EXTERNAL_KINDS = frozenset({"site", "energie", "personnel", "fournisseur", "saas"})
#: application hostings outside the establishment (their host restores them)
EXTERNAL_HOSTING = frozenset({"saas", "hebergeur_hds"})


def encrypted_by_ransomware(node_type: str, component_kind: str, hosting: str) -> bool:
    """Whether a ransomware attack on the IS reaches this node: an application run on the
    premises (hosting on premises or not given), an IT component."""
    if node_type == "application":
        return hosting not in EXTERNAL_HOSTING
    return node_type == "component" and component_kind in ENCRYPTED_KINDS


def brought_back_from_outside(node_type: str, component_kind: str, hosting: str) -> bool:
    """Whether someone outside the recovery teams brings this node back (a supplier, a site,
    power, people, a SaaS service, an application hosted outside): its task is waited for."""
    if node_type == "application":
        return hosting in EXTERNAL_HOSTING
    return component_kind in EXTERNAL_KINDS


def impact_weight(levels: Mapping[tuple[str, str], int], horizon_hours: Mapping[str, float],
                  dmia_hours: float | None) -> int:
    """The BIA impact of each minute an activity is late: the sum, over the criteria, of the
    level in force at its DMIA (a level holds from its horizon to the next); at least 1 for an
    activity with a DMIA, 0 without one."""
    if dmia_hours is None:
        return 0
    in_force: dict[str, tuple[float, int]] = {}
    for (criterion, horizon), level in levels.items():
        hours = horizon_hours.get(horizon)
        if hours is None or hours > dmia_hours:
            continue
        best = in_force.get(criterion)
        if best is None or hours > best[0]:
            in_force[criterion] = (hours, level)
    return max(1, sum(level for _, level in in_force.values()))


def minutes(hours: float) -> int:
    return max(0, math.ceil(round(hours * MINUTES_PER_HOUR, 6)))


def _groups(graph: DependencyGraph, node: Key) -> dict[tuple, list[Edge]]:
    groups: dict[tuple, list[Edge]] = defaultdict(list)
    for edge in graph.out.get(node, ()):
        groups[graph.group_key(edge)].append(edge)
    return groups


def _order(graph: DependencyGraph, failed: set[Key], code: Mapping[Key, str]) -> list[Key]:
    """Failed nodes, each after every failed node it depends on (ties by code)."""
    waiting = {node: 0 for node in failed}
    for node in failed:
        for edge in graph.out.get(node, ()):
            if edge.target in failed:
                waiting[node] += 1
    order: list[Key] = []
    heap = [(code[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(heap)
    while heap:
        _, node = heapq.heappop(heap)
        order.append(node)
        for edge in graph.into.get(node, ()):
            source = edge.source
            if source in failed:
                waiting[source] -= 1
                if waiting[source] == 0:
                    heapq.heappush(heap, (code[source], source))
    if len(order) != len(failed):  # the graph is kept acyclic; this is a programming error
        raise ValueError("the dependency graph has a cycle among the failed nodes")
    return order


def build(
    graph: DependencyGraph,
    nodes: Mapping[Key, NodeFacts],
    lost: Iterable[Key],
    *,
    capacities: Mapping[str, int],
    default_team: str,
    unknown_hours: float,
    name: str = "",
    streams: Mapping[str, int] | None = None,
) -> TaskGraph:
    """The restore problem of losing ``lost`` (see the module's documentation).

    ``capacities``: team id -> how many restores it runs at once; a team named by a node but
    missing there gets capacity 1 and is reported in ``undeclared_teams``. ``streams``: backup
    infrastructure code -> how many restores it serves at once (the others are not limited).
    """
    streams = {code: count for code, count in (streams or {}).items() if count}
    lost_set = frozenset(lost)
    failed = graph.failed_nodes(lost_set)
    code = {key: nodes[key].code for key in failed}
    order = _order(graph, set(failed), code)
    duration: dict[Key, int] = {}
    assumed: set[Key] = set()
    for key in order:
        facts = nodes[key]
        if key not in lost_set:
            duration[key] = 0
        elif facts.duration_hours is None:
            duration[key] = minutes(unknown_hours)
            assumed.add(key)
        else:
            duration[key] = minutes(facts.duration_hours)
    # Earliest time back with unlimited teams, to choose among failed alternatives.
    back: dict[Key, int] = {}
    waits: dict[Key, list[Key]] = defaultdict(list)  # node -> what it waits for
    chosen: dict[Key, list[Key]] = {}
    stops: dict[Key, float] = {}
    for key in order:
        ready = 0
        stop = math.inf if key not in lost_set else 0.0
        for edges in _groups(graph, key).values():
            if any(edge.target not in failed for edge in edges):
                continue
            best = min(edges, key=lambda e: (back[e.target], code[e.target]))
            waits[key].append(best.target)
            if len(edges) > 1:
                chosen.setdefault(key, []).append(best.target)
            ready = max(ready, back[best.target])
            if key not in lost_set:
                # The group stops working when its last alternative does.
                group_stop = max((edge.autonomy_hours or 0.0) * MINUTES_PER_HOUR
                                 + stops[edge.target] for edge in edges)
                stop = min(stop, group_stop)
        back[key] = ready + duration[key]
        stops[key] = stop
    # Teams.
    caps: dict[str, int] = dict(capacities)
    undeclared: set[str] = set()
    for key in lost_set & failed:
        facts = nodes[key]
        if facts.external:
            continue
        team = facts.team or default_team
        if team not in caps:
            caps[team] = 1
            undeclared.add(team)
    # Hand-made groups: a milestone takes the latest group of what it waits for.
    group: dict[Key, int | None] = {}
    last = math.inf
    for key in order:
        if key in lost_set:
            group[key] = nodes[key].group
        else:
            ranks = [group[t] if group[t] is not None else last for t in waits[key]]
            rank = max(ranks, default=1)
            group[key] = None if rank == last else int(rank)
    successors: dict[Key, list[Key]] = defaultdict(list)
    for key in order:
        for target in waits[key]:
            successors[target].append(key)
    stops_at: dict[Key, int] = {}
    tasks = []
    for key in order:
        facts = nodes[key]
        demands: dict[str, int] = {}
        if key in lost_set and not facts.external:
            demands[facts.team or default_team] = 1
            if facts.stream in streams:
                demands[stream_resource(facts.stream)] = 1
        due = None
        weight = 0
        if facts.is_activity:
            stop_minutes = stops[key] if stops[key] != math.inf else 0.0
            stops_at[key] = math.floor(stop_minutes)
            if facts.dmia_hours is not None and facts.weight > 0:
                due = max(minutes(facts.dmia_hours), math.floor(stop_minutes))
                weight = facts.weight
        tasks.append(Task(
            id=facts.code, duration=duration[key], demands=demands,
            successors=tuple(sorted(code[s] for s in successors[key])),
            due=due, weight=weight, group=group[key], label=facts.code))
    resources = tuple(Resource(team, caps[team]) for team in sorted(caps)
                      if any(team in task.demands for task in tasks))
    used_streams = {code: streams[code] for code in sorted(streams)
                    if any(stream_resource(code) in task.demands for task in tasks)}
    resources += tuple(Resource(stream_resource(code), count)
                       for code, count in used_streams.items())
    problem = Problem(resources=resources, tasks=tuple(tasks), name=name)
    return TaskGraph(
        problem=problem, node_of={nodes[k].code: k for k in order},
        task_of={k: nodes[k].code for k in order}, lost=lost_set, failed=frozenset(failed),
        chosen=chosen, assumed=frozenset(assumed), stops_at=stops_at,
        capacities={r.id: r.capacity for r in resources if not r.id.startswith(STREAM_PREFIX)},
        undeclared_teams=frozenset(t for t in undeclared if t in {r.id for r in resources}),
        streams=used_streams)
