"""The Impacts sheet (BIA): levels 0–4 into the current draft, locked versions, rights, export
and the round trip through an empty database."""

from decimal import Decimal

import openpyxl
import pytest

from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.core.testing import make_edge, make_node, make_org
from pcra.impact import defaults, selectors
from pcra.impact.models import BusinessImpactAnalysis, ImpactHorizon, ImpactLevel, ImpactScale
from pcra.impact.services import bia_set_levels, bia_sign_off, bia_start, bia_submit, scale_ensure
from pcra.inventory.models import Dependency, Node
from pcra.organizations.models import Organization
from pcra.workbook.services import workbook_export, workbook_import, workbook_template
from pcra.workbook.tests.helpers import (
    ACT_HEADER,
    db_state,
    errors_of,
    read_values,
    write_csv_folder,
    write_xlsx,
)

pytestmark = pytest.mark.django_db

HEADER = ["Activité", "Critère", "1h", "4h", "24h", "72h", "1sem", "1mois"]
CRITERIA = [code for code, _label, _descriptions in defaults.CRITERIA]
HORIZONS = [code for code, _label, _hours in defaults.HORIZONS]


def grid(**curves: str) -> dict:
    """Levels from one string per criterion, from 1 h on: ``securite_patients="344444"``
    (a shorter string leaves the later horizons empty)."""
    return {(criterion, horizon): int(level) for criterion, curve in curves.items()
            for horizon, level in zip(HORIZONS, curve, strict=False)}


def full(curve: str = "000000", **curves: str) -> dict:
    """Every cell of the grid: ``curve`` for the criteria not given."""
    return grid(**{c: curves.get(c, curve) for c in CRITERIA})


def make_bia(activity, levels: dict, *, status: str = "draft"):
    bia = bia_start(activity=activity)
    bia_set_levels(bia=bia, levels=levels)
    if status in ("submitted", "signed_off"):
        bia_submit(bia=bia, user=None)
    if status == "signed_off":
        bia_sign_off(bia=bia, user=None)
    return bia


def bia_state() -> set:
    """Every BIA version and level, to assert that a refused import changed nothing."""
    return (set(BusinessImpactAnalysis.objects.values_list("activity__code", "version",
                                                           "status"))
            | set(ImpactLevel.objects.values_list("bia__activity__code", "bia__version",
                                                  "criterion__code", "horizon__code", "level")))


def levels_of(code: str, version: int | None = None) -> dict:
    qs = ImpactLevel.objects.filter(bia__activity__code=code)
    if version is None:
        version = BusinessImpactAnalysis.objects.filter(activity__code=code).order_by(
            "-version").values_list("version", flat=True)[0]
    return {(c, h): lv for c, h, lv in qs.filter(bia__version=version).values_list(
        "criterion__code", "horizon__code", "level")}


def run(tmp_path, rows, *, user=None, header=HEADER, ght="GHT-A", sheet="Impacts", extra=None):
    sheets = {sheet: [header, *rows], **(extra or {})}
    return workbook_import(path=write_xlsx(tmp_path / "wb.xlsx", sheets), user=user,
                           ght_code=ght)


@pytest.fixture
def acts(world):
    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    bloc = make_node(org=world.et_a2, node_type="activity", code="BLOC", name="Bloc")
    make_node(org=world.ght_a, node_type="application", code="DPI", name="DPI")
    scale_ensure(top=world.ght_a)
    return urg, bloc


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [(5, "5"), ("x", "x"), (2.5, "2.5"), (-1, "-1")])
def test_a_bad_level_is_refused_with_its_cell_and_nothing_changes(tmp_path, acts, value, shown):
    make_bia(acts[0], grid(securite_patients="123444"))
    before, bias = db_state(), bia_state()
    report = run(tmp_path, [["URG", "securite_patients", 3, 3, 3, 4, 4, 4],
                            ["URG", "continuite_soins", 1, 2, value, 3, 3, 3]])
    assert errors_of(report) == {
        ("Impacts", 3, "24h", f"A level is a whole number from 0 to 4, not {shown}.")}
    assert not report.applied
    assert (db_state(), bia_state()) == (before, bias)


def test_bad_levels_in_csv_text_are_refused_too(tmp_path, acts):
    folder = write_csv_folder(tmp_path / "csv", {"Impacts": [
        HEADER, ["URG", "image", "0", "1,0", "2.0", "", "+3", "4"],
        ["URG", "juridique", "1", "2", "trois", "3", "-0", "3,5"]]})
    report = workbook_import(path=folder, ght_code="GHT-A")
    assert errors_of(report) == {
        ("Impacts", 3, "24h", "A level is a whole number from 0 to 4, not trois."),
        ("Impacts", 3, "1mois", "A level is a whole number from 0 to 4, not 3,5.")}
    del folder
    report = workbook_import(path=write_csv_folder(tmp_path / "ok", {"Impacts": [
        HEADER, ["URG", "image", "0", "1,0", "2.0", "", "+3", "4"]]}), ght_code="GHT-A")
    assert report.errors == []
    assert levels_of("URG") == {("image", "h1"): 0, ("image", "h4"): 1, ("image", "h24"): 2,
                                ("image", "w1"): 3, ("image", "m1"): 4}


def test_unknown_activity_criterion_and_nodes_that_are_not_activities(tmp_path, acts, world):
    make_node(org=world.et_b1, node_type="activity", code="URG-B", name="Urgences B")
    before, bias = db_state(), bia_state()
    report = run(tmp_path, [["NOPE", "image", 1, 1, 1, 1, 1, 1],
                            ["DPI", "image", 1, 1, 1, 1, 1, 1],
                            ["URG", "meteo", 1, 1, 1, 1, 1, 1],
                            ["URG-B", "image", 1, 1, 1, 1, 1, 1],
                            ["URG", "image", 1, 1, 1, 1, 1, 1],
                            ["URG", "Image", 2, 2, 2, 2, 2, 2],
                            [None, "image", 1, None, None, None, None, None]])
    codes = ", ".join(CRITERIA)
    assert errors_of(report) == {
        ("Impacts", 2, "Activité", "Unknown activity NOPE."),
        ("Impacts", 3, "Activité", "DPI is not an activity (it is of type Application): a BIA "
                                   "is made for an activity."),
        ("Impacts", 4, "Critère", f"Unknown criterion meteo: expected one of {codes}."),
        ("Impacts", 5, "Activité", "Unknown activity URG-B."),  # another GHT's
        ("Impacts", 7, "Critère", "Duplicate row: the criterion image of URG is already on "
                                  "row 6."),
        ("Impacts", 8, "Activité", "A value is required.")}
    assert (db_state(), bia_state()) == (before, bias)


def test_criteria_are_matched_by_code_or_label_in_any_case_and_accents(tmp_path, acts):
    report = run(tmp_path, [["URG", "PATIENT safety", 3, 4, 4, 4, 4, 4],
                            ["URG", "Continuité_Soins", 2, 3, 4, 4, 4, 4],
                            ["URG", "Legal and regulatory", 0, 1, 2, 3, 3, 3]],
                 header=["activity", "CRITERE", "h1", "4H", "h24", "72h", "w1", "1 mois"])
    assert report.errors == []
    # "1 mois" is no header of the sheet: reported and ignored
    assert [(i.column, i.message) for i in report.notices] == [
        ("1 mois", "1 mois is not a pcra column: ignored.")]
    assert levels_of("URG") == {
        **grid(securite_patients="34444", continuite_soins="23444", juridique="01233")}


# --- the current draft, new versions and locked versions --------------------------------------


def test_levels_go_into_a_new_draft_and_a_second_import_changes_nothing(tmp_path, acts):
    entries = AuditEntry.objects.count()
    rows = [["URG", c, 3, 4, 4, 4, 4, 4] for c in CRITERIA[:2]] + [
        ["BLOC", "financier", 0, 0, 1, 2, 3, None]]
    report = run(tmp_path, rows)
    assert report.errors == [] and report.applied
    assert {s.label: (s.created, s.updated, s.unchanged) for s in report.sheets} == {
        "Impacts": (3, 0, 0)}
    assert [(c.row, c.key, c.action, c.fields) for c in report.sheets[0].changes] == [
        (2, "URG / securite_patients", "created", ["1h", "4h", "24h", "72h", "1sem", "1mois"]),
        (3, "URG / continuite_soins", "created", ["1h", "4h", "24h", "72h", "1sem", "1mois"]),
        (4, "BLOC / financier", "created", ["1h", "4h", "24h", "72h", "1sem"])]
    assert set(BusinessImpactAnalysis.objects.values_list("activity__code", "version",
                                                          "status")) == {
        ("URG", 1, "draft"), ("BLOC", 1, "draft")}
    assert levels_of("BLOC") == grid(financier="00123")
    # one audit entry per BIA and per level, in a chain that holds
    assert AuditEntry.objects.count() - entries == 2 + 12 + 5
    assert set(AuditEntry.objects.filter(id__gt=0).order_by("-id")[:19].values_list(
        "model", "action")) == {("impact.businessimpactanalysis", "create"),
                                ("impact.impactlevel", "create")}
    assert verify_chain().ok
    again = run(tmp_path, rows)
    assert again.errors == [] and again.totals() == {"created": 0, "updated": 0, "unchanged": 3}
    assert AuditEntry.objects.count() - entries == 19


def test_a_draft_is_updated_in_place_empty_cells_clear_and_absent_columns_stay(tmp_path, acts):
    bia = make_bia(acts[0], grid(image="012333", organisation="112233"))
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    report = run(tmp_path, [["URG", "image", 0, 1, 2, 4, None],
                            ["URG", "organisation", 1, 1, 2, 2, 3]],
                 header=HEADER[:7])  # no 1mois column: m1 stays as it is
    assert report.errors == []
    assert [(c.key, c.action, c.fields) for c in report.sheets[0].changes] == [
        ("URG / image", "updated", ["72h", "1sem"])]
    assert report.totals() == {"created": 0, "updated": 1, "unchanged": 1}
    assert BusinessImpactAnalysis.objects.get() == bia  # the same draft, no new version
    assert levels_of("URG") == {**grid(organisation="112233"), ("image", "h1"): 0,
                                ("image", "h4"): 1, ("image", "h24"): 2, ("image", "h72"): 4,
                                ("image", "m1"): 3}
    assert list(AuditEntry.objects.filter(id__gt=last).values_list("model", "action")) == [
        ("impact.impactlevel", "update"), ("impact.impactlevel", "delete")]
    assert verify_chain().ok


@pytest.mark.parametrize("status", ["signed_off", "submitted"])
def test_a_locked_bia_refuses_changes_but_not_unchanged_rows(tmp_path, acts, status):
    make_bia(acts[0], full("012233", securite_patients="344444"), status=status)
    unchanged = [["URG", "securite_patients", 3, 4, 4, 4, 4, 4],
                 ["URG", "image", 0, 1, 2, 2, 3, 3]]
    report = run(tmp_path, unchanged)
    assert report.errors == [] and report.totals() == {"created": 0, "updated": 0,
                                                       "unchanged": 2}
    before, bias = db_state(), bia_state()
    report = run(tmp_path, [*unchanged, ["URG", "financier", 0, 1, 2, 2, 4, 4],
                            ["URG", "juridique", 0, 1, 2, 2, 3, None]])
    message = {
        "signed_off": "The BIA of URG (version 1) is signed off: start a new version to change "
                      "it.",
        "submitted": "The BIA of URG (version 1) is submitted: return it to draft to change it.",
    }[status]
    assert errors_of(report) == {("Impacts", 4, "1sem", message),
                                 ("Impacts", 5, "1mois", message)}
    assert (db_state(), bia_state()) == (before, bias)


def test_a_new_version_in_draft_takes_the_levels_while_the_signed_one_stays(tmp_path, acts):
    make_bia(acts[0], full("012233"), status="signed_off")
    v2 = bia_start(activity=acts[0])
    report = run(tmp_path, [["URG", "image", 3, 3, 3, 3, 3, 3]])
    assert report.errors == [] and report.totals()["updated"] == 1
    assert levels_of("URG", 1) == full("012233")
    assert levels_of("URG", 2) == full("012233", image="333333")
    v2.refresh_from_db()
    assert v2.status == "draft"


# --- rights -----------------------------------------------------------------------------------


def test_rights_a_write_role_on_the_activitys_establishment(tmp_path, acts, world):
    make_bia(acts[0], grid(image="000000"))
    before, bias = db_state(), bia_state()
    rows = [["URG", "image", 1, 1, 1, 1, 1, 1], ["BLOC", "image", 2, 2, 2, 2, 2, 2]]
    # an editor of ET-A2 may change BLOC, but does not even see URG
    assert errors_of(run(tmp_path, rows, user=world.outsider)) == {
        ("Impacts", 2, "Activité", "Unknown activity URG.")}
    # a viewer of ET-A1 changes nothing, and does not see BLOC
    assert errors_of(run(tmp_path, rows, user=world.member)) == {
        ("Impacts", 2, "Activité", "You may not change URG: you have no write role on ET-A1."),
        ("Impacts", 3, "Activité", "Unknown activity BLOC.")}
    # an administrator of another GHT sees nothing of GHT-A
    assert errors_of(run(tmp_path, rows, user=world.stranger)) == {
        ("Impacts", 2, "Activité", "Unknown activity URG."),
        ("Impacts", 3, "Activité", "Unknown activity BLOC.")}
    assert (db_state(), bia_state()) == (before, bias)
    # a viewer may re-import unchanged rows
    report = run(tmp_path, [["URG", "image", 0, 0, 0, 0, 0, 0]], user=world.member)
    assert report.errors == [] and report.totals()["unchanged"] == 1
    # the editor of ET-A1 and the GHT administrator may
    assert run(tmp_path, rows[:1], user=world.owner).totals()["updated"] == 1
    report = run(tmp_path, [["URG", "image", 4, 4, 4, 4, 4, 4], rows[1]], user=world.ght_admin)
    assert report.errors == [] and report.totals() == {"created": 1, "updated": 1,
                                                       "unchanged": 0}


def test_a_users_export_holds_what_they_see_and_reimports_unchanged(tmp_path, acts, world):
    make_bia(acts[0], full("012233"), status="signed_off")
    make_bia(acts[1], grid(image="444444"))
    path = workbook_export(path=tmp_path / "mine.xlsx", user=world.member)
    values = read_values(path)["Impacts"]
    assert [row[:2] for row in values[1:]] == [("URG", c) for c in CRITERIA]
    report = workbook_import(path=path, user=world.member)
    assert report.errors == [] and report.totals()["updated"] == 0


# --- export, template, other horizons ---------------------------------------------------------


def test_export_shows_the_effective_levels_in_scale_order(tmp_path, acts):
    make_bia(acts[0], full("012233", securite_patients="344444"), status="signed_off")
    draft = bia_start(activity=acts[0])  # v2 in progress: not in force yet
    bia_set_levels(bia=draft, levels={("securite_patients", "h1"): 4})
    make_bia(acts[1], grid(image="0123"))  # partial draft: the current version
    values = read_values(workbook_export(path=tmp_path / "out.xlsx", ght_code="GHT-A"))
    assert values["Impacts"] == [tuple(HEADER)] + [
        ("BLOC", c, *((0, 1, 2, 3, None, None) if c == "image" else (None,) * 6))
        for c in CRITERIA] + [
        ("URG", c, *((3, 4, 4, 4, 4, 4) if c == "securite_patients" else (0, 1, 2, 2, 3, 3)))
        for c in CRITERIA]


def test_the_template_has_the_sheet_its_help_and_a_level_drop_down(tmp_path):
    workbook_template(path=tmp_path / "template.xlsx")
    book = openpyxl.load_workbook(tmp_path / "template.xlsx")
    sheet = book["Impacts"]
    assert [c.value for c in sheet[1]] == HEADER
    assert {(str(v.sqref), v.formula1) for v in sheet.data_validations.dataValidation} == {
        (f"{letter}2:{letter}5000", '"0,1,2,3,4"') for letter in "CDEFGH"}
    assert sheet["C1"].comment.text == (
        "Impact level at this horizon: 0 none, 1 minor, 2 significant, 3 serious, 4 critical. "
        "Empty = not assessed (an empty cell clears the level). Values: 0, 1, 2, 3, 4.")
    help_rows = [tuple(c.value for c in row) for row in book["Aide"].iter_rows()]
    impacts = [row for row in help_rows if row[0] == "Impacts"]
    assert [row[1:4] for row in impacts] == [
        (None, "bia", None), ("Activité", "activity", "yes"), ("Critère", "criterion", "yes"),
        ("1h", "h1", None), ("4h", "h4", None), ("24h", "h24", None), ("72h", "h72", None),
        ("1sem", "w1", None), ("1mois", "m1", None)]
    assert impacts[2][4] == ("Required. Impact criterion: securite_patients, continuite_soins, "
                             "juridique, financier, image, organisation (or its label).")


def test_a_scales_other_horizons_are_columns_headed_by_their_code(tmp_path, acts, world):
    scale = ImpactScale.objects.get(top=world.ght_a)
    ImpactHorizon.objects.create(scale=scale, code="h12", label="12 h", hours=12)
    ImpactHorizon.objects.create(scale=scale, code="q1", label="3 mois", hours=2160)
    report = run(tmp_path, [["URG", "image", 1, 1, 2, 2, 2, 3, 2, 4]],
                 header=[*HEADER, "H12", "q1"])
    assert report.errors == [] and report.notices == []
    assert levels_of("URG") == {**grid(image="112223"), ("image", "h12"): 2,
                                ("image", "q1"): 4}
    report = run(tmp_path, [["URG", "image", 1, 1, 2, 2, 2, 3, 5, "x"]],
                 header=[*HEADER, "h12", "q1"])
    assert errors_of(report) == {
        ("Impacts", 2, "h12", "A level is a whole number from 0 to 4, not 5."),
        ("Impacts", 2, "q1", "A level is a whole number from 0 to 4, not x.")}
    values = read_values(workbook_export(path=tmp_path / "out.xlsx", ght_code="GHT-A"))
    assert values["Impacts"][0] == (*HEADER, "h12", "q1")
    assert values["Impacts"][1:3] == [("BLOC", "securite_patients", *(None,) * 8),
                                      ("BLOC", "continuite_soins", *(None,) * 8)]
    assert ("URG", "image", 1, 1, 2, 2, 2, 3, 2, 4) in values["Impacts"]


def test_a_horizon_missing_from_the_scale_refuses_levels_but_not_empty_cells(tmp_path, acts,
                                                                             world):
    ImpactHorizon.objects.get(scale__top=world.ght_a, code="m1").delete()
    report = run(tmp_path, [["URG", "image", 1, 1, 2, 2, 2, None]])
    assert report.errors == []
    assert levels_of("URG") == grid(image="11222")
    report = run(tmp_path, [["URG", "image", 1, 1, 2, 2, 2, 3]])
    assert errors_of(report) == {
        ("Impacts", 2, "1mois", "The impact scale of GHT-A has no horizon m1.")}


def test_a_missing_required_column_makes_the_sheet_unusable(tmp_path, acts):
    report = run(tmp_path, [["URG", 1, 1, 1, 1, 1, 1]], header=["Activité", *HEADER[2:]])
    assert errors_of(report) == {
        ("Impacts", 1, "Critère", "The required column Critère (criterion) is missing.")}
    assert not BusinessImpactAnalysis.objects.exists()


# --- round trip -------------------------------------------------------------------------------


def build_world():
    ght = make_org(kind="GHT", code="GHT-R", name="GHT Rhône")
    ej = make_org(kind="EJ", code="EJ-R", parent=ght, name="CH Rhône")
    et = make_org(kind="ET", code="ET-R1", parent=ej, name="Site Nord")
    urg = make_node(org=et, node_type="activity", code="URG", name="Urgences",
                    pdma_hours=Decimal("0.5"))
    samu = make_node(org=et, node_type="activity", code="SAMU", name="SAMU", pdma_hours=1,
                     declared_dmia_hours=Decimal("0.5"), declared_dmia_reason="Centre 15")
    paie = make_node(org=ej, node_type="activity", code="PAIE", name="Paie",
                     activity_kind="administratif", pdma_hours=24)
    lab = make_node(org=et, node_type="activity", code="LAB", name="Laboratoire",
                    activity_kind="plateau_technique", pdma_hours=4)
    make_node(org=et, node_type="activity", code="SURETE", name="Sûreté",
              activity_kind="support")
    dpi = make_node(org=ght, node_type="application", code="DPI", name="DPI")
    make_edge(urg, dpi, autonomy=4)
    make_bia(urg, full("012233", securite_patients="344444"), status="signed_off")
    make_bia(samu, full("123444"), status="submitted")
    make_bia(paie, full("000123", financier="001234"), status="signed_off")
    draft = bia_start(activity=paie)  # v2 in progress: the export shows v1
    bia_set_levels(bia=draft, levels={("financier", "h72"): 4})
    make_bia(lab, grid(securite_patients="0234", continuite_soins="123"))  # partial draft


def empty_database():
    BusinessImpactAnalysis.objects.all().delete()
    ImpactScale.objects.all().delete()
    Dependency.objects.all().delete()
    Node.objects.all().delete()
    for kind in ("ET", "EJ", "GHT"):
        Organization.objects.filter(kind=kind).delete()


def dmia_of(top_code: str) -> dict:
    top = Organization.objects.get(code=top_code)
    return {r.activity.code: (r.dmia_hours, r.dmia_source, r.pdma_hours)
            for r in selectors.bia_rows_of_top(top_id=top.pk)}


@pytest.mark.parametrize("csv", [False, True])
def test_export_import_export_with_bia_is_identical(tmp_path, csv):
    build_world()
    dmia = dmia_of("GHT-R")
    assert dmia == {"LAB": (24.0, "computed", 4.0), "PAIE": (168.0, "computed", 24.0),
                    "SAMU": (0.5, "declared", 1.0), "SURETE": (None, "computed", None),
                    "URG": (1.0, "computed", 0.5)}
    first = workbook_export(path=tmp_path / ("first" if csv else "first.xlsx"))
    empty_database()
    report = workbook_import(path=first)
    assert report.errors == []
    assert report.sheet("bia").created == 6 + 6 + 6 + 2
    assert report.sheet("bia").unchanged == 10  # the empty rows (SURETE, LAB's other criteria)
    second = workbook_export(path=tmp_path / ("second" if csv else "second.xlsx"), csv=csv)
    if csv:
        for name in sorted(p.name for p in first.iterdir()):
            assert (second / name).read_bytes() == (first / name).read_bytes(), name
        impacts = (first / "Impacts.csv").read_text(encoding="utf-8-sig").splitlines()
        assert impacts[:2] == ["Activité;Critère;1h;4h;24h;72h;1sem;1mois",
                               "LAB;securite_patients;0;2;3;4;;"]
    else:
        first_values, second_values = read_values(first), read_values(second)
        assert first_values == second_values
        assert first_values["Impacts"][1:3] == [
            ("LAB", "securite_patients", 0, 2, 3, 4, None, None),
            ("LAB", "continuite_soins", 1, 2, 3, None, None, None)]
        assert first_values["Activites"][0] == tuple(ACT_HEADER) + ("Description",)
    # Everything is a draft now, with the levels that were in force: the same DMIA.
    assert dmia_of("GHT-R") == dmia
    assert set(BusinessImpactAnalysis.objects.values_list("activity__code", "version",
                                                          "status")) == {
        ("LAB", 1, "draft"), ("PAIE", 1, "draft"), ("SAMU", 1, "draft"), ("URG", 1, "draft")}
    assert workbook_import(path=first).totals()["updated"] == 0


def test_queries_do_not_grow_per_row(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pcra.workbook.tests.helpers import FINESS_EJ, FINESS_ET1, ORG_HEADER

    codes = [f"A{i:03d}" for i in range(100)]
    sheets = {
        "Etablissements": [ORG_HEADER, ["G", "GHT", "GHT", None, None, None],
                           ["EJ", "EJ", "EJ", "G", FINESS_EJ, 1],
                           ["ET", "ET", "ET", "EJ", FINESS_ET1, 1]],
        "Activites": [ACT_HEADER] + [[c, c, "ET", "soins", None, 4, None, None] for c in codes],
        "Impacts": [HEADER] + [[c, criterion, 0, 1, 2, 3, 4, 4] for c in codes
                               for criterion in CRITERIA]}
    path = write_xlsx(tmp_path / "big.xlsx", sheets)
    with CaptureQueriesContext(connection) as queries:
        report = workbook_import(path=path)
    assert report.errors == [] and report.sheet("bia").created == 600
    assert ImpactLevel.objects.count() == 3600
    # 3,600 levels and 3,800 audit entries written in batches (SQLite's batches are small);
    # a query per row would be over 7,000.
    assert len(queries) < 200, len(queries)
    sheets["Impacts"][1][2] = 1  # one level changes
    path = write_xlsx(tmp_path / "big.xlsx", sheets)
    with CaptureQueriesContext(connection) as queries:
        report = workbook_import(path=path)
    assert report.totals() == {"created": 0, "updated": 1, "unchanged": 702}
    assert len(queries) < 30, len(queries)
