"""Who may import what: every changed row needs a write role on its establishment; shared
nodes need one on the GHT; organizations follow the rule of the organization pages (the
administrator role: see test_org_rights.py); rows of hidden establishments are refused."""

import pytest

from pcra.core.testing import make_edge, make_node
from pcra.inventory.models import Node
from pcra.workbook.services import workbook_export, workbook_import
from pcra.workbook.tests.helpers import (
    ACT_HEADER,
    APP_HEADER,
    DEP_HEADER,
    ORG_HEADER,
    db_state,
    errors_of,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(world):
    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    bloc = make_node(org=world.et_a2, node_type="activity", code="BLOC", name="Bloc")
    dpi = make_node(org=world.ght_a, node_type="application", code="DPI", name="DPI")
    srv = make_node(org=world.ght_a, node_type="component", code="SRV", name="Serveur")
    pacs = make_node(org=world.et_a2, node_type="application", code="PACS", name="PACS")
    make_edge(urg, dpi)
    make_edge(bloc, pacs)
    make_edge(dpi, srv)
    return world


def run(tmp_path, user, sheets, **kwargs):
    path = write_xlsx(tmp_path / "wb.xlsx", sheets)
    return workbook_import(path=path, user=user, **kwargs)


def test_an_editor_changes_the_rows_of_their_establishment(tmp_path, graph):
    sheets = {"Activites": [ACT_HEADER, ["URG", "Urgences adultes", "ET-A1", "soins", None, 2,
                                         None, None],
                            ["SMUR", "SMUR", "ET-A1", "soins", None, None, None, None]],
              "Dependances": [DEP_HEADER, ["SMUR", "DPI", 2, None]]}
    report = run(tmp_path, graph.owner, sheets)
    assert report.errors == [] and report.applied and report.ght == "GHT-A"
    assert report.totals() == {"created": 2, "updated": 1, "unchanged": 0}
    assert Node.objects.get(code="URG").name == "Urgences adultes"


def test_an_outsider_cannot_touch_another_establishments_rows(tmp_path, graph):
    state = db_state()
    sheets = {"Activites": [ACT_HEADER, ["URG", "Piratée", "ET-A1", "soins", None, None, None,
                                         None],
                            ["NEW", "Nouvelle", "ET-A1", "soins", None, None, None, None],
                            ["BLOC", "Bloc", "ET-A1", "soins", None, None, None, None]],
              "Dependances": [DEP_HEADER, ["URG", "SRV", None, None]]}
    report = run(tmp_path, graph.outsider, sheets)
    assert errors_of(report) == {
        ("Activites", 2, "Code", "You may not change URG."),
        ("Activites", 3, "Etablissement", "You may not change NEW: you have no write role on "
                                          "ET-A1."),
        ("Activites", 4, "Code", "You may not change BLOC: you have no write role on ET-A1."),
        ("Dependances", 2, "Source", "Unknown node URG: no activity, application or component "
                                     "has this code.")}
    assert db_state() == state


def test_shared_nodes_and_new_establishments_need_the_ght(tmp_path, graph):
    state = db_state()
    sheets = {"Etablissements": [ORG_HEADER, ["ET-A3", "Site 3", "ET", "EJ-A", "750712184", 1]],
              "Applications": [APP_HEADER, ["DPI", "DPI renommé", None, None, None, None],
                               ["NEWAPP", "Partagée", None, None, None, None]],
              "Dependances": [DEP_HEADER, ["DPI", "SRV", 1, None]]}
    report = run(tmp_path, graph.owner, sheets)
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not create ET-A3 below EJ-A: that needs the "
                                      "administrator role on EJ-A."),
        ("Applications", 2, "Code", "You may not change DPI: you have no write role on the GHT "
                                    "GHT-A (shared data)."),
        ("Applications", 3, "Etablissement", "You may not change NEWAPP: you have no write role "
                                             "on the GHT GHT-A (shared data)."),
        ("Dependances", 2, "Source", "You may not change DPI → SRV: you have no write role on "
                                     "the GHT GHT-A (shared data).")}
    assert db_state() == state
    report = run(tmp_path, graph.ght_admin, sheets)
    assert report.errors == [] and report.totals() == {"created": 2, "updated": 2,
                                                       "unchanged": 0}


def test_a_viewer_cannot_change_anything(tmp_path, graph):
    sheets = {"Activites": [ACT_HEADER, ["URG", "Urgences", "ET-A1", "soins", None, 3, None,
                                         None]]}
    report = run(tmp_path, graph.member, sheets)
    assert errors_of(report) == {
        ("Activites", 2, "Code", "You may not change URG: you have no write role on ET-A1.")}


def test_moving_a_node_needs_both_establishments(tmp_path, graph):
    sheets = {"Activites": [ACT_HEADER, ["URG", "Urgences", "ET-A2", "soins", None, None, None,
                                         None]]}
    report = run(tmp_path, graph.owner, sheets)
    assert errors_of(report) == {
        ("Activites", 2, "Code", "You may not change URG: you have no write role on ET-A2.")}


def test_only_a_superuser_creates_a_ght(tmp_path, graph):
    sheets = {"Etablissements": [ORG_HEADER, ["GHT-N", "Nouveau", "GHT", None, None, None]]}
    report = run(tmp_path, graph.ght_admin, sheets)
    assert errors_of(report) == {("Etablissements", 2, "Code", "You may not create the GHT "
                                                               "GHT-N.")}
    assert run(tmp_path, None, sheets).applied


def test_a_users_own_export_reimports_without_change(tmp_path, graph):
    path = workbook_export(path=tmp_path / "mine.xlsx", user=graph.owner)
    report = workbook_import(path=path, user=graph.owner)
    assert report.errors == []
    assert report.totals() == {"created": 0, "updated": 0, "unchanged": 12}
    # ET-A1 and what it sees: its activity, the shared DPI and SRV and the edges between them,
    # and the (empty) BIA grid of its activity, one row per criterion.
    assert {(s.label, s.unchanged) for s in report.sheets} == {
        ("Etablissements", 1), ("Activites", 1), ("Applications", 1), ("Composants", 1),
        ("Dependances", 2), ("Impacts", 6), ("Sauvegardes", 0), ("Verifications", 0)}
