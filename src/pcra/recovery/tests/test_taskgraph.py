"""The restore task graph of a scenario (plain Python: no database)."""

from __future__ import annotations

import pytest

from pcra.inventory.graph import DependencyGraph, Edge
from pcra.recovery.scheduler.model import Problem
from pcra.recovery.taskgraph import NodeFacts, build, impact_weight, team_and_stream

pytestmark = pytest.mark.no_db


def facts(*items: NodeFacts) -> dict[str, NodeFacts]:
    return {item.key: item for item in items}


def node(code: str, hours: float | None = 1.0, **kw) -> NodeFacts:
    source = kw.pop("source", "declared" if hours is not None else "unknown")
    return NodeFacts(key=code, code=code, duration_hours=hours, duration_source=source, **kw)


def activity(code: str, dmia: float | None = 4.0, weight: int = 5) -> NodeFacts:
    return NodeFacts(key=code, code=code, is_activity=True, dmia_hours=dmia, weight=weight)


def make(edges, nodes, lost, **kw):
    activities = [key for key, item in nodes.items() if item.is_activity]
    graph = DependencyGraph(activities, [Edge(*e) if isinstance(e, tuple) else e for e in edges])
    kw.setdefault("capacities", {"it": 2})
    kw.setdefault("default_team", "it")
    kw.setdefault("unknown_hours", 8.0)
    built = build(graph, nodes, lost, **kw)
    built.problem.validate()
    return built


def test_a_lost_server_is_restored_and_what_needs_it_follows():
    nodes = facts(activity("URG"), node("DPI", 2.0, team="apps"), node("SRV", 1.5),
                  node("AD", 3.0))
    built = make([("URG", "DPI"), ("DPI", "SRV"), ("DPI", "AD")], nodes, ["SRV"],
                 capacities={"it": 2, "apps": 1})
    tasks = built.problem.by_id()
    assert set(tasks) == {"SRV", "DPI", "URG"}  # AD still works: no task
    assert tasks["SRV"].duration == 90 and tasks["SRV"].demands == {"it": 1}
    # DPI was not lost: it is back when the server is, without a restore of its own.
    assert tasks["DPI"].duration == 0 and tasks["DPI"].demands == {}
    assert tasks["SRV"].successors == ("DPI",) and tasks["DPI"].successors == ("URG",)
    assert (tasks["URG"].due, tasks["URG"].weight) == (240, 5)
    assert [r.id for r in built.problem.resources] == ["it"]  # "apps" has nothing to do
    assert built.failed == {"SRV", "DPI", "URG"} and built.lost == {"SRV"}


def test_restores_from_a_limited_infrastructure_use_its_streams():
    nodes = facts(activity("URG"), node("DPI", 2.0, team="apps", stream="SAUV1"),
                  node("SRV", 1.5, stream="SAUV1"), node("AD", 1.0, stream="SAUV2"),
                  node("PACS", 1.0, stream="SAUV1", external=True))
    built = make([("URG", "DPI"), ("URG", "SRV"), ("URG", "AD"), ("URG", "PACS")], nodes,
                 ["DPI", "SRV", "AD", "PACS"], capacities={"it": 2, "apps": 1},
                 streams={"SAUV1": 1, "SAUV3": 4})
    tasks = built.problem.by_id()
    assert tasks["DPI"].demands == {"apps": 1, "streams:SAUV1": 1}
    assert tasks["SRV"].demands == {"it": 1, "streams:SAUV1": 1}
    assert tasks["AD"].demands == {"it": 1}  # SAUV2 serves any number at once
    assert tasks["PACS"].demands == {}  # brought back from outside: no team, no stream
    capacity = {r.id: r.capacity for r in built.problem.resources}
    assert capacity == {"apps": 1, "it": 2, "streams:SAUV1": 1}  # SAUV3: nothing reads it
    assert built.streams == {"SAUV1": 1} and built.capacities == {"apps": 1, "it": 2}
    assert team_and_stream(tasks["DPI"].demands) == ("apps", "SAUV1")
    assert team_and_stream(tasks["AD"].demands) == ("it", "")


def test_alternatives_one_working_alternative_is_enough():
    nodes = facts(activity("LAB"), node("SIL1", 2.0), node("SIL2", 1.0))
    edges = [Edge("LAB", "SIL1", None, "sil"), Edge("LAB", "SIL2", None, "sil")]
    built = make(edges, nodes, ["SIL1"])
    assert set(built.problem.by_id()) == {"SIL1"}  # LAB still works through SIL2
    assert built.problem.task("SIL1").successors == ()


def test_alternatives_all_lost_the_quickest_is_waited_for():
    nodes = facts(activity("LAB"), node("SIL1", 2.0), node("SIL2", 1.0))
    edges = [Edge("LAB", "SIL1", None, "sil"), Edge("LAB", "SIL2", None, "sil")]
    built = make(edges, nodes, ["SIL1", "SIL2"])
    tasks = built.problem.by_id()
    assert tasks["SIL2"].successors == ("LAB",) and tasks["SIL1"].successors == ()
    assert built.chosen == {"LAB": ["SIL2"]}


def test_autonomy_delays_the_due_time():
    nodes = facts(activity("PHA", dmia=4.0), node("APP", 1.0))
    built = make([Edge("PHA", "APP", 48.0)], nodes, ["APP"])
    assert built.problem.task("PHA").due == 48 * 60
    assert built.stops_at["PHA"] == 48 * 60


def test_autonomy_of_alternatives_the_group_stops_with_its_last_member():
    nodes = facts(activity("PHA", dmia=1.0), node("A1"), node("A2"))
    edges = [Edge("PHA", "A1", 2.0, "g"), Edge("PHA", "A2", 10.0, "g")]
    built = make(edges, nodes, ["A1", "A2"])
    assert built.stops_at["PHA"] == 600 and built.problem.task("PHA").due == 600


def test_activity_without_dmia_has_no_due_time():
    nodes = facts(activity("ADM", dmia=None), node("X"))
    built = make([("ADM", "X")], nodes, ["X"])
    assert (built.problem.task("ADM").due, built.problem.task("ADM").weight) == (None, 0)


def test_external_supplier_is_waited_for_without_a_team_and_unknown_durations_are_assumed():
    nodes = facts(activity("RAD"), node("PACS", None), node("EDITEUR", 24.0, external=True))
    built = make([("RAD", "PACS"), ("PACS", "EDITEUR")], nodes, ["PACS", "EDITEUR"])
    tasks = built.problem.by_id()
    assert tasks["EDITEUR"].demands == {} and tasks["EDITEUR"].duration == 24 * 60
    assert tasks["PACS"].duration == 8 * 60 and built.assumed == {"PACS"}


def test_a_team_without_declared_capacity_gets_one():
    nodes = facts(activity("URG"), node("X", team="reseau"))
    built = make([("URG", "X")], nodes, ["X"], capacities={})
    assert built.capacities == {"reseau": 1} and built.undeclared_teams == {"reseau"}


def test_milestones_take_the_latest_group_of_what_they_wait_for():
    nodes = facts(activity("URG"), node("APP", 0, group=None), node("S1", group=1),
                  node("S2", group=3), node("S3", group=None))
    edges = [("URG", "APP"), ("APP", "S1"), ("APP", "S2")]
    built = make(edges, nodes, ["S1", "S2", "S3"])
    tasks = built.problem.by_id()
    assert tasks["URG"].group == 3 == tasks["APP"].group
    assert tasks["S3"].group is None


def test_the_problem_is_deterministic_and_valid_on_a_bigger_graph():
    nodes = {}
    edges = []
    for i in range(30):
        nodes[f"A{i}"] = activity(f"A{i}", dmia=float(1 + i % 5), weight=1 + i % 4)
        for j in range(3):
            app = f"P{(i * 3 + j) % 40}"
            edges.append((f"A{i}", app))
    for p in range(40):
        nodes[f"P{p}"] = node(f"P{p}", 0.5 + p % 7, team=f"t{p % 3}")
        edges.append((f"P{p}", f"S{p % 10}"))
    for s in range(10):
        nodes[f"S{s}"] = node(f"S{s}", 2.0)
    lost = [f"S{s}" for s in range(10)] + ["P3", "P7"]
    first = make(edges, nodes, lost)
    second = make(list(reversed(edges)), dict(reversed(list(nodes.items()))), list(reversed(lost)))
    assert isinstance(first.problem, Problem)
    assert first.problem == second.problem
    assert len(first.problem.tasks) == len(first.failed) == 10 + 40 + 30


def test_impact_weight_is_the_impact_in_force_at_the_dmia():
    hours = {"h1": 1.0, "h4": 4.0, "h24": 24.0}
    levels = {("a", "h1"): 2, ("a", "h4"): 4, ("b", "h4"): 3, ("b", "h24"): 4, ("c", "h24"): 1}
    assert impact_weight(levels, hours, 4.0) == 7
    assert impact_weight(levels, hours, 24.0) == 4 + 4 + 1
    assert impact_weight(levels, hours, 8.0) == 7  # the 4 h levels still hold at 8 h
    assert impact_weight(levels, hours, None) == 0
    assert impact_weight({}, hours, 8.0) == 1
