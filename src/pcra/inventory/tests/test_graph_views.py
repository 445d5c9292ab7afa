"""The graph pages: what a node needs, what its loss impacts, single points of failure.

The world's GHT-A graph (``→`` = depends on; ``{…}`` = one redundancy group):

    URG (activity, ET-A1) → DPI (4 h autonomy)
    LAB (activity, ET-A1) → DPI, SIL (2 h)
    MAT-A2 (activity, ET-A2) → PACS-A2
    DPI (ET-A1) → {SRV1, SRV2 : group "ha"}        SIL (ET-A1) → SRV-A2
    SRV1, SRV2 (ET-A1) → SAN-A2 (ET-A2)             PACS-A2 (ET-A2) → SRV-A2
    SAN-A2 → SITE (shared by the GHT)              SRV-A2 → SITE

and in GHT-B: BURG (activity, ET-B1) → DPI (ET-B1), a code GHT-A uses too.

``owner`` and ``member`` (ET-A1) cannot see the ``-A2`` nodes; ``outsider`` (ET-A2) cannot see
ET-A1's; ``ght_admin`` sees all of GHT-A; ``stranger`` sees only GHT-B.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcra.core.testing import make_edge, make_node, make_user
from pcra.inventory.graph import (
    DependencyGraph,
    Edge,
    single_failure_impacts,
    single_failure_killers,
    single_points_of_failure_of,
)

HIDDEN_FROM_ET_A1 = ["SAN-A2", "SRV-A2", "PACS-A2", "MAT-A2"]
LINK = re.compile(r'<a class="code" href="/graph/node/[0-9a-f-]+/">([^<]+)</a>')
HIDDEN_FROM_ET_A2 = ["URG", "LAB", "DPI", "SIL", "SRV1", "SRV2"]


@dataclass
class G:
    nodes: dict

    def __getitem__(self, code):
        return self.nodes[code]


@pytest.fixture
def g(world) -> G:
    a1, a2, ght = world.et_a1, world.et_a2, world.ght_a
    n = {}
    for code, org, node_type in [
        ("URG", a1, "activity"), ("LAB", a1, "activity"), ("MAT-A2", a2, "activity"),
        ("DPI", a1, "application"), ("SIL", a1, "application"), ("PACS-A2", a2, "application"),
        ("SRV1", a1, "component"), ("SRV2", a1, "component"), ("SAN-A2", a2, "component"),
        ("SRV-A2", a2, "component"), ("SITE", ght, "component"),
    ]:
        n[code] = make_node(org=org, node_type=node_type, code=code)
    make_edge(n["URG"], n["DPI"], autonomy=4)
    make_edge(n["LAB"], n["DPI"])
    make_edge(n["LAB"], n["SIL"], autonomy=2)
    make_edge(n["MAT-A2"], n["PACS-A2"])
    make_edge(n["DPI"], n["SRV1"], group="ha")
    make_edge(n["DPI"], n["SRV2"], group="ha")
    make_edge(n["SIL"], n["SRV-A2"])
    make_edge(n["SRV1"], n["SAN-A2"])
    make_edge(n["SRV2"], n["SAN-A2"])
    make_edge(n["PACS-A2"], n["SRV-A2"])
    make_edge(n["SAN-A2"], n["SITE"])
    make_edge(n["SRV-A2"], n["SITE"])
    n["BURG"] = make_node(org=world.et_b1, node_type="activity", code="BURG")
    n["B-DPI"] = make_node(org=world.et_b1, node_type="application", code="DPI")
    make_edge(n["BURG"], n["B-DPI"])
    return G(n)


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def node_url(node, name="graph:node"):
    return reverse(name, args=[node.uuid])


def codes_in(html: str, table_id: str) -> list[str]:
    """The node codes linked in the table with this id, in order."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    if match is None:
        return []
    return LINK.findall(match.group(0))


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell, row by row, of the table with this id."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(0) if match else "", re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if cells:
            rows.append(cells)
    return rows


def assert_hidden(html: str, codes: list[str]) -> None:
    for code in codes:
        assert code not in html
        assert f"Node {code}" not in html


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["graph:index", "graph:loss", "graph:spof"])
def test_pages_need_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_node_pages_need_login(client, g):
    for name in ("graph:node", "graph:node_data"):
        response = client.get(node_url(g["URG"], name))
        assert response.status_code == 302


@pytest.mark.parametrize(("persona", "code"), [
    ("owner", "MAT-A2"), ("owner", "SAN-A2"), ("member", "SRV-A2"), ("outsider", "URG"),
    ("outsider", "DPI"), ("stranger", "URG"), ("stranger", "SITE"), ("ght_admin", "BURG"),
])
def test_a_node_outside_the_scope_is_a_404(client, world, g, persona, code):
    login(client, getattr(world, persona))
    assert client.get(node_url(g[code])).status_code == 404
    assert client.get(node_url(g[code], "graph:node_data")).status_code == 404


# --- index --------------------------------------------------------------------------------


def test_index_searches_visible_nodes_by_code_and_name(client, world, g):
    login(client, world.owner)
    html = client.get(reverse("graph:index"), {"q": "SRV"}).content.decode()
    assert codes_in(html, "search-results") == ["SRV1", "SRV2"]
    assert table_rows(html, "search-results") == [
        ["SRV1", "Node SRV1", "Component Server", "ET-A1"],
        ["SRV2", "Node SRV2", "Component Server", "ET-A1"]]
    html = client.get(reverse("graph:index"), {"q": "node sit"}).content.decode()
    assert table_rows(html, "search-results") == [
        ["SITE", "Node SITE", "Component Server", "Shared · GHT-A"]]
    html = client.get(reverse("graph:index")).content.decode()
    assert "search-results" not in html
    assert "A single point of failure is an application or component" in html


def test_index_search_never_leaks_other_establishments(client, world, g):
    login(client, world.outsider)
    html = client.get(reverse("graph:index"), {"q": "S"}).content.decode()
    assert codes_in(html, "search-results") == ["PACS-A2", "SAN-A2", "SITE", "SRV-A2"]
    login(client, world.stranger)
    html = client.get(reverse("graph:index"), {"q": "DPI"}).content.decode()
    assert codes_in(html, "search-results") == ["DPI"]
    assert str(g["B-DPI"].uuid) in html and str(g["DPI"].uuid) not in html


# --- node page ----------------------------------------------------------------------------


def test_activity_page_shows_needs_spofs_and_collapses_hidden_nodes(client, world, g):
    login(client, world.owner)
    response = client.get(node_url(g["URG"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert codes_in(html, "needs-table") == ["URG", "DPI", "DPI", "SRV1", "SRV2", "SRV1", "SRV2",
                                             "SITE"]
    assert "1 node outside your scope" in html
    assert codes_in(html, "activity-spofs") == ["DPI", "SITE"]
    assert "And 1 node outside your scope." in html
    assert codes_in(html, "impacted-activities") == ["URG"]
    assert "4 h autonomy" in html and "⇄ ha" in html
    assert 'id="graph-elements"' in html
    assert "vendor/cytoscape-3.34.4.min.js" in html and "inventory/graph.js" in html
    assert_hidden(html, HIDDEN_FROM_ET_A1)


def test_node_data_draws_hidden_nodes_as_one_anonymous_marker(client, world, g):
    login(client, world.member)
    data = client.get(node_url(g["URG"], "graph:node_data")).json()
    nodes = {n["data"]["id"]: n["data"] for n in data["elements"]["nodes"]}
    labels = {d["label"] for d in nodes.values()}
    assert labels == {"URG", "DPI", "SRV1", "SRV2", "SITE", "1 node outside your scope"}
    assert data["hidden"] == 1 and data["drawable"] is True
    assert data["root"] == str(g["URG"].uuid) and nodes[str(g["URG"].uuid)]["root"] is True
    assert nodes[str(g["DPI"].uuid)]["url"] == node_url(g["DPI"])
    assert nodes[str(g["SRV1"].uuid)]["type"] == "component"
    label = {d["id"]: d["label"] for d in nodes.values()}
    edges = {(label[e["data"]["source"]], label[e["data"]["target"]]): e["data"]
             for e in data["elements"]["edges"]}
    marker = "1 node outside your scope"
    assert set(edges) == {("URG", "DPI"), ("DPI", "SRV1"), ("DPI", "SRV2"), ("SRV1", marker),
                          ("SRV2", marker), (marker, "SITE")}
    assert edges[("URG", "DPI")]["label"] == "4 h" and edges[("URG", "DPI")]["alt"] is False
    assert edges[("DPI", "SRV1")]["group"] == "ha" and edges[("DPI", "SRV1")]["alt"] is True
    assert edges[(marker, "SITE")]["label"] == ""
    assert not any(code in str(data) for code in HIDDEN_FROM_ET_A1)


def test_component_page_lists_what_its_loss_impacts(client, world, g):
    login(client, world.owner)
    html = client.get(node_url(g["SITE"])).content.decode()
    assert codes_in(html, "impacted-activities") == ["LAB", "URG"]
    assert "And 1 activity outside your scope." in html
    assert "3 activities stop" in html
    assert table_rows(html, "failed-nodes") == [
        ["DPI", "Node DPI", "Application", "ET-A1"],
        ["SIL", "Node SIL", "Application", "ET-A1"],
        ["SRV1", "Node SRV1", "Component Server", "ET-A1"],
        ["SRV2", "Node SRV2", "Component Server", "ET-A1"]]
    assert "And 3 nodes outside your scope." in html
    assert "This node depends on nothing." in html
    assert 'id="graph-elements"' not in html and "cytoscape" not in html
    assert_hidden(html, HIDDEN_FROM_ET_A1)


def test_redundant_component_impacts_nothing(client, world, g):
    login(client, world.owner)
    html = client.get(node_url(g["SRV1"])).content.decode()
    assert "0 activities stop" in html
    assert "impacted-activities" not in html
    assert "No activity stops" in html


def test_hidden_component_breaks_a_visible_activity_for_the_other_establishment(client, world, g):
    # SAN-A2 belongs to ET-A2: its loss stops URG and LAB of ET-A1, which outsider cannot see.
    login(client, world.outsider)
    html = client.get(node_url(g["SAN-A2"])).content.decode()
    assert "2 activities stop" in html
    assert "And 2 activities outside your scope." in html
    assert "impacted-activities" not in html
    assert_hidden(html, HIDDEN_FROM_ET_A2)


def test_ght_admin_sees_every_node_of_the_closure(client, world, g):
    login(client, world.ght_admin)
    html = client.get(node_url(g["LAB"])).content.decode()
    assert "outside your scope" not in html
    assert codes_in(html, "activity-spofs") == ["DPI", "SIL", "SAN-A2", "SITE", "SRV-A2"]
    data = client.get(node_url(g["LAB"], "graph:node_data")).json()
    assert {n["data"]["label"] for n in data["elements"]["nodes"]} == {
        "LAB", "DPI", "SIL", "SRV1", "SRV2", "SAN-A2", "SRV-A2", "SITE"}


# --- loss of a set ------------------------------------------------------------------------


def test_loss_of_both_alternatives_impacts_what_needs_them(client, world, g):
    login(client, world.owner)
    html = client.get(reverse("graph:loss"), {"codes": "SRV1, SRV2"}).content.decode()
    assert codes_in(html, "impacted-activities") == ["LAB", "URG"]
    assert codes_in(html, "failed-nodes") == ["DPI"]
    assert "outside your scope" not in html


def test_loss_of_one_alternative_impacts_nothing(client, world, g):
    login(client, world.owner)
    html = client.get(reverse("graph:loss"), {"codes": "SRV1"}).content.decode()
    assert "0 activities stop" in html


def test_loss_refuses_codes_outside_the_scope_without_saying_they_exist(client, world, g):
    login(client, world.owner)
    html = client.get(reverse("graph:loss"), {"codes": "SRV1 SAN-A2 NOPE"}).content.decode()
    assert re.search(r'id="unknown-codes">[^<]*SAN-A2, NOPE</p>', html)
    assert "impacted-activities" not in html


def test_loss_counts_hidden_consequences(client, world, g):
    login(client, world.ght_admin)
    html = client.get(reverse("graph:loss"), {"codes": "SRV1;SAN-A2"}).content.decode()
    assert codes_in(html, "impacted-activities") == ["LAB", "URG"]
    assert codes_in(html, "failed-nodes") == ["DPI", "SRV2"]
    login(client, world.stranger)
    html = client.get(reverse("graph:loss"), {"codes": "DPI"}).content.decode()
    assert codes_in(html, "impacted-activities") == ["BURG"]
    assert ">URG</span>" not in html and "LAB" not in html


def test_loss_asks_for_a_ght_when_a_code_is_ambiguous(client, world, g):
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    login(client, admin)
    html = client.get(reverse("graph:loss"), {"codes": "DPI"}).content.decode()
    assert re.search(r'id="ambiguous-codes">[^<]*DPI</p>', html)
    html = client.get(reverse("graph:loss"), {"codes": "DPI", "ght": "GHT-A"}).content.decode()
    assert codes_in(html, "impacted-activities") == ["LAB", "URG"]


# --- single points of failure -------------------------------------------------------------


def spof_rows(html: str) -> list[tuple[str, str, list[str], str]]:
    """(node, count, named activities, hidden note) per row of the SPOF table."""
    table = re.search(r'<table[^>]*id="spof-table".*?</table>', html, re.S)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", table.group(0) if table else "", re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if not cells:
            continue
        node = LINK.search(cells[0]).group(1)
        activities = LINK.findall(cells[4])
        hidden = re.search(r'gr-hidden-note">([^<]+)<', cells[4])
        rows.append((node, cells[3].strip(), activities, hidden.group(1) if hidden else ""))
    return rows


def test_spof_lists_visible_nodes_sorted_by_impact(client, world, g):
    login(client, world.owner)
    html = client.get(reverse("graph:spof")).content.decode()
    assert spof_rows(html) == [
        ("SITE", "3", ["LAB", "URG"], "+ 1 outside your scope"),
        ("DPI", "2", ["LAB", "URG"], ""),
        ("SIL", "1", ["LAB"], ""),
    ]
    assert re.search(r"id=\"spof-count\">3 single points of failure<", html)
    assert_hidden(html, HIDDEN_FROM_ET_A1)


def test_spof_for_the_ght_admin(client, world, g):
    login(client, world.ght_admin)
    html = client.get(reverse("graph:spof")).content.decode()
    assert spof_rows(html) == [
        ("SITE", "3", ["LAB", "MAT-A2", "URG"], ""),
        ("DPI", "2", ["LAB", "URG"], ""),
        ("SAN-A2", "2", ["LAB", "URG"], ""),
        ("SRV-A2", "2", ["LAB", "MAT-A2"], ""),
        ("PACS-A2", "1", ["MAT-A2"], ""),
        ("SIL", "1", ["LAB"], ""),
    ]
    assert "BURG" not in html


def test_spof_for_the_other_establishment_counts_hidden_activities(client, world, g):
    login(client, world.outsider)
    html = client.get(reverse("graph:spof")).content.decode()
    assert spof_rows(html) == [
        ("SITE", "3", ["MAT-A2"], "+ 2 outside your scope"),
        ("SAN-A2", "2", [], "+ 2 outside your scope"),
        ("SRV-A2", "2", ["MAT-A2"], "+ 1 outside your scope"),
        ("PACS-A2", "1", ["MAT-A2"], ""),
    ]
    assert_hidden(html, HIDDEN_FROM_ET_A2)


def test_spof_filters_by_establishment_and_node_type(client, world, g):
    login(client, world.ght_admin)
    html = client.get(reverse("graph:spof"), {"establishment": "ET-A2"}).content.decode()
    assert spof_rows(html) == [("PACS-A2", "1", ["MAT-A2"], ""), ("SITE", "1", ["MAT-A2"], ""),
                               ("SRV-A2", "1", ["MAT-A2"], "")]
    html = client.get(reverse("graph:spof"), {"establishment": "EJ-A"}).content.decode()
    assert [row[0] for row in spof_rows(html)] == ["SITE", "DPI", "SAN-A2", "SRV-A2", "PACS-A2",
                                                   "SIL"]
    html = client.get(reverse("graph:spof"), {"node_type": "application"}).content.decode()
    assert [row[0] for row in spof_rows(html)] == ["DPI", "PACS-A2", "SIL"]
    html = client.get(reverse("graph:spof"), {"node_type": "component",
                                              "establishment": "ET-A1"}).content.decode()
    assert [row[0] for row in spof_rows(html)] == ["SAN-A2", "SITE", "SRV-A2"]


def test_spof_establishment_filter_only_offers_visible_organizations(client, world, g):
    login(client, world.owner)
    html = client.get(reverse("graph:spof"), {"establishment": "ET-A2"}).content.decode()
    assert "Select a valid choice" in html
    assert 'value="ET-A2"' not in html
    assert spof_rows(html) == []
    login(client, world.stranger)
    html = client.get(reverse("graph:spof")).content.decode()
    assert spof_rows(html) == [("DPI", "1", ["BURG"], "")]


def test_spof_lists_many_activities_with_a_link_for_the_rest(client, world, g):
    for i in range(35):
        make_edge(make_node(org=world.et_a1, node_type="activity", code=f"ACT{i:02d}"), g["SIL"])
    login(client, world.owner)
    html = client.get(reverse("graph:spof"), {"node_type": "application"}).content.decode()
    rows = spof_rows(html)
    assert rows[0][:2] == ("SIL", "36") and len(rows[0][2]) == 30
    assert "and 6 more" in html


# --- query counts -------------------------------------------------------------------------


def grow(world, root, size: int, prefix: str) -> list:
    """Add a chain of ``size`` applications and components below ``root``; every third node
    also gets an alternative in a redundancy group, and ``root`` needs every fifth directly."""
    previous, added = root, []
    for i in range(size):
        node = make_node(org=world.et_a1, node_type="application" if i % 2 else "component",
                         code=f"{prefix}{i}")
        make_edge(previous, node, group="g" if i % 3 == 0 else "")
        if i % 3 == 0 and i + 1 < size:
            spare = make_node(org=world.et_a2, node_type="component", code=f"{prefix}{i}b")
            make_edge(previous, spare, group="g")
        if i % 5 == 4:
            make_edge(root, node)
        previous = node
        added.append(node)
    return added


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["graph:node", "graph:node_data"])
def test_node_pages_use_a_constant_number_of_queries(client, world, name):
    root = make_node(org=world.et_a1, node_type="activity", code="ROOT")
    grow(world, root, 5, "S")
    login(client, world.owner)
    small = count_queries(client, node_url(root, name))
    grow(world, root, 50, "L")
    large = count_queries(client, node_url(root, name))
    assert small == large


@pytest.mark.parametrize("persona", ["owner", "ght_admin"])
def test_spof_page_uses_a_constant_number_of_queries(client, world, persona):
    root = make_node(org=world.et_a1, node_type="activity", code="ROOT")
    grow(world, root, 5, "S")
    login(client, getattr(world, persona))
    small = count_queries(client, reverse("graph:spof"))
    for i, node in enumerate(grow(world, root, 50, "L")[::5]):
        make_edge(make_node(org=world.et_a2, node_type="activity", code=f"X{i}"), node)
    large = count_queries(client, reverse("graph:spof"))
    assert small == large


def test_loss_page_uses_a_constant_number_of_queries(client, world):
    root = make_node(org=world.et_a1, node_type="activity", code="ROOT")
    grow(world, root, 5, "S")
    login(client, world.owner)
    small = count_queries(client, reverse("graph:loss") + "?codes=S0,S2")
    grow(world, root, 50, "L")
    large = count_queries(client, reverse("graph:loss") + "?codes=S0,S2,L0,L4")
    assert small == large


# --- the computation ----------------------------------------------------------------------


def random_dag(seed: int, size: int = 40) -> tuple[DependencyGraph, list[int]]:
    rnd = random.Random(seed)
    activities = list(range(size // 4))
    edges = []
    for source in range(size):
        if source < size // 4:
            targets = rnd.sample(range(size // 4, size), rnd.randint(1, 4))
        else:
            pool = list(range(source + 1, size))
            targets = rnd.sample(pool, min(len(pool), rnd.randint(0, 3)))
        for target in targets:
            edges.append(Edge(source, target, None, rnd.choice(["", "", "a", "b"])))
    return DependencyGraph(activities, edges), list(range(size))


@pytest.mark.parametrize("seed", range(40))
def test_fast_single_points_of_failure_agree_with_the_definition(seed):
    graph, nodes = random_dag(seed)
    reference = graph.single_points_of_failure_by_propagation(nodes)
    assert single_failure_impacts(graph, nodes) == reference
    assert graph.single_points_of_failure(nodes) == reference
    for activity in graph.activities:
        expected = {n for n in nodes if n != activity
                    and activity in graph.impacted_activities([n])}
        assert single_points_of_failure_of(graph, activity) == expected


def test_killers_refuse_a_cycle():
    graph = DependencyGraph(["A"], [Edge("A", "B"), Edge("B", "C"), Edge("C", "B")])
    with pytest.raises(ValueError, match="cycle"):
        single_failure_killers(graph)


# --- edge cases ---------------------------------------------------------------------------


def test_a_user_without_membership_sees_nothing(client, world, g):
    login(client, make_user("nobody"))
    html = client.get(reverse("graph:index"), {"q": "S"}).content.decode()
    assert codes_in(html, "search-results") == []
    html = client.get(reverse("graph:spof")).content.decode()
    assert spof_rows(html) == [] and "No single point of failure" in html
    html = client.get(reverse("graph:loss"), {"codes": "SITE"}).content.decode()
    assert re.search(r'id="unknown-codes">[^<]*SITE</p>', html)
    assert client.get(node_url(g["SITE"])).status_code == 404


def test_a_closure_too_large_to_draw_keeps_the_table(client, world, g, monkeypatch):
    monkeypatch.setattr("pcra.inventory.graph_views.DRAW_LIMIT", 3)
    login(client, world.ght_admin)
    html = client.get(node_url(g["URG"])).content.decode()
    assert "Too many nodes to draw legibly (more than 3)" in html
    assert 'id="graph-elements"' not in html and "cytoscape" not in html
    assert codes_in(html, "needs-table")[:2] == ["URG", "DPI"]
    data = client.get(node_url(g["URG"], "graph:node_data")).json()
    assert data["drawable"] is False and len(data["elements"]["nodes"]) == 6


def test_spof_for_a_superuser_covers_every_ght_and_filters_by_ght(client, world, g):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    login(client, root)
    html = client.get(reverse("graph:spof")).content.decode()
    assert [(row[0], row[1]) for row in spof_rows(html)] == [
        ("SITE", "3"), ("DPI", "2"), ("SAN-A2", "2"), ("SRV-A2", "2"), ("DPI", "1"),
        ("PACS-A2", "1"), ("SIL", "1")]
    html = client.get(reverse("graph:spof"), {"ght": "GHT-B"}).content.decode()
    assert spof_rows(html) == [("DPI", "1", ["BURG"], "")]
