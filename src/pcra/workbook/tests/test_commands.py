"""The command-line doors: import_workbook and export_workbook."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pcra.inventory.models import Node
from pcra.workbook.tests.helpers import base_sheets, db_state, read_values, write_xlsx

pytestmark = pytest.mark.django_db


def call(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_the_summary(tmp_path):
    path = write_xlsx(tmp_path / "wb.xlsx", base_sheets())
    out, err = call("import_workbook", str(path), "--dry-run")
    assert out.splitlines() == [
        "Etablissements: 4 created, 0 updated, 0 unchanged",
        "Activites: 2 created, 0 updated, 0 unchanged",
        "Applications: 2 created, 0 updated, 0 unchanged",
        "Composants: 3 created, 0 updated, 0 unchanged",
        "Dependances: 6 created, 0 updated, 0 unchanged",
        "Dry run: nothing was written."]
    assert err == "" and Node.objects.count() == 0
    out, err = call("import_workbook", str(path))
    assert out.splitlines()[-1] == "Imported into GHT-T."
    assert Node.objects.count() == 7
    out, _err = call("import_workbook", str(path), "--json")
    data = json.loads(out)
    assert (data["ok"], data["applied"], data["totals"]) == (
        True, True, {"created": 0, "updated": 0, "unchanged": 17})


def test_import_errors_exit_1_and_list_every_error(tmp_path):
    sheets = base_sheets()
    sheets["Composants"][1][2] = "XYZ"
    sheets["Dependances"].append(["DC1", "DPI", None, None])
    path = write_xlsx(tmp_path / "wb.xlsx", sheets)
    state = db_state()
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_workbook", str(path), stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert str(caught.value) == "2 error(s): nothing was changed."
    assert err.getvalue().splitlines() == [
        "error: Composants, row 2, column Type: XYZ is not one of: serveur, vm, base_de_donnees, "
        "stockage, reseau, annuaire, hyperviseur, site, energie, saas, fournisseur, personnel, "
        "autre.",
        "error: Dependances, row 8, column Cible: This dependency would close a cycle: "
        "DC1 → DPI → SRV1 → DC1"]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_workbook", str(path), "--json", stdout=out, stderr=StringIO())
    data = json.loads(out.getvalue())
    assert data["ok"] is False
    assert [(e["sheet"], e["row"], e["column"]) for e in data["errors"]] == [
        ("Composants", 2, "Type"), ("Dependances", 8, "Cible")]
    assert db_state() == state


def test_the_console_script_exits_1_on_a_broken_file(tmp_path):
    garbage = tmp_path / "broken.xlsx"
    garbage.write_bytes(b"not a workbook")
    env = {**os.environ, "PCRA_DATA_DIR": str(tmp_path / "data"), "PCRA_DATABASE_URL": "",
           "PCRA_LANGUAGE": "en"}
    result = subprocess.run([sys.executable, "-m", "pcra.cli", "import_workbook", str(garbage)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert ("error: broken.xlsx: broken.xlsx is not a readable XLSX workbook (is it an Excel "
            ".xlsx file?).") in result.stderr.splitlines()


def test_export_and_template(tmp_path):
    path = write_xlsx(tmp_path / "wb.xlsx", base_sheets())
    call("import_workbook", str(path))
    out, _err = call("export_workbook", str(tmp_path / "out.xlsx"))
    assert out.strip() == f"Workbook written to {tmp_path / 'out.xlsx'}."
    values = read_values(tmp_path / "out.xlsx")
    assert [r[0] for r in values["Composants"]] == ["Code", "DC1", "SRV1", "SRV2"]
    call("export_workbook", str(tmp_path / "csv"), "--ght", "GHT-T")
    assert (tmp_path / "csv" / "Composants.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "Code;Nom;Type;Site;Etablissement;Durée de restauration estimée (h);Equipe de reprise;"
        "Description",
        "DC1;Datacenter;site;;;;;", "SRV1;Serveur 1;serveur;DC1;;2.5;infra;",
        "SRV2;Serveur 2;serveur;DC1;;2.5;infra;"]
    with pytest.raises(CommandError, match="No top organization \\(GHT\\) has the code NOPE."):
        call("export_workbook", str(tmp_path / "x.xlsx"), "--ght", "NOPE")
    call("export_workbook", "--template", str(tmp_path / "template.xlsx"))
    template = read_values(tmp_path / "template.xlsx")
    assert {name: len(rows) for name, rows in template.items()} == {
        "Etablissements": 1, "Activites": 1, "Applications": 1, "Composants": 1,
        "Dependances": 1, "Impacts": 1, "Sauvegardes": 1, "Verifications": 1, "Aide": 83}
    assert template["Etablissements"] == [
        ("Code", "Nom", "Type", "Parent", "FINESS", "Poids d'activité")]


def test_the_template_explains_each_column_and_lists_choices(tmp_path):
    import openpyxl

    call("export_workbook", "--template", str(tmp_path / "template.xlsx"))
    book = openpyxl.load_workbook(tmp_path / "template.xlsx")
    components = book["Composants"]
    assert components["C1"].value == "Type"
    assert components["C1"].comment.text == (
        "Required. Type of component. Values: serveur, vm, base_de_donnees, stockage, reseau, "
        "annuaire, hyperviseur, site, energie, saas, fournisseur, personnel, autre.")
    lists = {(str(v.sqref), v.formula1) for v in components.data_validations.dataValidation}
    assert lists == {("C2:C5000", '"serveur,vm,base_de_donnees,stockage,reseau,annuaire,'
                                  'hyperviseur,site,energie,saas,fournisseur,personnel,autre"')}
    assert {(str(v.sqref), v.formula1)
            for v in book["Etablissements"].data_validations.dataValidation} == {
        ("C2:C5000", '"GHT,EJ,ET"')}
    help_rows = [tuple(c.value for c in row) for row in book["Aide"].iter_rows()]
    assert ("Dependances", "Cible", "target", "yes",
            "Required. Code of the application or component it depends on (not an activity).") \
        in help_rows
