"""The Etablissements sheet obeys the rule of the organization pages
(``organization_change_denied``): the administrator role on an organization to change it, on
its parent to create it, on the old and the new parent to move it; a superuser for top
organizations; the command line (no user) may do everything. A refused row names its sheet,
row and column, and the import then changes nothing at all."""

from __future__ import annotations

import pytest

from pcra.core.testing import make_org, make_user
from pcra.organizations.models import Organization
from pcra.workbook.services import workbook_import
from pcra.workbook.tests.helpers import ACT_HEADER, ORG_HEADER, db_state, errors_of, write_xlsx

pytestmark = pytest.mark.django_db


def run(tmp_path, user, rows, **extra_sheets):
    path = write_xlsx(tmp_path / "wb.xlsx", {"Etablissements": [ORG_HEADER, *rows],
                                             **extra_sheets})
    return workbook_import(path=path, user=user)


def row(org, **changes) -> list:
    values = {"code": org.code, "name": org.name, "kind": org.kind,
              "parent": org.parent.code if org.parent else None, "finess": org.finess or None,
              "weight": org.activity_weight}
    values.update(changes)
    return [values["code"], values["name"], values["kind"], values["parent"], values["finess"],
            values["weight"]]


def test_an_editor_may_not_rename_their_establishment(tmp_path, world):
    """The review's case: the editor of ET-A1 renames it, or changes its weight, through the
    import: refused, like the web edit page (403), and nothing changes."""
    state = db_state()
    sheets = {"Activites": [ACT_HEADER, ["URG", "Urgences", "ET-A1", "soins", None, None,
                                         None, None]]}
    report = run(tmp_path, world.owner, [row(world.et_a1, name="Renommé", weight=999)],
                 **sheets)
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not change ET-A1: that needs the administrator "
                                      "role on ET-A1.")}
    assert not report.applied
    # the allowed activity row of the same workbook is not written either
    assert db_state() == state
    report = run(tmp_path, world.owner, [row(world.et_a1, weight=1)])
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not change ET-A1: that needs the administrator "
                                      "role on ET-A1.")}
    assert db_state() == state
    # Unchanged rows need no right: the editor's own export re-imports.
    report = run(tmp_path, world.owner, [row(world.et_a1)], **sheets)
    assert report.errors == [] and report.applied


def test_an_administrator_of_the_establishment_may(tmp_path, world):
    et_admin = make_user("etadmin", [(world.et_a1, "admin")])
    report = run(tmp_path, et_admin, [row(world.et_a1, name="Renommé", weight=80)])
    assert report.errors == [] and report.applied
    assert Organization.objects.filter(code="ET-A1").values_list(
        "name", "activity_weight").get() == ("Renommé", 80)
    # but it may not create a sibling: that needs the administrator role on EJ-A
    report = run(tmp_path, et_admin, [["ET-A3", "Site 3", "ET", "EJ-A", "750712184", 1]])
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not create ET-A3 below EJ-A: that needs the "
                                      "administrator role on EJ-A.")}


def test_outsiders_and_viewers_change_nothing(tmp_path, world):
    state = db_state()
    for user in (world.member, world.outsider):
        report = run(tmp_path, user, [row(world.et_a1, name="Piraté")])
        assert errors_of(report) == {
            ("Etablissements", 2, "Code", "You may not change ET-A1: that needs the "
                                          "administrator role on ET-A1.")
            if user is world.member else
            ("Etablissements", 2, "Code", "You may not change ET-A1.")}
    report = run(tmp_path, world.outsider, [row(world.et_a2, name="Piraté")])
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not change ET-A2: that needs the administrator "
                                      "role on ET-A2.")}
    assert db_state() == state


def test_creating_below_a_new_parent_of_the_same_workbook(tmp_path, world):
    rows = [["EJ-N", "Nouvelle EJ", "EJ", "GHT-A", "750712184", 10],
            ["ET-N1", "Nouveau site", "ET", "EJ-N", "590780193", 5]]
    ej_admin = make_user("ejadmin", [(world.ej_a, "admin")])
    state = db_state()
    report = run(tmp_path, ej_admin, rows)
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not create EJ-N below GHT-A: that needs the "
                                      "administrator role on GHT-A."),
        ("Etablissements", 3, "Code", "You may not create ET-N1 below EJ-N: that needs the "
                                      "administrator role on EJ-N.")}
    assert db_state() == state
    report = run(tmp_path, world.ght_admin, rows)
    assert report.errors == [] and report.totals() == {"created": 2, "updated": 0,
                                                       "unchanged": 0}
    assert set(Organization.objects.filter(code__in=["EJ-N", "ET-N1"]).values_list(
        "code", "parent__code", "root__code")) == {("EJ-N", "GHT-A", "GHT-A"),
                                                   ("ET-N1", "EJ-N", "GHT-A")}


def test_moving_needs_both_parents(tmp_path, world):
    ej_a2 = make_org(kind="EJ", code="EJ-A2", parent=world.ght_a)
    two_sided = make_user("twosided", [(world.et_a1, "admin"), (ej_a2, "admin")])
    state = db_state()
    report = run(tmp_path, two_sided, [row(world.et_a1, parent="EJ-A2")])
    assert errors_of(report) == {
        ("Etablissements", 2, "Parent", "You may not move ET-A1 from EJ-A to EJ-A2: that needs "
                                        "the administrator role on both.")}
    assert db_state() == state
    report = run(tmp_path, world.ght_admin, [row(world.et_a1, parent="EJ-A2")])
    assert report.errors == [] and report.applied
    assert Organization.objects.get(code="ET-A1").parent == ej_a2


def test_only_a_superuser_or_the_command_line_creates_a_top(tmp_path, world):
    rows = [["EJ-X", "EJ hors GHT", "EJ", None, "750712184", 1]]
    report = run(tmp_path, world.ght_admin, rows)
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not create EJ-X without a parent: only a "
                                      "superuser creates a top organization.")}
    report = run(tmp_path, None, rows)
    assert report.errors == [] and report.applied


def test_the_command_line_may_change_everything(tmp_path, world):
    report = run(tmp_path, None, [row(world.et_a1, name="Renommé"),
                                  row(world.ej_a, weight=5)])
    assert report.errors == [] and report.totals() == {"created": 0, "updated": 2,
                                                       "unchanged": 0}


def test_a_type_that_breaks_the_hierarchy_is_refused(tmp_path, world):
    """The same rule as the web form (organization_children_errors), on the Type column."""
    make_org(kind="EJ", code="EJ-A2", parent=world.ght_a)
    state = db_state()
    report = run(tmp_path, world.ght_admin, [row(world.ej_a, kind="ET", parent="EJ-A2")])
    assert errors_of(report) == {
        ("Etablissements", 2, "Type", "ET-A1 (ET) cannot stay below a ET."),
        ("Etablissements", 2, "Type", "ET-A2 (ET) cannot stay below a ET.")}
    assert db_state() == state


def test_a_new_establishment_and_its_activities_in_one_workbook(tmp_path, world):
    """Whoever may create an establishment may fill it in the same workbook (its roles are
    inherited from the parent), and no one else."""
    rows = [["ET-A3", "Site 3", "ET", "EJ-A", "750712184", 1]]
    activities = {"Activites": [ACT_HEADER, ["SMUR", "SMUR", "ET-A3", "soins", None, None,
                                             None, None]]}
    state = db_state()
    report = run(tmp_path, world.owner, rows, **activities)
    assert errors_of(report) == {
        ("Etablissements", 2, "Code", "You may not create ET-A3 below EJ-A: that needs the "
                                      "administrator role on EJ-A."),
        ("Activites", 2, "Etablissement", "You may not change SMUR: you have no write role on "
                                          "ET-A3.")}
    assert db_state() == state
    ej_admin = make_user("ejadmin", [(world.ej_a, "admin")])
    report = run(tmp_path, ej_admin, rows, **activities)
    assert report.errors == [] and report.totals() == {"created": 2, "updated": 0,
                                                       "unchanged": 0}
    assert Organization.objects.get(code="ET-A3").nodes.get().code == "SMUR"
