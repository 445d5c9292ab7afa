"""Acceptance: export → import into an empty database → export gives the same workbook."""

from decimal import Decimal

import pytest

from pcra.core.testing import make_edge, make_node, make_org
from pcra.inventory.models import Dependency, Node
from pcra.organizations.models import Organization
from pcra.workbook.services import workbook_export, workbook_import
from pcra.workbook.tests.helpers import read_values

pytestmark = pytest.mark.django_db


def build_world():
    ght = make_org(kind="GHT", code="GHT-R", name="GHT Rhône")
    ej = make_org(kind="EJ", code="EJ-R", parent=ght, name="CH Rhône", weight=Decimal("1200.5"))
    et1 = make_org(kind="ET", code="ET-R1", parent=ej, name="Site Nord", weight=700)
    et2 = make_org(kind="ET", code="ET-R2", parent=ej, name="Site Sud", weight=0)
    urg = make_node(org=et1, node_type="activity", code="URG", name="Urgences", owner="Dr Lee",
                    pdma_hours=Decimal("0.5"), declared_dmia_hours=Decimal(4),
                    declared_dmia_reason="Plan blanc", description="Accueil 24/7")
    adm = make_node(org=et2, node_type="activity", code="ADM", name="Admissions",
                    activity_kind="administratif", attributes={"Criticité": "haute"})
    dpi = make_node(org=ght, node_type="application", code="DPI", name="Dossier patient",
                    vendor="Editeur", hosting="local", restore_hours_estimate=Decimal("12.25"),
                    attributes={"Criticité": "vitale", "Contrat": 2024})
    gam = make_node(org=et2, node_type="application", code="GAM", name="Gestion admin",
                    hosting="saas")
    srv1 = make_node(org=ght, node_type="component", code="SRV1", name="Serveur 1", site="DC",
                     recovery_team="infra", restore_hours_estimate=Decimal(3))
    srv2 = make_node(org=ght, node_type="component", code="SRV2", name="Serveur 2",
                     component_kind="vm", site="DC")
    dc = make_node(org=ght, node_type="component", code="DC", name="Datacenter",
                   component_kind="site")
    sup = make_node(org=et2, node_type="component", code="EDITEUR", name="Editeur SaaS",
                    component_kind="fournisseur")
    make_edge(urg, dpi, autonomy=Decimal(4))
    make_edge(dpi, srv1, group="cluster")
    make_edge(dpi, srv2, group="cluster")
    make_edge(srv1, dc)
    make_edge(srv2, dc, autonomy=Decimal("1.5"))
    make_edge(adm, gam, autonomy=Decimal(24))
    make_edge(adm, dpi)
    make_edge(gam, sup)


def empty_database():
    Dependency.objects.all().delete()
    Node.objects.all().delete()
    for kind in ("ET", "EJ", "GHT"):
        Organization.objects.filter(kind=kind).delete()


def test_export_import_export_is_identical(tmp_path):
    build_world()
    first = workbook_export(path=tmp_path / "first.xlsx")
    empty_database()
    report = workbook_import(path=first)
    assert report.errors == []
    assert {s.label: (s.created, s.updated, s.unchanged) for s in report.sheets} == {
        "Etablissements": (4, 0, 0), "Activites": (2, 0, 0), "Applications": (2, 0, 0),
        "Composants": (4, 0, 0), "Dependances": (8, 0, 0), "Impacts": (0, 0, 12),
        "Sauvegardes": (0, 0, 0), "Verifications": (0, 0, 0)}
    assert {i.column for i in report.notices} == {"Criticité", "Contrat"}
    second = workbook_export(path=tmp_path / "second.xlsx")
    first_values, second_values = read_values(first), read_values(second)
    assert list(first_values) == ["Etablissements", "Activites", "Applications", "Composants",
                                  "Dependances", "Impacts", "Sauvegardes", "Verifications",
                                  "Aide"]
    assert first_values == second_values
    assert first_values["Dependances"] == [
        ("Source", "Cible", "Autonomie en mode dégradé (h)", "Groupe de redondance"),
        ("ADM", "DPI", None, None), ("ADM", "GAM", 24, None), ("DPI", "SRV1", None, "cluster"),
        ("DPI", "SRV2", None, "cluster"), ("GAM", "EDITEUR", None, None), ("SRV1", "DC", None, None),
        ("SRV2", "DC", 1.5, None), ("URG", "DPI", 4, None)]
    assert first_values["Applications"] == [
        ("Code", "Nom", "Editeur", "Etablissement", "Hébergement",
         "Durée de restauration estimée (h)", "Description", "Contrat", "Criticité"),
        ("DPI", "Dossier patient", "Editeur", None, "local", 12.25, None, 2024, "vitale"),
        ("GAM", "Gestion admin", None, "ET-R2", "saas", None, None, None, None)]
    assert first_values["Etablissements"][1:] == [
        ("EJ-R", "CH Rhône", "EJ", "GHT-R", Organization.objects.get(code="EJ-R").finess, 1200.5),
        ("ET-R1", "Site Nord", "ET", "EJ-R", Organization.objects.get(code="ET-R1").finess, 700),
        ("ET-R2", "Site Sud", "ET", "EJ-R", Organization.objects.get(code="ET-R2").finess, 0),
        ("GHT-R", "GHT Rhône", "GHT", None, None, 100)]
    again = workbook_import(path=first)
    assert again.totals() == {"created": 0, "updated": 0, "unchanged": 32}


def test_csv_round_trip_is_identical(tmp_path):
    build_world()
    first = workbook_export(path=tmp_path / "first")
    assert sorted(p.name for p in first.iterdir()) == [
        "Activites.csv", "Applications.csv", "Composants.csv", "Dependances.csv",
        "Etablissements.csv", "Impacts.csv", "Sauvegardes.csv", "Verifications.csv"]
    empty_database()
    report = workbook_import(path=first)
    assert report.errors == [] and report.totals()["created"] == 20
    second = workbook_export(path=tmp_path / "second", csv=True)
    for name in ("Activites.csv", "Applications.csv", "Composants.csv", "Dependances.csv",
                 "Etablissements.csv", "Impacts.csv"):
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    assert (first / "Dependances.csv").read_text(encoding="utf-8-sig").splitlines()[:3] == [
        "Source;Cible;Autonomie en mode dégradé (h);Groupe de redondance",
        "ADM;DPI;;", "ADM;GAM;24;"]
    assert workbook_import(path=first).totals() == {"created": 0, "updated": 0,
                                                    "unchanged": 32}


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    ght = make_org(kind="GHT", code="GHT-F")
    make_node(org=ght, node_type="application", code="EVIL", name='=HYPERLINK("http://x","y")',
              vendor="Bell\x07 Labs")
    path = workbook_export(path=tmp_path / "out.xlsx")
    import openpyxl

    cell = openpyxl.load_workbook(path)["Applications"]["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","y")', "s")
    assert read_values(path)["Applications"][1][:3] == (
        "EVIL", '=HYPERLINK("http://x","y")', "Bell Labs")
    report = workbook_import(path=path)
    assert report.totals() == {"created": 0, "updated": 1, "unchanged": 1}
    assert Node.objects.get(code="EVIL").name == '=HYPERLINK("http://x","y")'
