"""Helpers for the workbook tests: write real XLSX files and CSV folders, read them back."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from pcra.organizations.finess import with_check_digit

#: valid FINESS numbers for hand-written workbooks
FINESS_EJ = with_check_digit("75000001")
FINESS_ET1 = with_check_digit("75000002")
FINESS_ET2 = with_check_digit("75000003")

ORG_HEADER = ["Code", "Nom", "Type", "Parent", "FINESS", "Poids d'activité"]
ACT_HEADER = ["Code", "Nom", "Etablissement", "Nature", "Référent", "PDMA (h)",
              "DMIA déclarée (h)", "Justification"]
APP_HEADER = ["Code", "Nom", "Editeur", "Etablissement", "Hébergement",
              "Durée de restauration estimée (h)"]
COMP_HEADER = ["Code", "Nom", "Type", "Site", "Etablissement",
               "Durée de restauration estimée (h)", "Equipe de reprise"]
DEP_HEADER = ["Source", "Cible", "Autonomie en mode dégradé (h)", "Groupe de redondance"]


def base_sheets() -> dict[str, list[list]]:
    """A small valid workbook: one GHT, one EJ, two ET, nodes of every type, edges."""
    return {
        "Etablissements": [
            ORG_HEADER,
            ["GHT-T", "GHT test", "GHT", None, None, None],
            ["EJ-T", "CH test", "EJ", "GHT-T", FINESS_EJ, 1000],
            ["ET-T1", "Site 1", "ET", "EJ-T", FINESS_ET1, 600],
            ["ET-T2", "Site 2", "ET", "EJ-T", FINESS_ET2, 400],
        ],
        "Activites": [
            ACT_HEADER,
            ["URG", "Urgences", "ET-T1", "soins", "dr@example.org", 1, 4, "Vital"],
            ["LAB", "Laboratoire", "ET-T2", "plateau_technique", None, 24, None, None],
        ],
        "Applications": [
            APP_HEADER,
            ["DPI", "Dossier patient", "Editeur X", None, "local", 6],
            ["SIL", "Labo", "Editeur Y", "ET-T2", "saas", None],
        ],
        "Composants": [
            COMP_HEADER,
            ["SRV1", "Serveur 1", "serveur", "DC1", None, 2.5, "infra"],
            ["SRV2", "Serveur 2", "serveur", "DC1", None, 2.5, "infra"],
            ["DC1", "Datacenter", "site", None, None, None, None],
        ],
        "Dependances": [
            DEP_HEADER,
            ["URG", "DPI", 4, None],
            ["LAB", "SIL", None, None],
            ["DPI", "SRV1", None, "srv"],
            ["DPI", "SRV2", None, "srv"],
            ["SRV1", "DC1", None, None],
            ["SRV2", "DC1", None, None],
        ],
    }


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def write_csv_folder(path: Path, sheets: dict[str, list[list]], *, delimiter: str = ";",
                     encoding: str = "utf-8-sig") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with open(path / f"{name}.csv", "w", encoding=encoding, newline="") as out:
            writer = csv.writer(out, delimiter=delimiter)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row])
    return path


def read_values(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values, for comparing two workbooks."""
    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in book.worksheets}


def db_state() -> dict[str, object]:
    """Everything an import may change, to assert that a refused import changed nothing."""
    from pcra.core.models import AuditEntry
    from pcra.inventory.models import Dependency, Node
    from pcra.organizations.models import Organization

    return {
        "organizations": set(Organization.objects.values_list(
            "code", "name", "kind", "parent__code", "finess", "activity_weight")),
        "nodes": set(Node.objects.values_list(
            "code", "node_type", "name", "organization__code", "activity_kind", "component_kind",
            "hosting", "pdma_hours", "declared_dmia_hours", "declared_dmia_reason",
            "restore_hours_estimate", "site", "recovery_team", "vendor", "owner")),
        "attributes": {n.code: n.attributes for n in Node.objects.all()},
        "edges": set(Dependency.objects.values_list(
            "source__code", "target__code", "degraded_autonomy_hours", "redundancy_group")),
        "audit": AuditEntry.objects.count(),
    }


def errors_of(report) -> set[tuple]:
    """(sheet, row, column, message) of every error."""
    return {(i.sheet, i.row, i.column, i.message) for i in report.errors}
