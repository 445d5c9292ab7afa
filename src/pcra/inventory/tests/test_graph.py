"""The graph core (DESIGN §4.2), on hand-made graphs with known answers."""

import pytest

from pcra.inventory.graph import DependencyGraph, Edge, cycle_if_added, find_cycle


def graph(activities, edges):
    return DependencyGraph(activities, [Edge(*e) for e in edges])


def test_loss_of_a_plain_dependency_impacts_the_activity_through_a_chain():
    g = graph({"URG"}, [("URG", "DPI"), ("DPI", "SRV1"), ("SRV1", "SITE")])
    assert g.impacted_activities({"SITE"}) == {"URG"}
    assert g.failed_nodes({"SRV1"}) == {"SRV1", "DPI", "URG"}


def test_redundancy_group_needs_every_alternative_lost():
    g = graph({"URG"}, [("URG", "DPI"), ("DPI", "SRV1", None, "g"), ("DPI", "SRV2", None, "g")])
    assert g.impacted_activities({"SRV1"}) == set()
    assert g.impacted_activities({"SRV2"}) == set()
    assert g.impacted_activities({"SRV1", "SRV2"}) == {"URG"}


def test_each_group_of_a_source_must_hold_and_ungrouped_edges_are_groups_of_their_own():
    edges = [("A", "X1", None, "x"), ("A", "X2", None, "x"), ("A", "Y1", None, "y"),
             ("A", "Y2", None, "y"), ("A", "Z")]
    g = graph({"A"}, edges)
    assert g.impacted_activities({"X1", "Y1"}) == set()
    assert g.impacted_activities({"X1", "X2"}) == {"A"}
    assert g.impacted_activities({"Z"}) == {"A"}


def test_autonomy_only_delays_an_impact():
    g = graph({"URG"}, [("URG", "DPI", 72.0)])
    assert g.impacted_activities({"DPI"}) == {"URG"}


def test_alternative_lost_through_a_shared_dependency():
    # Both alternatives sit on the same site: losing the site defeats the redundancy.
    edges = [("URG", "DPI1", None, "g"), ("URG", "DPI2", None, "g"),
             ("DPI1", "SITE"), ("DPI2", "SITE"), ("LAB", "SIL")]
    g = graph({"URG", "LAB"}, edges)
    assert g.impacted_activities({"SITE"}) == {"URG"}
    assert g.single_points_of_failure(["DPI1", "DPI2", "SITE", "SIL"]) == {
        "SITE": {"URG"}, "SIL": {"LAB"}}


def test_needs_and_dependents():
    g = graph({"URG"}, [("URG", "DPI"), ("DPI", "SRV"), ("LAB", "SRV")])
    assert g.needs("URG") == {"DPI", "SRV"}
    assert g.dependents("SRV") == {"DPI", "URG", "LAB"}


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("A", "B"), ("B", "C")], None),
        ([("A", "B"), ("B", "C"), ("C", "A")], ["A", "B", "C", "A"]),
        ([("A", "A")], ["A", "A"]),
    ],
)
def test_find_cycle(pairs, expected):
    assert find_cycle(pairs) == expected


def test_cycle_if_added_spells_out_the_cycle():
    adjacency = {"B": ["C"], "C": ["A"]}
    assert cycle_if_added(adjacency, "A", "B") == ["A", "B", "C", "A"]
    assert cycle_if_added(adjacency, "B", "A") is None
