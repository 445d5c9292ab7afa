"""Benchmark: the recovery plan of a ransomware attack on a synthetic GHT.

    .venv/bin/python bench/recovery.py [--scale 20] [--time-limit 30] [--seed 0]

The GHT of ``pcra seed_demo --scale N`` (``pcra.demo.synthetic``: about 160 applications and
components per establishment, a shared data centre, BIAs), without a database: its graph, its
declared restore durations and its BIA give the restore problem of a ransomware attack on the
whole IS (``recovery.taskgraph.build``, the code the application uses), with six recovery teams
of one restore at a time each (system, storage, identity, databases, network, applications: the
bench assigns them by kind of node). Solved by ``solve`` within the time limit, checked by the
independent checker, and printed side by side with:

* the lower bound max(critical path, total work / capacity of each team) — the target is a
  makespan at most 1.10 x that bound;
* the plan by hand-made priority groups (P1 first, then P2…: what disaster-recovery tools do),
  its business impact (weighted lateness of the activities against their DMIA) and makespan.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pcra.demo import synthetic  # noqa: E402
from pcra.demo.spec import BIA_HORIZONS  # noqa: E402
from pcra.impact import rules  # noqa: E402
from pcra.inventory.graph import DependencyGraph, Edge  # noqa: E402
from pcra.recovery import taskgraph  # noqa: E402
from pcra.recovery.scheduler.bounds import critical_path, resource_bound  # noqa: E402
from pcra.recovery.scheduler.checker import violations  # noqa: E402
from pcra.recovery.scheduler.groups import schedule_by_groups  # noqa: E402
from pcra.recovery.scheduler.solve import solve  # noqa: E402

#: the six teams of the bench, by kind of node
TEAMS = {"vm": "Système", "hyperviseur": "Système", "serveur": "Système", "autre": "Système",
         "stockage": "Stockage", "annuaire": "Identité", "base_de_donnees": "Bases de données",
         "reseau": "Réseau", "application": "Applicatif"}


def problem_of(scale: int, seed: int):
    spec = synthetic.generate(scale, seed)
    levels = {bia.activity: bia.versions[-1].levels for bia in spec.bias}
    hours = dict(rules.DEFAULT_SCALE.horizons)
    assert set(hours) == set(BIA_HORIZONS)
    activities = [n.code for n in spec.nodes if n.node_type == "activity"]
    edges = [Edge(e.source, e.target, float(e.autonomy) if e.autonomy is not None else None,
                  e.group) for e in spec.edges]
    graph = DependencyGraph(activities, edges)
    readiness = rules.compute_readiness(
        graph, {a: rules.ActivityBia(dmia_hours=rules.dmia_hours(levels.get(a, {})))
                for a in activities},
        {n.code: rules.best_duration(None, float(n.fields["restore_hours_estimate"])
                                     if n.fields.get("restore_hours_estimate") is not None
                                     else None)
         for n in spec.nodes if n.node_type != "activity"})
    classes = [label for _, label in rules.DEFAULT_CLASSES]
    facts, lost = {}, set()
    for node in spec.nodes:
        kind = node.fields.get("component_kind", "")
        hosting = node.fields.get("hosting", "")
        if node.node_type == "activity":
            dmia = rules.dmia_hours(levels.get(node.code, {}))
            facts[node.code] = taskgraph.NodeFacts(
                key=node.code, code=node.code, is_activity=True, dmia_hours=dmia,
                weight=taskgraph.impact_weight(levels.get(node.code, {}), hours, dmia))
            continue
        required = readiness.required[node.code].rto_hours
        label = rules.criticality_class(required) if required is not None else None
        estimate = node.fields.get("restore_hours_estimate")
        facts[node.code] = taskgraph.NodeFacts(
            key=node.code, code=node.code,
            duration_hours=float(estimate) if estimate is not None else None,
            duration_source="declared" if estimate is not None else "unknown",
            team=TEAMS.get(kind or node.node_type, "Système"),
            external=taskgraph.brought_back_from_outside(node.node_type, kind, hosting),
            group=classes.index(label) + 1 if label in classes else None)
        if taskgraph.encrypted_by_ransomware(node.node_type, kind, hosting):
            lost.add(node.code)
    capacities = {team: 1 for team in set(TEAMS.values())}
    built = taskgraph.build(graph, facts, lost, capacities=capacities, default_team="Système",
                            unknown_hours=8.0, name=f"ransomware SYN-{scale}")
    return spec, built


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="solver seed")
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    started = time.perf_counter()
    spec, built = problem_of(args.scale, 1)
    problem = built.problem
    build_seconds = time.perf_counter() - started
    restores = [t for t in problem.tasks if t.demands]
    print(f"SYN-{args.scale}: {len(spec.nodes)} nodes, {len(spec.edges)} edges; ransomware: "
          f"{len(built.lost)} lost, {len(problem.tasks)} tasks ({len(restores)} restores by "
          f"{len(problem.resources)} teams), built in {build_seconds:.1f} s", flush=True)
    started = time.perf_counter()
    schedule = solve(problem, time_limit=args.time_limit, seed=args.seed)
    solve_seconds = time.perf_counter() - started
    wrong = violations(problem, schedule.starts)
    groups = schedule_by_groups(problem)
    wrong_groups = violations(problem, groups.starts)
    cp, work = critical_path(problem), resource_bound(problem)
    bound = max(cp, work)
    late = sum(1 for t in problem.tasks if t.weight and t.due is not None
               and schedule.end(t.id) > t.due)
    late_groups = sum(1 for t in problem.tasks if t.weight and t.due is not None
                      and groups.end(t.id) > t.due)
    print()
    print("| plan | makespan (min) | / max(critical path, work / capacity) | business impact "
          "| activities late | status | time (s) |")
    print("|---|---:|---:|---:|---:|---|---:|")
    print(f"| pcra ({schedule.method}) | {schedule.makespan} | "
          f"{schedule.makespan / bound:.3f} | {schedule.weighted_lateness} | {late} | "
          f"{schedule.status} | {solve_seconds:.1f} |")
    print(f"| hand-made priority groups | {groups.makespan} | {groups.makespan / bound:.3f} | "
          f"{groups.weighted_lateness} | {late_groups} | | |")
    print(f"\ncritical path {cp} min, work / capacity {work} min, solver's lower bound "
          f"{schedule.lower_bound} min; business impact of the groups plan / pcra's: "
          + (f"{groups.weighted_lateness / schedule.weighted_lateness:.2f}"
             if schedule.weighted_lateness else "pcra's is 0"))
    print(f"targets: solved within 30 s: {'met' if solve_seconds <= 30 else 'MISSED'}; "
          f"makespan <= 1.10 x bound: "
          f"{'met' if schedule.makespan <= 1.10 * bound else 'MISSED'}")
    if wrong or wrong_groups:
        print(f"INFEASIBLE: {wrong[:3]} {wrong_groups[:3]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
