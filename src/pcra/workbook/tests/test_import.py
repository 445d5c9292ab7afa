"""Importing workbooks: what is created, updated, kept, and every refusal with its place."""

from decimal import Decimal

import pytest

from pcra.core.models import AuditEntry
from pcra.inventory.models import Dependency, Node
from pcra.organizations.models import Organization
from pcra.workbook.services import workbook_import
from pcra.workbook.tests.helpers import (
    ACT_HEADER,
    APP_HEADER,
    COMP_HEADER,
    DEP_HEADER,
    FINESS_EJ,
    FINESS_ET1,
    ORG_HEADER,
    base_sheets,
    db_state,
    errors_of,
    write_csv_folder,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


def imported(tmp_path, sheets=None, **kwargs):
    path = write_xlsx(tmp_path / "wb.xlsx", sheets or base_sheets())
    return workbook_import(path=path, **kwargs)


def test_import_creates_everything_with_its_values(tmp_path):
    report = imported(tmp_path)
    assert report.errors == [] and report.applied and report.ght == "GHT-T"
    assert {s.label: (s.created, s.updated, s.unchanged) for s in report.sheets} == {
        "Etablissements": (4, 0, 0), "Activites": (2, 0, 0), "Applications": (2, 0, 0),
        "Composants": (3, 0, 0), "Dependances": (6, 0, 0)}
    ght = Organization.objects.get(code="GHT-T")
    et1 = Organization.objects.get(code="ET-T1")
    assert (ght.parent_id, ght.root_id, ght.kind) == (None, None, "GHT")
    assert (et1.parent.code, et1.root_id, et1.finess, et1.activity_weight) == (
        "EJ-T", ght.pk, FINESS_ET1, Decimal("600"))
    urg = Node.objects.get(code="URG")
    assert (urg.node_type, urg.top_id, urg.organization.code, urg.activity_kind, urg.owner,
            urg.pdma_hours, urg.declared_dmia_hours, urg.declared_dmia_reason) == (
        "activity", ght.pk, "ET-T1", "soins", "dr@example.org", Decimal(1), Decimal(4), "Vital")
    dpi = Node.objects.get(code="DPI")
    assert (dpi.node_type, dpi.organization_id, dpi.vendor, dpi.hosting,
            dpi.restore_hours_estimate) == ("application", None, "Editeur X", "local", Decimal(6))
    srv1 = Node.objects.get(code="SRV1")
    assert (srv1.component_kind, srv1.site, srv1.restore_hours_estimate, srv1.recovery_team) == (
        "serveur", "DC1", Decimal("2.5"), "infra")
    assert set(Dependency.objects.values_list(
        "source__code", "target__code", "degraded_autonomy_hours", "redundancy_group",
        "top_id")) == {
        ("URG", "DPI", Decimal(4), "", ght.pk), ("LAB", "SIL", None, "", ght.pk),
        ("DPI", "SRV1", None, "srv", ght.pk), ("DPI", "SRV2", None, "srv", ght.pk),
        ("SRV1", "DC1", None, "", ght.pk), ("SRV2", "DC1", None, "", ght.pk)}


def test_every_create_is_in_the_audit_log(tmp_path):
    before = AuditEntry.objects.count()
    imported(tmp_path)
    entries = AuditEntry.objects.filter(id__gt=0).order_by("id")[before:]
    created = {(e.model, e.object_repr) for e in entries if e.action == "create"}
    assert len(entries) == 17
    assert {m for m, _r in created} == {"organizations.organization", "inventory.node",
                                        "inventory.dependency"}
    assert ("inventory.dependency", "URG → DPI") in created
    assert ("inventory.node", "URG – Urgences") in created
    from pcra.core.audit import verify_chain

    assert verify_chain().ok


def test_reimport_is_idempotent_and_updates_in_place(tmp_path):
    imported(tmp_path)
    state = db_state()
    again = imported(tmp_path)
    assert again.totals() == {"created": 0, "updated": 0, "unchanged": 17}
    assert db_state() == state  # not even an audit entry
    sheets = base_sheets()
    sheets["Applications"][1][1] = "Dossier patient informatisé"
    sheets["Dependances"][1][2] = "6,5"
    sheets["Etablissements"][3][5] = 650
    report = imported(tmp_path, sheets)
    assert report.totals() == {"created": 0, "updated": 3, "unchanged": 14}
    assert [(c.key, c.fields) for s in report.sheets for c in s.changes] == [
        ("ET-T1", ["Poids d'activité"]), ("DPI", ["Nom"]),
        ("URG → DPI", ["Autonomie en mode dégradé (h)"])]
    assert Node.objects.get(code="DPI").name == "Dossier patient informatisé"
    assert Dependency.objects.get(source__code="URG").degraded_autonomy_hours == Decimal("6.5")
    assert Node.objects.count() == 7 and Organization.objects.count() == 4
    updates = AuditEntry.objects.filter(action="update").order_by("id")
    assert [e.object_repr for e in updates] == ["ET-T1 – Site 1", "DPI – Dossier patient informatisé",
                                                "URG → DPI"]
    assert updates[1].payload["before"]["name"] == "Dossier patient"
    assert updates[1].payload["after"]["name"] == "Dossier patient informatisé"


def test_dry_run_reports_without_writing(tmp_path):
    state = db_state()
    report = imported(tmp_path, dry_run=True)
    assert report.ok and not report.applied and report.dry_run
    assert report.totals() == {"created": 17, "updated": 0, "unchanged": 0}
    assert db_state() == state


def test_csv_folder_with_english_keys_and_decimal_commas(tmp_path):
    sheets = base_sheets()
    csv_sheets = {
        "organizations": [["CODE", "name", "KIND", "Parent", "finess", "activity_weight"]]
        + sheets["Etablissements"][1:],
        "Activites": sheets["Activites"],
        "applications": sheets["Applications"],
        "Composants": [COMP_HEADER] + [[*r[:5], "2,5" if r[5] else None, r[6]]
                                       for r in sheets["Composants"][1:]],
        "dependencies": sheets["Dependances"],
    }
    folder = write_csv_folder(tmp_path / "csv", csv_sheets)
    report = workbook_import(path=folder)
    assert report.errors == []
    assert report.totals() == {"created": 17, "updated": 0, "unchanged": 0}
    assert Node.objects.get(code="SRV1").restore_hours_estimate == Decimal("2.5")
    # Windows-1252 and commas also read, and the same content changes nothing.
    folder2 = write_csv_folder(tmp_path / "csv2", csv_sheets, delimiter=",", encoding="cp1252")
    assert workbook_import(path=folder2).totals() == {"created": 0, "updated": 0,
                                                      "unchanged": 17}


def test_headers_match_without_case_or_accents(tmp_path):
    sheets = base_sheets()
    sheets["Etablissements"][0] = ["code", "NOM", "type", "parent", "finess", "poids d’activite"]
    sheets["Activites"][0] = ["Code", "Nom", "ETABLISSEMENT", "nature", "referent", "pdma (H)",
                              "dmia declaree (h)", "justification"]
    report = imported(tmp_path, sheets)
    assert report.errors == [] and report.notices == []
    assert Organization.objects.get(code="EJ-T").activity_weight == Decimal(1000)
    assert Node.objects.get(code="URG").owner == "dr@example.org"


def test_unknown_columns_become_attributes_or_notices(tmp_path):
    sheets = base_sheets()
    sheets["Applications"][0] = [*APP_HEADER, "Criticité", "Contrat"]
    sheets["Applications"][1] += ["haute", 12]
    sheets["Applications"][2] += [None, None]
    sheets["Etablissements"][0] = [*ORG_HEADER, "Commentaire"]
    report = imported(tmp_path, sheets)
    assert report.errors == []
    assert {(i.sheet, i.row, i.column, i.message) for i in report.notices} == {
        ("Applications", 1, "Criticité", "Criticité is not a pcra column: its values are kept "
                                         "as free attributes of each row."),
        ("Applications", 1, "Contrat", "Contrat is not a pcra column: its values are kept as "
                                       "free attributes of each row."),
        ("Etablissements", 1, "Commentaire", "Commentaire is not a pcra column: ignored."),
    }
    assert Node.objects.get(code="DPI").attributes == {"Criticité": "haute", "Contrat": 12}
    assert Node.objects.get(code="SIL").attributes == {}
    # An emptied cell removes the attribute; a column no longer present keeps it.
    sheets["Applications"] = [[*APP_HEADER, "Contrat"], ["DPI", "Dossier patient", "Editeur X",
                                                         None, "local", 6, None]]
    report = imported(tmp_path, sheets)
    assert report.totals() == {"created": 0, "updated": 1, "unchanged": 15}
    assert Node.objects.get(code="DPI").attributes == {"Criticité": "haute"}


def test_absent_sheet_and_absent_column_change_nothing(tmp_path):
    imported(tmp_path)
    sheets = {"Applications": [["Code", "Nom"], ["DPI", "DPI v2"], ["NEW", "Nouvelle"]]}
    report = imported(tmp_path, sheets)
    assert report.errors == [] and report.ght == "GHT-T"
    assert [(s.label, s.created, s.updated, s.unchanged) for s in report.sheets] == [
        ("Applications", 1, 1, 0)]
    dpi = Node.objects.get(code="DPI")
    assert (dpi.name, dpi.vendor, dpi.hosting, dpi.restore_hours_estimate) == (
        "DPI v2", "Editeur X", "local", Decimal(6))
    new = Node.objects.get(code="NEW")
    assert (new.organization_id, new.top.code, new.vendor) == (None, "GHT-T", "")
    assert Dependency.objects.count() == 6


def test_empty_cell_of_a_present_column_empties_the_value(tmp_path):
    imported(tmp_path)
    sheets = {"Applications": [APP_HEADER, ["DPI", "Dossier patient", None, None, None, None]]}
    report = imported(tmp_path, sheets)
    assert report.errors == []
    dpi = Node.objects.get(code="DPI")
    assert (dpi.vendor, dpi.hosting, dpi.restore_hours_estimate) == ("", "", None)


def test_choices_accept_labels_spelled_loosely(tmp_path):
    sheets = base_sheets()
    sheets["Composants"][1][2] = "Base de données"
    sheets["Activites"][2][3] = "Plateau technique"
    sheets["Applications"][1][4] = "Hébergeur HDS"
    assert imported(tmp_path, sheets).errors == []
    assert Node.objects.get(code="SRV1").component_kind == "base_de_donnees"
    assert Node.objects.get(code="LAB").activity_kind == "plateau_technique"
    assert Node.objects.get(code="DPI").hosting == "hebergeur_hds"


def test_the_ght_comes_from_the_option_or_the_only_top(tmp_path, world):
    nodes_only = {"Applications": [["Code", "Nom"], ["APP1", "App"]]}
    report = imported(tmp_path, nodes_only)
    assert errors_of(report) == {("Etablissements", None, None, "Cannot tell which GHT this "
                                  "workbook is about: add the GHT to the Etablissements sheet, "
                                  "or choose it.")}
    report = imported(tmp_path, nodes_only, ght_code="GHT-B")
    assert report.errors == [] and Node.objects.get(code="APP1").top == world.ght_b
    report = imported(tmp_path, nodes_only, ght_code="EJ-A")
    assert errors_of(report) == {("Etablissements", None, None,
                                  "No top organization (GHT) has the code EJ-A.")}


def test_a_workbook_holds_one_ght(tmp_path, world):
    sheets = {"Etablissements": [ORG_HEADER, ["ET-A1", "Site A1", "ET", "EJ-A", world.et_a1.finess,
                                              100],
                                 ["ET-B1", "Site B1", "ET", "EJ-B", world.et_b1.finess, 100]]}
    state = db_state()
    report = imported(tmp_path, sheets)
    assert errors_of(report) == {("Etablissements", None, None, "The workbook holds several GHTs "
                                  "(GHT-A, GHT-B): import one GHT at a time, or choose which "
                                  "one.")}
    report = imported(tmp_path, sheets, ght_code="GHT-A")
    assert errors_of(report) == {("Etablissements", 3, "Parent", "ET-B1 belongs to GHT-B, not to "
                                  "GHT-A: a workbook holds one GHT.")}
    assert db_state() == state


def test_an_edge_to_a_node_of_another_ght_is_unknown(tmp_path, world):
    from pcra.core.testing import make_node

    make_node(org=world.et_b1, node_type="application", code="APPB")
    make_node(org=world.et_a1, node_type="activity", code="ACTA")
    state = db_state()
    sheets = {"Dependances": [DEP_HEADER, ["ACTA", "APPB", None, None]]}
    report = imported(tmp_path, sheets, ght_code="GHT-A")
    assert errors_of(report) == {("Dependances", 2, "Cible", "Unknown node APPB: no activity, "
                                  "application or component has this code.")}
    assert db_state() == state


# -- refusals: each names its place and changes nothing ------------------------------------

def refused(tmp_path, sheets, **kwargs):
    state = db_state()
    report = imported(tmp_path, sheets, **kwargs)
    assert not report.applied
    assert db_state() == state
    return errors_of(report)


def test_dependency_cycle_is_refused_and_named(tmp_path):
    sheets = base_sheets()
    sheets["Dependances"].append(["DC1", "DPI", None, None])
    assert refused(tmp_path, sheets) == {
        ("Dependances", 8, "Cible", "This dependency would close a cycle: DC1 → DPI → SRV1 → DC1")}


def test_cycle_with_existing_edges_is_refused(tmp_path):
    imported(tmp_path)
    sheets = {"Dependances": [DEP_HEADER, ["SRV1", "SIL", None, None],
                              ["SIL", "DPI", 1, None]]}
    assert refused(tmp_path, sheets) == {
        ("Dependances", 3, "Cible", "This dependency would close a cycle: SIL → DPI → SRV1 → SIL")}


def test_every_cycle_is_reported(tmp_path):
    sheets = base_sheets()
    sheets["Dependances"] += [["DC1", "SRV1", None, None], ["SIL", "DPI", None, None],
                              ["DPI", "SIL", None, None]]
    assert refused(tmp_path, sheets) == {
        ("Dependances", 8, "Cible", "This dependency would close a cycle: DC1 → SRV1 → DC1"),
        ("Dependances", 10, "Cible", "This dependency would close a cycle: DPI → SIL → DPI")}


def test_invalid_finess_is_refused(tmp_path):
    sheets = base_sheets()
    sheets["Etablissements"][3][4] = "750712185"
    sheets["Etablissements"][2][4] = None
    assert refused(tmp_path, sheets) == {
        ("Etablissements", 4, "FINESS", "FINESS number '750712185' has a wrong check digit"),
        ("Etablissements", 3, "FINESS", "FINESS number is empty")}


def test_duplicate_finess_is_refused(tmp_path):
    sheets = base_sheets()
    sheets["Etablissements"][4][4] = FINESS_ET1
    assert refused(tmp_path, sheets) == {
        ("Etablissements", 4, "FINESS", f"The FINESS number {FINESS_ET1} is already used."),
        ("Etablissements", 5, "FINESS", f"The FINESS number {FINESS_ET1} is already used.")}


def test_unknown_references_are_refused(tmp_path):
    sheets = base_sheets()
    sheets["Dependances"].append(["URG", "NOPE", None, None])
    sheets["Dependances"].append(["GHOST", "DPI", None, None])
    sheets["Activites"][1][2] = "ET-X"
    sheets["Etablissements"][3][3] = "EJ-X"
    assert refused(tmp_path, sheets) == {
        ("Dependances", 8, "Cible", "Unknown node NOPE: no activity, application or component "
                                    "has this code."),
        ("Dependances", 9, "Source", "Unknown node GHOST: no activity, application or component "
                                     "has this code."),
        ("Activites", 2, "Etablissement", "Unknown organization ET-X."),
        ("Etablissements", 4, "Parent", "Unknown organization EJ-X.")}


def test_duplicate_codes_are_refused(tmp_path):
    sheets = base_sheets()
    sheets["Composants"].append(["SRV1", "Encore", "vm", None, None, None, None])
    sheets["Composants"].append(["DPI", "Homonyme", "vm", None, None, None, None])
    sheets["Etablissements"].append(["ET-T2", "Bis", "ET", "EJ-T", "750712184", 1])
    sheets["Dependances"].append(["URG", "DPI", 2, None])
    assert refused(tmp_path, sheets) == {
        ("Composants", 5, "Code", "Duplicate code SRV1: already on row 2."),
        ("Composants", 6, "Code", "Duplicate code DPI: already on sheet Applications, row 2."),
        ("Etablissements", 6, "Code", "Duplicate code ET-T2: already on row 5."),
        ("Dependances", 8, "Cible", "Duplicate dependency: URG → DPI is already on row 2.")}


def test_code_of_another_type_is_refused(tmp_path):
    imported(tmp_path)
    sheets = {"Composants": [COMP_HEADER, ["DPI", "Serveur DPI", "serveur", None, None, None,
                                           None]]}
    assert refused(tmp_path, sheets) == {
        ("Composants", 2, "Code", "The code DPI is already used in this GHT by a node of type "
                                  "Application.")}


def test_bad_numbers_are_refused(tmp_path):
    sheets = base_sheets()
    sheets["Composants"][1][5] = "deux heures"
    sheets["Activites"][1][5] = -1
    sheets["Dependances"][1][2] = "4h"
    sheets["Applications"][1][5] = 1.234
    sheets["Etablissements"][2][5] = "beaucoup"
    assert refused(tmp_path, sheets) == {
        ("Composants", 2, "Durée de restauration estimée (h)", "deux heures is not a number."),
        ("Activites", 2, "PDMA (h)", "Must be zero or more."),
        ("Dependances", 2, "Autonomie en mode dégradé (h)", "4h is not a number."),
        ("Applications", 2, "Durée de restauration estimée (h)",
         "1.234 has more than 2 decimal places."),
        ("Etablissements", 3, "Poids d'activité", "beaucoup is not a number.")}


def test_bad_choices_are_refused(tmp_path):
    sheets = base_sheets()
    sheets["Composants"][1][2] = "XYZ"
    sheets["Etablissements"][2][2] = "CHU"
    assert refused(tmp_path, sheets) == {
        ("Composants", 2, "Type", "XYZ is not one of: serveur, vm, base_de_donnees, stockage, "
                                  "reseau, annuaire, hyperviseur, site, energie, saas, "
                                  "fournisseur, personnel, autre."),
        ("Etablissements", 3, "Type", "CHU is not one of: GHT, EJ, ET.")}


def test_missing_required_columns_and_values_are_refused(tmp_path):
    sheets = base_sheets()
    sheets["Composants"] = [[h for h in r if h != "Type"] if i == 0 else r[:2] + r[3:]
                            for i, r in enumerate(sheets["Composants"])]
    sheets["Activites"][1][1] = None
    sheets["Activites"][2][2] = None
    sheets["Dependances"][2][0] = None
    assert refused(tmp_path, sheets) == {
        ("Composants", 1, "Type", "The required column Type (kind) is missing."),
        ("Activites", 2, "Nom", "A value is required."),
        ("Activites", 3, "Etablissement", "A value is required."),
        ("Dependances", 3, "Source", "A value is required.")}


def test_declared_dmia_needs_a_justification(tmp_path):
    sheets = base_sheets()
    sheets["Activites"][1][7] = None
    assert refused(tmp_path, sheets) == {
        ("Activites", 2, "Justification", "A declared DMIA needs a written justification.")}


def test_an_activity_cannot_be_a_dependency_target(tmp_path):
    sheets = base_sheets()
    sheets["Dependances"].append(["DPI", "LAB", None, None])
    assert refused(tmp_path, sheets) == {
        ("Dependances", 8, "Cible", "An activity cannot be depended on: the target must be an "
                                    "application or a component.")}


def test_other_rules_of_the_forms(tmp_path):
    sheets = base_sheets()
    sheets["Dependances"].append(["SRV1", "SRV1", None, None])
    sheets["Activites"][2][2] = "GHT-T"
    sheets["Etablissements"][4][3] = "GHT-T"  # an ET below a GHT
    sheets["Applications"][1][1] = "x" * 201
    assert refused(tmp_path, sheets) == {
        ("Dependances", 8, "Cible", "A node cannot depend on itself."),
        ("Activites", 3, "Etablissement", "An activity belongs to a legal entity (EJ) or an "
                                          "establishment (ET)."),
        ("Etablissements", 5, "Parent", "An establishment (ET) must belong to a legal entity "
                                        "(EJ)."),
        ("Applications", 2, "Nom", "Ensure this value has at most 200 characters (it has 201).")}


def test_an_organization_loop_is_refused(tmp_path):
    sheets = {"Etablissements": [ORG_HEADER, ["GHT-T", "GHT", "GHT", None, None, None],
                                 ["EJ-1", "EJ", "EJ", "GHT-T", FINESS_EJ, 1],
                                 ["ET-1", "ET", "ET", "ET-1", FINESS_ET1, 1]]}
    assert refused(tmp_path, sheets) == {
        ("Etablissements", 4, "Parent", "An establishment (ET) must belong to a legal entity "
                                        "(EJ)."),
        ("Etablissements", 4, "Parent", "An organization cannot be placed below itself.")}


def test_all_errors_are_reported_at_once(tmp_path):
    sheets = base_sheets()
    sheets["Etablissements"][3][4] = "123"
    sheets["Activites"][2][5] = "x"
    sheets["Composants"][2][2] = "gadget"
    sheets["Dependances"].append(["DPI", "URG", None, None])
    errors = refused(tmp_path, sheets)
    assert {(sheet, row, column) for sheet, row, column, _m in errors} == {
        ("Etablissements", 4, "FINESS"), ("Activites", 3, "PDMA (h)"), ("Composants", 3, "Type"),
        ("Dependances", 8, "Cible")}


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path, world):
    garbage = tmp_path / "wb.xlsx"
    garbage.write_bytes(b"\x00\x01 this is not a zip \xff" * 50)
    state = db_state()
    report = workbook_import(path=garbage)
    assert errors_of(report) == {("wb.xlsx", None, None, "wb.xlsx is not a readable XLSX workbook "
                                  "(is it an Excel .xlsx file?).")}
    pdf = tmp_path / "wb.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert errors_of(workbook_import(path=pdf)) == {
        ("wb.pdf", None, None, "wb.pdf is not a workbook: expected an .xlsx file, a folder or a "
                               ".zip of CSV files, or a .csv file.")}
    zipped = tmp_path / "other.xlsx"
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert errors_of(workbook_import(path=zipped)) == {
        ("other.xlsx", None, None, "other.xlsx is not a readable XLSX workbook (is it an Excel "
                                   ".xlsx file?).")}
    empty_folder = tmp_path / "empty"
    empty_folder.mkdir()
    (empty_folder / "notes.csv").write_text("a;b\n1;2\n")
    report = workbook_import(path=empty_folder)
    assert errors_of(report) == {
        ("empty", None, None, "empty holds no pcra sheet (expected sheets or CSV files named: "
                              "Etablissements, Activites, Applications, Composants, "
                              "Dependances, Impacts, Sauvegardes, Verifications).")}
    assert [str(i) for i in report.notices] == ["notes: notes is not a pcra sheet: ignored."]
    assert db_state() == state


def test_parity_with_the_web_form_validation(tmp_path, world):
    """The import says what node_validate says, for the same bad node."""
    from django.core.exceptions import ValidationError

    from pcra.inventory.services import node_create

    with pytest.raises(ValidationError) as caught:
        node_create(top=world.ght_a, node_type="activity", code="A1", name="A",
                    organization=world.ght_a, activity_kind="soins", declared_dmia_hours=4)
    form_messages = {m for ms in caught.value.message_dict.values() for m in ms}
    sheets = {"Activites": [ACT_HEADER, ["A1", "A", "GHT-A", "soins", None, None, 4, None]]}
    report = imported(tmp_path, sheets, ght_code="GHT-A")
    assert {i.message for i in report.errors} == form_messages
    assert {i.message for i in report.errors} == {
        "An activity belongs to a legal entity (EJ) or an establishment (ET).",
        "A declared DMIA needs a written justification."}


def test_an_organization_with_nodes_cannot_move_to_another_ght(tmp_path, world):
    from pcra.core.testing import make_node

    sheets = {"Etablissements": [ORG_HEADER, ["EJ-B", "EJ B", "EJ", "GHT-A", world.ej_b.finess,
                                              100]]}
    make_node(org=world.et_b1, node_type="activity", code="URG-B")
    assert refused(tmp_path, sheets, ght_code="GHT-A") == {
        ("Etablissements", 2, "Parent", "This organization owns activities, applications or "
                                        "components: it cannot move to another GHT.")}
    Node.objects.filter(code="URG-B").delete()
    report = imported(tmp_path, sheets, ght_code="GHT-A")
    assert report.errors == [] and report.totals() == {"created": 0, "updated": 1,
                                                       "unchanged": 0}
    assert set(Organization.objects.filter(code__in=["EJ-B", "ET-B1"]).values_list(
        "code", "parent__code", "root__code")) == {("EJ-B", "GHT-A", "GHT-A"),
                                                   ("ET-B1", "EJ-B", "GHT-A")}
