"""The BIA and readiness rules (DESIGN §4.3, §4.4): worked examples with exact values, then
properties on random graphs checked against brute force (every path enumerated)."""

import math
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcra.impact.rules import (
    DEFAULT_SCALE,
    NO_REQUIREMENT,
    ActivityBia,
    Capability,
    Duration,
    Requirement,
    Scale,
    autonomy_path,
    best_duration,
    compute_readiness,
    criticality_class,
    dmia_hours,
    effective_dmia,
    horizon_maxima,
    impact_level_at,
)
from pcra.inventory.graph import CycleError, DependencyGraph, Edge

M, D = "measured", "declared"


def readiness(activities, edges, restore=None):
    """``activities``: {key: (dmia, pdma)}; ``edges``: tuples for Edge; ``restore``:
    {key: hours or (hours, source)}, a bare number being declared."""
    graph = DependencyGraph(activities, [Edge(*e) for e in edges])
    durations = {}
    for key, value in (restore or {}).items():
        hours, source = value if isinstance(value, tuple) else (value, D)
        durations[key] = Duration(hours, source)
    return compute_readiness(graph, {k: ActivityBia(*v) for k, v in activities.items()},
                             durations)


# --- DMIA, criticality, heatmap -------------------------------------------------------------


def test_dmia_is_the_earliest_horizon_where_any_criterion_reaches_the_threshold():
    levels = {("patients", "h1"): 1, ("patients", "h4"): 2, ("patients", "h24"): 3,
              ("finance", "h1"): 0, ("finance", "h4"): 3, ("finance", "h24"): 4}
    assert dmia_hours(levels, DEFAULT_SCALE) == 4.0


def test_no_criterion_reaching_the_threshold_means_no_dmia():
    assert dmia_hours({("patients", "h1"): 2, ("patients", "m1"): 2}) is None
    assert dmia_hours({}) is None


def test_the_threshold_and_the_horizons_are_data():
    scale = Scale(horizons=(("d1", 24), ("h2", 2), ("h8", Decimal("8"))), threshold=2)
    assert scale.horizons == (("h2", 2.0), ("h8", 8.0), ("d1", 24.0))
    levels = {("care", "h2"): 1, ("care", "h8"): 2, ("care", "d1"): 4}
    assert dmia_hours(levels, scale) == 8.0
    assert dmia_hours(levels, Scale(horizons=scale.horizons, threshold=4)) == 24.0


@pytest.mark.parametrize(("horizons", "threshold"), [
    ((("h1", 1), ("h1", 2)), 3),  # duplicate code
    ((("h1", 1), ("x", 1)), 3),  # duplicate hours
    ((("h0", 0),), 3),  # not positive
    (DEFAULT_SCALE.horizons, 0),
    (DEFAULT_SCALE.horizons, 5),
])
def test_a_bad_scale_is_refused(horizons, threshold):
    with pytest.raises(ValueError):
        Scale(horizons=horizons, threshold=threshold)


def test_a_bad_cell_is_refused_with_its_name():
    with pytest.raises(ValueError, match="patients/h2: unknown horizon"):
        dmia_hours({("patients", "h2"): 3})
    with pytest.raises(ValueError, match="patients/h4: 5 is not 0–4"):
        dmia_hours({("patients", "h4"): 5})


def test_a_declared_dmia_overrides_the_computed_one():
    assert effective_dmia(24, 2) == (2.0, "declared")
    assert effective_dmia(24, Decimal("0.50")) == (0.5, "declared")
    assert effective_dmia(None, 72) == (72.0, "declared")
    assert effective_dmia(24, None) == (24.0, "computed")
    assert effective_dmia(None, None) == (None, "computed")


@pytest.mark.parametrize(("dmia", "expected"), [
    (None, "non-critical"), (0.5, "P1"), (4, "P1"), (4.5, "P2"), (24, "P2"), (72, "P3"),
    (72.01, "P4"), (720, "P4"), (Decimal("2.00"), "P1"),
])
def test_criticality_class_with_the_default_classes(dmia, expected):
    assert criticality_class(dmia) == expected


def test_criticality_classes_are_data():
    # As stored in the database: lists, None for "no upper bound", in any order.
    classes = [[None, "C"], [2, "A"], [12, "B"]]
    assert [criticality_class(h, classes) for h in (1, 2, 3, 12, 13, 1000)] == [
        "A", "A", "B", "B", "C", "C"]
    assert criticality_class(None, classes, none_label="—") == "—"
    # Without an unbounded class, beyond every bound is the loosest class.
    assert criticality_class(100, [(4, "vital"), (48, "important")]) == "important"
    assert criticality_class(100, [(4, "vital"), (math.inf, "other")]) == "other"
    # No classes configured: the defaults.
    assert criticality_class(10, []) == "P2"
    assert criticality_class(10, None) == "P2"


def test_horizon_maxima_for_the_heatmap():
    levels = {("patients", "h1"): 1, ("finance", "h1"): 2, ("patients", "h24"): 4,
              ("finance", "m1"): 3}
    assert horizon_maxima(levels) == [2, None, 4, None, None, 3]
    assert horizon_maxima({}) == [None] * 6


def test_a_level_holds_until_the_next_horizon():
    levels = {("patients", "h1"): 1, ("finance", "h1"): 2, ("patients", "h4"): 3,
              ("patients", "h24"): 4}
    assert [impact_level_at(levels, t) for t in (0, 0.99, 1, 3.99, 4, 23, 24, 71, 2000)] == [
        0, 0, 2, 2, 3, 3, 4, 4, 0]  # h72 and later were not assessed: 0


def test_best_duration_measured_beats_declared():
    assert best_duration(3, 8) == Duration(3.0, "measured")
    assert best_duration(None, Decimal("8.50")) == Duration(8.5, "declared")
    assert best_duration(None, None) == Duration(None, "unknown")
    assert best_duration(0, None) == Duration(0.0, "measured")


# --- Required objectives flowing down ---------------------------------------------------------


def test_chain_with_autonomies_takes_the_smallest_sum_over_the_paths():
    # URG -2-> DPI -> VM -> HV ; URG -1-> GW -3-> HV ; URG -5-> X -> T ; URG -1-> Y -1-> T
    r = readiness({"URG": (1, 0.5)}, [
        ("URG", "DPI", 2), ("DPI", "VM"), ("VM", "HV"),
        ("URG", "GW", 1), ("GW", "HV", 3),
        ("URG", "X", 5), ("X", "T"), ("URG", "Y", 1), ("Y", "T", 1)])
    req = r.required
    assert req["URG"] == Requirement(1.0, "URG", 1.0, 0.0, 0.5, "URG")
    assert req["HV"] == Requirement(2.0, "URG", 1.0, 2.0, 0.5, "URG")  # via DPI, not via GW (4)
    assert req["GW"] == Requirement(1.0, "URG", 1.0, 1.0, 0.5, "URG")
    assert req["X"].rto_hours == 5.0
    assert req["T"].rto_hours == 2.0 and req["T"].autonomy_hours == 2.0  # via Y, not X
    assert req["HV"].rto_driver == "autonomy"
    assert req["GW"].rto_driver == "dmia"
    assert autonomy_path(DependencyGraph({"URG"}, [Edge("URG", "DPI", 2), Edge("DPI", "VM"),
                                                   Edge("VM", "HV"), Edge("URG", "GW", 1),
                                                   Edge("GW", "HV", 3)]), "URG", "HV") == (
        ["URG", "DPI", "VM", "HV"], 2.0)


def test_autonomy_is_compared_to_the_dmia_not_added():
    # DESIGN §4.4: max(DMIA, autonomy), deliberately conservative.
    r = readiness({"URG": (4, None)}, [("URG", "DPI", 2), ("URG", "LAB", 10)])
    assert r.required["DPI"].rto_hours == 4.0
    assert r.required["LAB"].rto_hours == 10.0


def test_activities_without_dmia_impose_no_rto_but_their_pdma_flows():
    r = readiness({"ADM": (None, 1), "URG": (24, 4), "LOG": (None, None)}, [
        ("ADM", "ERP"), ("ERP", "DB"), ("URG", "DPI"), ("DPI", "DB"), ("LOG", "WMS")])
    assert r.required["DB"] == Requirement(24.0, "URG", 24.0, 0.0, 1.0, "ADM")
    assert r.required["ERP"] == Requirement(None, None, None, None, 1.0, "ADM")
    assert r.required["ADM"] == Requirement(rpo_hours=1.0, rpo_activity="ADM")
    assert r.required["DPI"] == Requirement(24.0, "URG", 24.0, 0.0, 4.0, "URG")
    assert r.required["WMS"] == NO_REQUIREMENT
    assert r.required["LOG"] == NO_REQUIREMENT
    assert r.required["WMS"].rto_driver is None


def test_two_activities_with_different_dmia_sharing_a_component():
    r = readiness({"URG": (4, 1), "ADM": (72, 24)}, [
        ("URG", "DPI", 8), ("DPI", "SAN"), ("ADM", "ERP"), ("ERP", "SAN")])
    # URG: max(4, 8) = 8; ADM: max(72, 0) = 72.
    assert r.required["SAN"] == Requirement(8.0, "URG", 4.0, 8.0, 1.0, "URG")
    assert r.required["ERP"] == Requirement(72.0, "ADM", 72.0, 0.0, 24.0, "ADM")
    assert r.required["DPI"] == Requirement(8.0, "URG", 4.0, 8.0, 1.0, "URG")


def test_equal_requirements_go_to_the_smallest_activity_key_whatever_the_order():
    edges = [("B", "SAN", 4), ("A", "SAN", 4)]  # B: max(2, 4) = 4; A: max(4, 4) = 4
    for activities in ({"B": (2, 1), "A": (4, 1)}, {"A": (4, 1), "B": (2, 1)}):
        for order in (edges, edges[::-1]):
            r = readiness(activities, order)
            assert r.required["SAN"] == Requirement(4.0, "A", 4.0, 4.0, 1.0, "A")


def test_both_alternatives_of_a_redundancy_group_inherit_the_requirement():
    r = readiness({"URG": (4, 1)}, [("URG", "DPI"), ("DPI", "VM1", None, "ha"),
                                    ("DPI", "VM2", 6, "ha")])
    assert r.required["VM1"] == Requirement(4.0, "URG", 4.0, 0.0, 1.0, "URG")
    assert r.required["VM2"] == Requirement(6.0, "URG", 4.0, 6.0, 1.0, "URG")


# --- Achieved capability flowing up ------------------------------------------------------------


def test_capability_best_alternative_inside_a_group_and_worst_need_across():
    edges = [("URG", "APP"), ("APP", "VM1", None, "ha"), ("APP", "VM2", None, "ha"),
             ("APP", "DB")]
    durations = {"APP": (1, M), "VM1": (4, M), "VM2": (2, D), "DB": (3, M)}
    r = readiness({"URG": (4, 1)}, edges, durations)
    # APP = 1 + max(min(4, 2), 3) = 4: the database is the worst need.
    assert r.achieved["APP"] == Capability(4.0, "measured", ("APP", "DB"), frozenset())
    assert r.achieved["URG"] == Capability(4.0, "measured", ("URG", "APP", "DB"), frozenset())
    assert r.gap("URG") == 0.0
    r = readiness({"URG": (4, 1)}, edges, {**durations, "DB": (1, M)})
    # APP = 1 + max(min(4, 2), 1) = 3 through VM2, whose duration is only declared.
    assert r.achieved["URG"] == Capability(3.0, "declared", ("URG", "APP", "VM2"), frozenset())
    assert r.gaps() == {"URG": -1.0}


def test_a_node_is_not_back_before_what_it_needs_the_critical_chain():
    edges = [("URG", "DPI", 2), ("URG", "LAB"), ("DPI", "VM"), ("VM", "HV"),
             ("HV", "HOST1", None, "h"), ("HV", "HOST2", None, "h"), ("HOST1", "SITE"),
             ("HOST2", "SITE"), ("SITE", "PWR-A", None, "p"), ("SITE", "PWR-B", None, "p"),
             ("LAB", "SIL"), ("SIL", "VM")]
    # LAB is an application here (a lab gateway), declared to restore in 0 h.
    durations = {"DPI": (6, M), "VM": (2, M), "HV": (1, M), "HOST1": (8, M), "HOST2": (5, M),
                 "SITE": (24, M), "PWR-A": (12, M), "PWR-B": (12, M), "LAB": 0, "SIL": (3, M)}
    r = readiness({"URG": (4, 0.5)}, edges, durations)
    # SITE 24 + 12 = 36; HOST2 5 + 36 = 41 (beats HOST1 44); HV 42; VM 44; DPI 50; SIL 47.
    assert r.achieved["URG"] == Capability(
        50.0, "measured", ("URG", "DPI", "VM", "HV", "HOST2", "SITE", "PWR-A"), frozenset())
    assert r.achieved["SIL"].rto_hours == 47.0
    assert r.achieved["LAB"] == Capability(
        47.0, "declared", ("LAB", "SIL", "VM", "HV", "HOST2", "SITE", "PWR-A"), frozenset())
    assert r.required["VM"].rto_hours == 4.0
    assert r.gaps() == {"URG": 46.0}
    assert r.gap("VM") == 44.0 - 4.0


def test_unknown_durations_make_the_capability_unknown_and_are_reported():
    edges = [("URG", "DPI"), ("DPI", "VM"), ("DPI", "SAAS"), ("LAB", "SIL"),
             ("SIL", "VM1", None, "ha"), ("SIL", "VM2", None, "ha")]
    durations = {"DPI": (2, M), "VM": (1, M), "SAAS": None, "SIL": (1, M), "VM1": (3, M)}
    # VM2 is missing from the durations: unknown too.
    r = readiness({"URG": (4, 1), "LAB": (24, 4)}, edges, durations)
    assert r.achieved["DPI"] == Capability(None, "unknown", ("DPI", "SAAS"),
                                           frozenset({"SAAS"}))
    assert r.achieved["URG"] == Capability(None, "unknown", ("URG", "DPI", "SAAS"),
                                           frozenset({"SAAS"}))
    assert r.achieved["SAAS"] == Capability(None, "unknown", ("SAAS",), frozenset({"SAAS"}))
    # An unknown alternative is never counted on: the known one wins, still reported.
    assert r.achieved["LAB"] == Capability(4.0, "measured", ("LAB", "SIL", "VM1"),
                                           frozenset({"VM2"}))
    assert r.gaps() == {"LAB": -20.0, "URG": None}
    assert r.unknown_durations == {"SAAS", "VM2"}


def test_a_group_whose_alternatives_are_all_unknown_blames_the_smallest():
    r = readiness({"URG": (4, 1)}, [("URG", "APP"), ("APP", "VM2", None, "ha"),
                                    ("APP", "VM1", None, "ha"), ("APP", "DB")],
                  {"APP": (1, M), "DB": (2, M), "VM1": None, "VM2": None})
    assert r.achieved["APP"] == Capability(None, "unknown", ("APP", "VM1"),
                                           frozenset({"VM1", "VM2"}))


def test_measured_only_when_every_duration_on_the_chain_is_measured():
    edges = [("URG", "APP"), ("APP", "DB"), ("APP", "VM")]
    r = readiness({"URG": (4, 1)}, edges, {"APP": (1, M), "DB": (5, M), "VM": (2, D)})
    assert r.achieved["URG"].source == "measured"  # the declared VM is not on the chain
    r = readiness({"URG": (4, 1)}, edges, {"APP": (1, D), "DB": (5, M), "VM": (2, M)})
    assert r.achieved["URG"].source == "declared"
    # Ties: a measured alternative is preferred, a declared need is shown.
    r = readiness({"URG": (4, 1)}, [("URG", "APP"), ("APP", "A", None, "g"),
                                    ("APP", "B", None, "g")],
                  {"APP": (1, M), "A": (2, D), "B": (2, M)})
    assert r.achieved["APP"] == Capability(3.0, "measured", ("APP", "B"), frozenset())
    r = readiness({"URG": (4, 1)}, edges, {"APP": (1, M), "DB": (2, M), "VM": (2, D)})
    assert r.achieved["APP"] == Capability(3.0, "declared", ("APP", "VM"), frozenset())


def test_activities_restore_in_no_time_and_can_need_each_other():
    r = readiness({"URG": (4, 1), "LAB": (24, 4)}, [("URG", "LAB"), ("LAB", "SIL")],
                  {"SIL": (3, M), "URG": (100, M)})
    assert r.achieved["URG"] == Capability(3.0, "measured", ("URG", "LAB", "SIL"), frozenset())
    assert r.required["LAB"] == Requirement(4.0, "URG", 4.0, 0.0, 1.0, "URG")
    assert r.required["SIL"].rto_activity == "URG"


def test_isolated_nodes_and_activities_without_dependencies():
    r = readiness({"URG": (4, 1)}, [], {"SPARE": (2, M)})
    assert list(r.achieved) == ["SPARE", "URG"]
    # Needing nothing, the activity is back at once: declared by the mapping, not measured.
    assert r.achieved["URG"] == Capability(0.0, "declared", ("URG",), frozenset())
    assert r.required["SPARE"] == NO_REQUIREMENT
    assert r.gaps() == {"URG": -4.0}


def test_decimals_from_the_database_are_accepted():
    r = readiness({"URG": (Decimal("4.00"), Decimal("0.50"))},
                  [("URG", "DPI", Decimal("1.50"))], {"DPI": (Decimal("2.25"), M)})
    assert r.required["DPI"] == Requirement(4.0, "URG", 4.0, 1.5, 0.5, "URG")
    assert r.achieved["URG"].rto_hours == 2.25


def test_bad_inputs_are_refused():
    with pytest.raises(CycleError) as raised:
        readiness({"URG": (4, 1)}, [("URG", "A"), ("A", "B"), ("B", "A")])
    assert raised.value.cycle == ["A", "B", "A"]
    with pytest.raises(ValueError, match="not activities of the graph"):
        compute_readiness(DependencyGraph({"URG"}, []), {"DPI": ActivityBia(4, 1)}, {})
    with pytest.raises(ValueError, match="autonomy of an edge of URG"):
        readiness({"URG": (4, 1)}, [("URG", "DPI", -1)])
    with pytest.raises(ValueError, match="duration of DPI"):
        readiness({"URG": (4, 1)}, [("URG", "DPI")], {"DPI": -2})


def test_keys_of_different_types_are_ordered_deterministically():
    r = readiness({1: (4, 1), "URG": (4, 1)}, [(1, "APP"), ("URG", "APP")], {"APP": 1})
    assert r.required["APP"].rto_activity == 1  # "int" sorts before "str"
    assert r.activities == (1, "URG")


# --- Properties on random graphs ---------------------------------------------------------------

AUTONOMIES = [None, 0, 1, 2, 4, 8]
GROUPS = ["", "", "", "g", "h"]
DMIAS = [None, 1, 4, 24, 72]
PDMAS = [None, 0.5, 1, 4]
DURATIONS = [None, 0, 1, 2, 3, 5]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def worlds(draw, grouped=True, autonomies=True, max_nodes=8):
    """A random DAG on nodes 0..n-1 (edges go from smaller to larger numbers); the first k
    nodes are activities; BIA and durations drawn from small sets so that ties happen."""
    n = draw(st.integers(2, max_nodes))
    k = draw(st.integers(1, min(3, n - 1)))
    edges = []
    for i in range(n):
        for j in range(i + 1, n):
            if draw(st.booleans()):
                edges.append(Edge(i, j, draw(st.sampled_from(AUTONOMIES)) if autonomies else None,
                                  draw(st.sampled_from(GROUPS)) if grouped else ""))
    bia = {a: ActivityBia(draw(st.sampled_from(DMIAS)), draw(st.sampled_from(PDMAS)))
           for a in range(k)}
    restore = {x: Duration(draw(st.sampled_from(DURATIONS)), draw(st.sampled_from([M, D])))
               for x in range(k, n)}
    return n, k, edges, bia, restore


def compute(world, edges=None):
    n, k, world_edges, bia, restore = world
    return compute_readiness(DependencyGraph(range(k), world_edges if edges is None else edges),
                             bia, restore)


def paths_from(edges, start):
    """Every path from ``start`` (itself included), as lists of edges."""
    out = {}
    for edge in edges:
        out.setdefault(edge.source, []).append(edge)
    found, stack = [], [(start, [])]
    while stack:
        node, path = stack.pop()
        found.append((node, path))
        for edge in out.get(node, ()):
            stack.append((edge.target, [*path, edge]))
    return found


def brute_required(world):
    """{node: (rto, activity, autonomy)} from every path of every activity."""
    n, k, edges, bia, _ = world
    best = {}
    for activity in sorted(bia):
        dmia = bia[activity].dmia_hours
        if dmia is None:
            continue
        autonomy = {}
        for node, path in paths_from(edges, activity):
            total = sum(e.autonomy_hours or 0 for e in path)
            autonomy[node] = min(total, autonomy.get(node, math.inf))
        for node, d in autonomy.items():
            value = max(dmia, d)
            if node not in best or value < best[node][0]:
                best[node] = (value, activity, d)
    return best


def le(a, b):
    """a ≤ b where None means no bound (+∞)."""
    return b is None or (a is not None and a <= b)


def reaching(edges, bia, node):
    return [a for a in bia if any(end == node for end, _ in paths_from(edges, a))]


@FAST
@given(worlds())
def test_required_rto_equals_brute_force_over_every_path(world):
    n, k, edges, bia, _ = world
    r = compute(world)
    expected = brute_required(world)
    graph = DependencyGraph(range(k), edges)
    for node in r.required:
        req = r.required[node]
        if node in expected:
            assert (req.rto_hours, req.rto_activity, req.autonomy_hours) == expected[node]
            # The path that explains it sums to the autonomy used.
            path, autonomy = autonomy_path(graph, req.rto_activity, node)
            assert autonomy == req.autonomy_hours and path[0] == req.rto_activity
            steps = {(e.source, e.target): e.autonomy_hours or 0 for e in edges}
            assert sum(steps[a, b] for a, b in zip(path, path[1:], strict=False)) == autonomy
        else:
            assert req.rto_hours is None and req.rto_activity is None


@FAST
@given(worlds(autonomies=False))
def test_without_autonomy_required_rto_is_the_smallest_dmia_reaching_the_node(world):
    n, k, edges, bia, _ = world
    r = compute(world)
    for node in range(n):
        if node not in r.required:
            continue
        dmias = [(bia[a].dmia_hours, a) for a in reaching(edges, bia, node)
                 if bia[a].dmia_hours is not None]
        expected = min(dmias) if dmias else (None, None)
        assert (r.required[node].rto_hours, r.required[node].rto_activity) == expected
        pdmas = [bia[a].pdma_hours for a in reaching(edges, bia, node)
                 if bia[a].pdma_hours is not None]
        assert r.required[node].rpo_hours == (min(pdmas) if pdmas else None)


@FAST
@given(worlds())
def test_required_rto_is_never_below_the_smallest_dmia_reaching_the_node(world):
    n, k, edges, bia, _ = world
    r = compute(world)
    for node, req in r.required.items():
        dmias = [bia[a].dmia_hours for a in reaching(edges, bia, node)
                 if bia[a].dmia_hours is not None]
        assert (req.rto_hours is None) == (not dmias)
        if dmias:
            assert req.rto_hours >= min(dmias)


@FAST
@given(worlds(), st.data())
def test_adding_an_edge_never_relaxes_a_requirement(world, data):
    n, k, edges, bia, restore = world
    present = {(e.source, e.target) for e in edges}
    candidates = [(i, j) for i in range(n) for j in range(max(i + 1, k), n)
                  if (i, j) not in present]
    if not candidates:
        return
    source, target = data.draw(st.sampled_from(candidates))
    extra = Edge(source, target, data.draw(st.sampled_from(AUTONOMIES)),
                 data.draw(st.sampled_from(GROUPS)))
    before, after = compute(world), compute(world, [*edges, extra])
    for node, req in before.required.items():
        assert le(after.required[node].rto_hours, req.rto_hours)
        assert le(after.required[node].rpo_hours, req.rpo_hours)


@FAST
@given(worlds(), st.data())
def test_adding_an_alternative_never_worsens_a_capability(world, data):
    n, k, edges, bia, restore = world
    if not edges:
        return
    chosen = data.draw(st.sampled_from(edges))
    present = {e.target for e in edges if e.source == chosen.source}
    candidates = [j for j in range(max(chosen.source + 1, k), n) if j not in present]
    if not candidates:
        return
    group = chosen.group or "new"
    changed = [Edge(e.source, e.target, e.autonomy_hours, group) if e == chosen else e
               for e in edges]
    changed.append(Edge(chosen.source, data.draw(st.sampled_from(candidates)), None, group))
    before, after = compute(world), compute(world, changed)
    for node, capability in before.achieved.items():
        assert le(after.achieved[node].rto_hours, capability.rto_hours)


@FAST
@given(worlds(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_insertion_order(world, rnd):
    n, k, edges, bia, restore = world
    shuffled_edges = edges[:]
    rnd.shuffle(shuffled_edges)
    activities = list(range(k))
    rnd.shuffle(activities)
    nodes = list(restore)
    rnd.shuffle(nodes)
    one = compute(world)
    other = compute_readiness(DependencyGraph(activities, shuffled_edges),
                              {a: bia[a] for a in activities}, {x: restore[x] for x in nodes})
    assert one == other
    assert list(one.required) == list(other.required)


@FAST
@given(worlds(grouped=False))
def test_without_groups_achieved_rto_is_the_longest_path(world):
    n, k, edges, bia, restore = world
    r = compute(world)

    def duration(node):
        return 0 if node < k else restore[node].hours

    for node, capability in r.achieved.items():
        ends = paths_from(edges, node)
        needed = {node} | {end for end, _ in ends}
        if any(duration(x) is None for x in needed):
            assert capability.rto_hours is None
        else:
            longest = max(duration(node) + sum(duration(e.target) for e in path)
                          for _, path in ends)
            assert capability.rto_hours == longest
        assert capability.unknown == {x for x in needed if duration(x) is None}


@FAST
@given(worlds())
def test_the_chain_explains_the_value(world):
    n, k, edges, bia, restore = world
    r = compute(world)
    pairs = {(e.source, e.target) for e in edges}

    def duration(node):
        return 0 if node < k else restore[node].hours

    for node, capability in r.achieved.items():
        chain = capability.chain
        assert chain[0] == node
        assert all((a, b) in pairs for a, b in zip(chain, chain[1:], strict=False))
        if capability.rto_hours is None:
            assert duration(chain[-1]) is None and capability.source == "unknown"
            assert chain[-1] in capability.unknown
        else:
            assert sum(duration(x) for x in chain) == capability.rto_hours
            # "measured" needs at least one measured duration, and nothing else on the chain
            measured = (any(x >= k for x in chain)
                        and all(x < k or restore[x].source == M for x in chain))
            assert capability.source == ("measured" if measured else "declared")


def test_requirements_on_a_larger_random_graph_against_floyd_warshall():
    # 60 nodes: too many paths to enumerate, so the reference is all-pairs shortest autonomy.
    rng = random.Random(7)
    k, n = 8, 60
    edges = [Edge(i, j, rng.choice(AUTONOMIES), rng.choice(GROUPS))
             for i in range(n) for j in range(max(i + 1, k), min(n, i + 8)) if rng.random() < 0.5]
    bia = {a: ActivityBia(rng.choice(DMIAS), rng.choice(PDMAS)) for a in range(k)}
    restore = {x: Duration(rng.choice(DURATIONS[1:]), M) for x in range(k, n)}
    distance = [[0.0 if i == j else math.inf for j in range(n)] for i in range(n)]
    for e in edges:
        distance[e.source][e.target] = min(distance[e.source][e.target], e.autonomy_hours or 0)
    for via in range(n):
        for i in range(n):
            for j in range(n):
                distance[i][j] = min(distance[i][j], distance[i][via] + distance[via][j])
    r = compute((n, k, edges, bia, restore))
    for node in range(n):
        candidates = sorted((max(bia[a].dmia_hours, distance[a][node]), a, distance[a][node])
                            for a in range(k) if distance[a][node] < math.inf
                            and bia[a].dmia_hours is not None)
        req = r.required.get(node, NO_REQUIREMENT)
        assert (req.rto_hours, req.rto_activity, req.autonomy_hours) == (
            candidates[0] if candidates else (None, None, None))
