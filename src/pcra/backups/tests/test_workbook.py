"""The workbook's backup sheets: Sauvegardes (copies) and Verifications (evidence).

Import creates data assets, copies and verifications with exact values; re-importing updates in
place and adds nothing; export → import gives the same rows; every refused row names its sheet,
row and column, and then nothing at all is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Count
from django.utils import timezone, translation

from pcra.backups import services
from pcra.backups.models import BackupCopy, DataAsset, Source, Verification
from pcra.core.models import AuditEntry
from pcra.core.testing import make_node
from pcra.inventory.models import Node
from pcra.workbook.services import workbook_export, workbook_import, workbook_template
from pcra.workbook.tests.helpers import (
    APP_HEADER,
    errors_of,
    read_values,
    write_csv_folder,
    write_xlsx,
)

pytestmark = pytest.mark.django_db

COPY_HEADER = ["Donnée", "Copie", "Outil", "Dépôt", "Support", "Site", "Hors site", "Hors ligne",
               "Immuable (jours)", "Chiffrée", "MFA administrateurs",
               "Authentification séparée", "Fréquence (h)", "Rétention (jours)",
               "Dernier succès"]
EXTENSIONS = ["Infrastructure", "Fournisseur", "Réseau segmenté", "Comptes nominatifs dédiés",
              "Tranches de vérification", "Vérification toutes les (h)"]
VERIF_HEADER = ["Donnée", "Copie", "Date", "Type", "Résultat", "Erreurs", "Durée (min)",
                "Volume (Go)", "Commentaire"]

#: the copy fields the assertions read, in this order
COPY_FIELDS = ("data_asset__node__code", "name", "engine", "repository", "media", "site",
               "offsite", "offline", "immutable_days", "encrypted", "admin_mfa",
               "separate_auth", "frequency_hours", "retention_days", "declared_last_success",
               "infrastructure__code", "supplier__code", "segmented", "named_admin_accounts",
               "verify_slices", "verify_interval_hours")
VERIF_FIELDS = ("copy__data_asset__node__code", "copy__name", "performed_at", "kind", "result",
                "error_count", "duration_seconds", "size_bytes", "notes", "source",
                "slice_number", "slice_total")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


#: dates of the test rows: recent enough for the export (the last 365 days)
D1 = dt.date.today() - dt.timedelta(days=40)
D2, D3, D4 = (D1 + dt.timedelta(days=n) for n in (1, 2, 3))


@pytest.fixture
def ght(world):
    """GHT-A's nodes: a shared application, a server of ET-A1, an ET-A1 activity, a shared
    supplier, an application of ET-A2, and a shared backup infrastructure."""
    make_node(org=world.ght_a, node_type="application", code="DPI", name="Dossier patient")
    make_node(org=world.et_a1, node_type="component", code="SRV-A1", name="Serveur A1")
    make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    make_node(org=world.ght_a, node_type="component", code="SUP", name="Prestataire",
              component_kind="fournisseur")
    make_node(org=world.et_a2, node_type="application", code="PACS", name="PACS")
    services.infrastructure_create(top=world.ght_a, code="INFRA", name="Serveur de sauvegarde")
    return world


def copies() -> set[tuple]:
    return set(BackupCopy.objects.values_list(*COPY_FIELDS))


def verifications() -> set[tuple]:
    return set(Verification.objects.values_list(*VERIF_FIELDS))


def state() -> dict:
    return {"assets": set(DataAsset.objects.values_list("node__code", "production_site")),
            "copies": copies(), "verifications": verifications(),
            "nodes": set(BackupCopy.objects.values_list("pk", "updated_at")),
            "audit": AuditEntry.objects.count()}


def run(tmp_path, *, copy_rows=None, verif_rows=None, user=None, copy_header=None,
        verif_header=None, extra=None, name="wb.xlsx"):
    sheets = dict(extra or {})
    if copy_rows is not None:
        sheets["Sauvegardes"] = [copy_header or COPY_HEADER + EXTENSIONS, *copy_rows]
    if verif_rows is not None:
        sheets["Verifications"] = [verif_header or VERIF_HEADER, *verif_rows]
    return workbook_import(path=write_xlsx(tmp_path / name, sheets), user=user,
                           ght_code="GHT-A")


COPY_ROWS = [
    ["DPI", "nas", "veeam", None, "nas", "DC1", "non", "non", 0, "oui", None, "non", 24, 30,
     str(D1), "INFRA", None, None, None, None, None],
    ["DPI", "s3", "restic", "s3:https://s3.example.org/dpi", "objet", "Cloud", "oui", "non", 30,
     "oui", "oui", "oui", 1.5, 90, None, None, "SUP", "oui", "non", 5, 12],
    ["SRV-A1", "bande", "autre", None, "bande", "Coffre", "x", "x", None, None, None, None,
     168, 365, dt.datetime(D3.year, D3.month, D3.day, 22, 15), None, None, None, None, None, None],
]
VERIF_ROWS = [
    ["DPI", "nas", str(D2), "integrite", "ok", 0, 30, 1.5, "RAS"],
    ["DPI", "s3", dt.datetime(D3.year, D3.month, D3.day, 10, 30), "Restauration", "échec", 3, 90.5, 0.25,
     "Disque plein"],
    ["SRV-A1", "bande", f"{D4}T08:00", "integrite", "ok", None, None, None, None],
]
EXPECTED_COPIES = {
    ("DPI", "nas", "veeam", "", "nas", "DC1", False, False, 0, True, None, False,
     Decimal("24.00"), 30, local(D1.year, D1.month, D1.day), "INFRA", None, None, None, 7, Decimal("24.00")),
    ("DPI", "s3", "restic", "s3:https://s3.example.org/dpi", "objet", "Cloud", True, False, 30,
     True, True, True, Decimal("1.50"), 90, None, None, "SUP", True, False, 5, Decimal("12.00")),
    ("SRV-A1", "bande", "autre", "", "bande", "Coffre", True, True, 0, None, None, None,
     Decimal("168.00"), 365, local(D3.year, D3.month, D3.day, 22, 15), None, None, None, None, 7,
     Decimal("24.00")),
}
EXPECTED_VERIFICATIONS = {
    ("DPI", "nas", local(D2.year, D2.month, D2.day), "integrite", "ok", 0, 1800.0, 1_500_000_000, "RAS",
     Source.WORKBOOK, None, None),
    ("DPI", "s3", local(D3.year, D3.month, D3.day, 10, 30), "restauration", "echec", 3, 5430.0, 250_000_000,
     "Disque plein", Source.WORKBOOK, None, None),
    ("SRV-A1", "bande", local(D4.year, D4.month, D4.day, 8), "integrite", "ok", 0, None, None, "",
     Source.WORKBOOK, None, None),
}


# --- import ------------------------------------------------------------------------------------


def test_import_creates_assets_copies_and_verifications(tmp_path, ght):
    report = run(tmp_path, copy_rows=COPY_ROWS, verif_rows=VERIF_ROWS)
    assert report.errors == [] and report.notices == [] and report.applied
    assert {s.label: (s.created, s.updated, s.unchanged) for s in report.sheets} == {
        "Sauvegardes": (3, 0, 0), "Verifications": (3, 0, 0)}
    assert set(DataAsset.objects.values_list("node__code", "production_site")) == {
        ("DPI", ""), ("SRV-A1", "")}
    assert copies() == EXPECTED_COPIES
    assert verifications() == EXPECTED_VERIFICATIONS
    assert BackupCopy.objects.filter(secret="").count() == 3
    # every write is audited, as the forms' are
    assert dict(AuditEntry.objects.filter(model__startswith="backups.").values_list(
        "model").annotate(n=Count("id")).values_list("model", "n")) == {
        "backups.backupinfrastructure": 1,  # the fixture's
        "backups.dataasset": 2, "backups.backupcopy": 3, "backups.verification": 3}


def test_reimport_changes_nothing_then_updates_in_place(tmp_path, ght):
    run(tmp_path, copy_rows=COPY_ROWS, verif_rows=VERIF_ROWS)
    before = state()
    ids = dict(BackupCopy.objects.values_list("name", "pk"))
    report = run(tmp_path, copy_rows=COPY_ROWS, verif_rows=VERIF_ROWS, name="again.xlsx")
    assert report.errors == [] and report.applied
    assert {s.label: (s.created, s.updated, s.unchanged) for s in report.sheets} == {
        "Sauvegardes": (0, 0, 3), "Verifications": (0, 0, 3)}
    assert state() == before
    changed = [list(r) for r in COPY_ROWS]
    changed[0][13] = 60      # Rétention
    changed[0][9] = None     # Chiffrée: empty = unknown, not "no"
    changed[1][16] = None    # Fournisseur cleared
    report = run(tmp_path, copy_rows=changed, verif_rows=VERIF_ROWS, name="changed.xlsx")
    assert report.errors == []
    sheet = report.sheet("backup_copies")
    assert (sheet.created, sheet.updated, sheet.unchanged) == (0, 2, 1)
    assert [(c.key, c.fields) for c in sheet.changes] == [
        ("DPI / nas", ["Chiffrée", "Rétention (jours)"]), ("DPI / s3", ["Fournisseur"])]
    assert dict(BackupCopy.objects.values_list("name", "pk")) == ids
    assert BackupCopy.objects.get(name="nas").encrypted is None
    assert BackupCopy.objects.get(name="nas").retention_days == 60
    assert BackupCopy.objects.get(name="s3").supplier is None
    assert Verification.objects.count() == 3 and DataAsset.objects.count() == 2


def test_absent_optional_columns_leave_values_alone(tmp_path, ght):
    run(tmp_path, copy_rows=COPY_ROWS)
    report = run(tmp_path, copy_header=["Donnée", "Copie", "Outil", "Support", "Rétention (jours)"],
                 copy_rows=[["DPI", "s3", "restic", "objet", 120]], name="few.xlsx")
    assert report.errors == []
    assert report.sheet("backup_copies").changes[0].fields == ["Rétention (jours)"]
    s3 = BackupCopy.objects.get(name="s3")
    assert (s3.retention_days, s3.supplier.code, s3.verify_slices, s3.segmented) == (
        120, "SUP", 5, True)


def test_nodes_copies_and_verifications_of_one_workbook(tmp_path, ght):
    """A node, its copy and its verification declared by the same workbook: the sheets apply
    in order."""
    report = run(tmp_path, extra={"Applications": [APP_HEADER, ["NEW", "Nouvelle", None, None,
                                                                "local", None]]},
                 copy_rows=[["NEW", "nas", "veeam", None, "nas", None, None, None, None, None,
                             None, None, None, None, None, None, None, None, None, None, None]],
                 verif_rows=[["NEW", "nas", str(D4), "integrite", "ok", 0, None, None,
                              None]])
    assert report.errors == []
    assert BackupCopy.objects.get(data_asset__node__code="NEW").verifications.count() == 1


def test_csv_folder(tmp_path, ght):
    folder = write_csv_folder(tmp_path / "csv", {
        "Sauvegardes": [COPY_HEADER, ["DPI", "nas", "Veeam", "", "NAS", "DC1", "oui", "non",
                                      "7", "", "", "", "1,5", "30", str(D1)]],
        "verifications": [VERIF_HEADER, ["DPI", "nas", f"{D2}T12:00", "integrite",
                                         "echec", "2", "12,5", "0,5", "Bloc illisible"]]})
    report = workbook_import(path=folder, ght_code="GHT-A")
    assert report.errors == [] and report.applied
    assert copies() == {("DPI", "nas", "veeam", "", "nas", "DC1", True, False, 7, None, None,
                         None, Decimal("1.50"), 30, local(D1.year, D1.month, D1.day), None, None, None, None,
                         7, Decimal("24.00"))}
    assert verifications() == {("DPI", "nas", local(D2.year, D2.month, D2.day, 12), "integrite", "echec", 2,
                                750.0, 500_000_000, "Bloc illisible", Source.WORKBOOK, None,
                                None)}


# --- export ------------------------------------------------------------------------------------


def test_round_trip(tmp_path, ght):
    run(tmp_path, copy_rows=COPY_ROWS, verif_rows=VERIF_ROWS)
    s3 = BackupCopy.objects.get(name="s3")
    now = timezone.now()
    engine_at = (now - dt.timedelta(days=2)).replace(microsecond=123456)
    Verification.objects.create(copy=s3, performed_at=engine_at, kind="integrite", result="ok",
                                duration_seconds=61.7, size_bytes=123_456_789_012,
                                source=Source.ENGINE)
    # an engine check of a restic copy (read again from the engine, not exported), one slice
    # of a rotation, and a check that read no data: not whole-copy evidence
    Verification.objects.create(copy=s3, performed_at=now - dt.timedelta(days=1),
                                kind="integrite", result="ok", slice_number=1, slice_total=5,
                                source=Source.ENGINE)
    Verification.objects.create(copy=s3, performed_at=now - dt.timedelta(days=1),
                                kind="integrite", result="ok", reads_data=False,
                                source=Source.INGEST)
    # older than a year: left out of the export
    Verification.objects.create(copy=s3, performed_at=now - dt.timedelta(days=400),
                                kind="restauration", result="ok", source=Source.MANUAL)
    first = workbook_export(path=tmp_path / "first.xlsx", ght_code="GHT-A")
    values = read_values(first)
    assert values["Sauvegardes"][0] == tuple(COPY_HEADER + EXTENSIONS)
    assert values["Sauvegardes"][1:] == [
        ("DPI", "nas", "veeam", None, "nas", "DC1", False, False, 0, True, None, False, 24, 30,
         dt.datetime(D1.year, D1.month, D1.day), "INFRA", None, None, None, 7, 24),
        ("DPI", "s3", "restic", "s3:https://s3.example.org/dpi", "objet", "Cloud", True, False,
         30, True, True, True, 1.5, 90, None, None, "SUP", True, False, 5, 12),
        ("SRV-A1", "bande", "autre", None, "bande", "Coffre", True, True, 0, None, None, None,
         168, 365, dt.datetime(D3.year, D3.month, D3.day, 22, 15), None, None, None, None, 7, 24)]
    assert values["Verifications"] == [
        tuple(VERIF_HEADER),
        ("DPI", "nas", dt.datetime(D2.year, D2.month, D2.day), "integrite", "ok", 0, 30, 1.5, "RAS"),
        ("DPI", "s3", dt.datetime(D3.year, D3.month, D3.day, 10, 30), "restauration", "echec", 3, 90.5, 0.25,
         "Disque plein"),
        ("SRV-A1", "bande", dt.datetime(D4.year, D4.month, D4.day, 8), "integrite", "ok", 0, None, None, None)]

    # into the same database: nothing changes (the engine's verification matches to the second)
    before = state()
    report = workbook_import(path=first, ght_code="GHT-A")
    assert report.errors == [] and report.totals()["created"] == 0
    assert report.totals()["updated"] == 0
    assert state() == before

    # into an empty one: the same rows come back
    Verification.objects.all().delete()
    BackupCopy.objects.all().delete()
    DataAsset.objects.all().delete()
    report = workbook_import(path=first, ght_code="GHT-A")
    assert report.errors == []
    assert {s.label: s.created for s in report.sheets if s.created} == {
        "Sauvegardes": 3, "Verifications": 3}
    second = workbook_export(path=tmp_path / "second.xlsx", ght_code="GHT-A")
    assert read_values(second) == values

    # the CSV form says the same
    folder = workbook_export(path=tmp_path / "csv", ght_code="GHT-A")
    lines = (folder / "Verifications.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[:3] == ["Donnée;Copie;Date;Type;Résultat;Erreurs;Durée (min);Volume (Go);"
                         "Commentaire",
                         f"DPI;nas;{D2};integrite;ok;0;30;1.5;RAS",
                         f"DPI;s3;{D3}T10:30:00;restauration;echec;3;90.5;0.25;Disque plein"]
    assert workbook_import(path=folder, ght_code="GHT-A").totals()["created"] == 0


def test_export_shows_what_the_user_may_see(tmp_path, ght):
    run(tmp_path, copy_rows=[
        *COPY_ROWS,
        ["PACS", "nas", "veeam", None, "nas", None, None, None, None, None, None, None, None,
         None, None, None, None, None, None, None, None]],
        verif_rows=[*VERIF_ROWS, ["PACS", "nas", str(D2), "integrite", "ok", 0, None, None,
                                  None]])
    values = read_values(workbook_export(path=tmp_path / "o.xlsx", user=ght.outsider))
    assert [r[:2] for r in values["Sauvegardes"][1:]] == [("DPI", "nas"), ("DPI", "s3"),
                                                          ("PACS", "nas")]
    assert [r[:2] for r in values["Verifications"][1:]] == [("DPI", "nas"), ("DPI", "s3"),
                                                            ("PACS", "nas")]
    values = read_values(workbook_export(path=tmp_path / "m.xlsx", user=ght.member))
    assert [r[:2] for r in values["Sauvegardes"][1:]] == [("DPI", "nas"), ("DPI", "s3"),
                                                          ("SRV-A1", "bande")]
    # the viewer's own export re-imports without any change, and so without any right
    before = state()
    report = workbook_import(path=tmp_path / "m.xlsx", user=ght.member)
    assert report.errors == [] and state() == before


def test_a_supplier_the_user_may_not_see_is_masked_and_kept(tmp_path, ght, world):
    """ET-A2's copy is held by ET-A1's supplier: ET-A2's editor sees the copy, not the
    supplier."""
    hidden = make_node(org=world.et_a1, node_type="component", code="SUP-A1",
                       name="Prestataire A1", component_kind="saas")
    run(tmp_path, copy_rows=[blank_copy("PACS", "s3", Fournisseur="SUP-A1")])
    assert BackupCopy.objects.get().supplier == hidden
    path = workbook_export(path=tmp_path / "x.xlsx", user=world.outsider)
    row = read_values(path)["Sauvegardes"][1]
    assert row[:2] == ("PACS", "s3") and row[16] is None
    report = workbook_import(path=path, user=world.outsider)
    assert report.errors == [] and report.totals()["created"] == 0
    assert report.totals()["updated"] == 0 and report.sheet("backup_copies").unchanged == 1
    assert BackupCopy.objects.get().supplier == hidden
    # naming it is naming an unknown supplier, on a new copy as on the existing one
    report = run(tmp_path, user=world.outsider, name="y.xlsx", copy_rows=[
        blank_copy("PACS", "nas", Fournisseur="SUP-A1"),
        blank_copy("PACS", "s3", Fournisseur="SUP")])
    assert errors_of(report) == {("Sauvegardes", 2, "Fournisseur", "Unknown supplier SUP-A1.")}
    assert report.sheet("backup_copies").changes[-1].fields == ["Fournisseur"]


def test_template_has_drop_downs_and_help(tmp_path):
    path = tmp_path / "template.xlsx"
    workbook_template(path=path)
    book = openpyxl.load_workbook(path)
    sheet = book["Sauvegardes"]
    assert [c.value for c in sheet[1]] == COPY_HEADER + EXTENSIONS
    assert [c.value for c in book["Verifications"][1]] == VERIF_HEADER
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["C2"] == '"restic,borg,veeam,autre"'
    assert lists["E2"] == '"disque,nas,objet,bande,cloud,amovible"'
    assert lists["J2"] == '"oui,non"'
    verif_lists = {str(v.sqref).split(":")[0]: v.formula1
                   for v in book["Verifications"].data_validations.dataValidation}
    assert verif_lists == {"D2": '"integrite,restauration"', "E2": '"ok,echec"'}
    assert sheet["J1"].comment.text == (
        "The copy is encrypted. Empty = unknown (never counted as met); yes/no, 1/0 and x are "
        "accepted too. Values: oui, non.")
    assert sheet["G1"].comment.text == (
        "The copy is on another site than the production data. Values: oui/non, yes/no, 1/0, "
        "x/empty.")
    help_rows = [tuple(c.value for c in row[:3]) for row in book["Aide"].iter_rows()]
    assert ("Sauvegardes", None, "backup_copies") in help_rows
    assert ("Sauvegardes", "Fournisseur", "supplier") in help_rows
    assert ("Verifications", "Volume (Go)", "size_gb") in help_rows


# --- errors ------------------------------------------------------------------------------------


def blank_copy(code, name, **cells) -> list:
    """A Sauvegardes row (shared format + extensions) with ``cells`` by header."""
    header = COPY_HEADER + EXTENSIONS
    row = [None] * len(header)
    row[0], row[1], row[2], row[4] = code, name, "veeam", "nas"
    for label, value in cells.items():
        row[header.index(label.replace("_", " "))] = value
    return row


def test_bad_rows_are_refused_with_their_cell_and_nothing_is_written(tmp_path, ght):
    run(tmp_path, copy_rows=COPY_ROWS[:1])
    before = state()
    report = run(tmp_path, name="bad.xlsx", extra={
        "Applications": [APP_HEADER, ["NEW", "Nouvelle", None, None, "local", None]]},
        copy_rows=[
            blank_copy("NOPE", "nas"),
            blank_copy("URG", "nas"),
            ["DPI", "tsm", "tsm", None, "nas"] + [None] * 16,
            ["DPI", "neg", "veeam", None, "nas", None, None, None, -1] + [None] * 12,
            ["DPI", "restic", "restic", None, "disque"] + [None] * 16,
            ["DPI", "leak", "borg", "ssh://admin:hunter2@backup/dpi", "disque"] + [None] * 16,
            ["DPI", "dup", "veeam", None, "nas", None, None, None, 0, "peut-être"] + [None] * 11,
            ["DPI", "sup", "veeam", None, "nas"] + [None] * 11 + ["SRV-A1"] + [None] * 4,
            ["DPI", "infra", "veeam", None, "nas"] + [None] * 10 + ["NOPE"] + [None] * 5,
            ["DPI", "rot", "restic", "/srv/r", "disque"] + [None] * 14 + [30, 48],
            ["DPI", "new", "veeam", None, "nas"] + [None] * 16,
            ["DPI", "new", "veeam", None, "nas"] + [None] * 16,
            ["NEW", "nas", "veeam", None, "nas"] + [None] * 16,
        ],
        verif_rows=[
            ["DPI", "nas", str(D2), "integrite", "echec", 0, None, None, None],
            ["DPI", "nas", str(D2), "integrite", "ok", 2, None, None, None],
            ["DPI", "ghost", str(D2), "integrite", "ok", 0, None, None, None],
            ["NOPE", "nas", str(D2), "integrite", "ok", 0, None, None, None],
            ["URG", "nas", str(D2), "integrite", "ok", 0, None, None, None],
            ["DPI", "nas", "2099-01-01", "integrite", "ok", 0, None, None, None],
            ["DPI", "nas", "hier", "controle", "ok", -1, None, None, None],
            ["DPI", "new", str(D3), "restauration", "ok", 0, 10, 1, None],
            ["DPI", "new", str(D3), "restauration", "ok", 0, 10, 1, None],
        ])
    assert errors_of(report) == {
        ("Sauvegardes", 2, "Donnée", "Unknown application or component NOPE."),
        ("Sauvegardes", 3, "Donnée", "URG is an activity: only the data of an application or a "
                                     "component is backed up."),
        ("Sauvegardes", 4, "Outil", "tsm is not one of: restic, borg, veeam, autre."),
        ("Sauvegardes", 5, "Immuable (jours)", "Must be zero or more."),
        ("Sauvegardes", 6, "Dépôt", "pcra reads restic repositories itself: give the repository "
                                    "path or URI."),
        ("Sauvegardes", 7, "Dépôt", "Do not put a password in the repository address; store it "
                                    "with the copy's password instead."),
        ("Sauvegardes", 8, "Chiffrée", "peut-être is not a yes/no value (oui/non, yes/no, 1/0, "
                                       "x or empty)."),
        ("Sauvegardes", 9, "Fournisseur", "SRV-A1 is not a supplier or a SaaS service."),
        ("Sauvegardes", 10, "Infrastructure", "Unknown backup infrastructure NOPE."),
        ("Sauvegardes", 11, "Tranches de vérification",
         "With 30 slices every 48 h, a full read takes 60 days: it must fit in the 30-day "
         "verification window with one run to spare. Use fewer slices or verify more often."),
        ("Sauvegardes", 13, "Copie", "Duplicate copy: new of DPI is already on row 12."),
        ("Verifications", 2, "Erreurs", "A failed verification has at least one error."),
        ("Verifications", 3, "Erreurs", "A verification with errors is not OK."),
        ("Verifications", 4, "Copie", "DPI has no copy named ghost: declare it on the "
                                      "Sauvegardes sheet (or the copy's form) first."),
        ("Verifications", 5, "Donnée", "Unknown application or component NOPE."),
        ("Verifications", 6, "Donnée", "URG is an activity: only the data of an application or "
                                       "a component is backed up."),
        ("Verifications", 7, "Date", "This date is in the future."),
        ("Verifications", 8, "Date", "hier is not a date (expected ISO 8601, e.g. 2024-03-31 or "
                                     "2024-03-31T14:30)."),
        ("Verifications", 8, "Type", "controle is not one of: integrite, restauration."),
        ("Verifications", 8, "Erreurs", "Must be zero or more."),
        ("Verifications", 10, "Date", "Duplicate verification: the same one is already on row "
                                      "9."),
    }
    assert not report.applied
    assert state() == before
    # the valid rows are not written either: not the new application, not its copy
    assert not Node.objects.filter(code="NEW").exists()


@pytest.mark.parametrize("header", ["Mot de passe", "RESTIC_PASSWORD", "Secret", "mdp"])
def test_a_password_column_refuses_the_sheet(tmp_path, ght, header):
    before = state()
    report = run(tmp_path, copy_header=[*COPY_HEADER, header],
                 copy_rows=[[*COPY_ROWS[0][:15], "hunter2"]])
    assert errors_of(report) == {("Sauvegardes", 1, header, (
        f"The column {header} looks like a password: the workbook never carries passwords, so "
        "this sheet is refused. Remove the column and store each repository password, "
        "encrypted, with `pcra set_copy_secret DATA_ASSET COPY --password-file FILE` (or on "
        "the copy's page)."))}
    assert report.notices == []
    assert "hunter2" not in str(report.as_dict())
    assert state() == before and not BackupCopy.objects.exists()


def test_rights_follow_the_nodes_establishment(tmp_path, ght, world):
    """The outsider (editor of ET-A2) cannot see ET-A1's server: it is reported exactly like a
    code that does not exist. The viewer of ET-A1 sees it but may not change it; the editor of
    ET-A1 may, but not the shared DPI (that needs a role on the GHT)."""
    run(tmp_path, copy_rows=[COPY_ROWS[2]])
    before = state()
    rows = dict(copy_rows=[blank_copy("SRV-A1", "bande", Support="bande"),
                           blank_copy("SRV-A1", "nas"), blank_copy("NOPE", "nas"),
                           blank_copy("DPI", "nas"), blank_copy("PACS", "nas")],
                verif_rows=[["SRV-A1", "bande", str(D2), "integrite", "ok", 0, None, None,
                             None],
                            ["NOPE", "bande", str(D2), "integrite", "ok", 0, None, None, None]])
    report = run(tmp_path, user=world.outsider, **rows)
    assert errors_of(report) == {
        ("Sauvegardes", 2, "Donnée", "Unknown application or component SRV-A1."),
        ("Sauvegardes", 3, "Donnée", "Unknown application or component SRV-A1."),
        ("Sauvegardes", 4, "Donnée", "Unknown application or component NOPE."),
        ("Sauvegardes", 5, "Donnée", "You may not change DPI / nas: you have no write role on "
                                     "the GHT GHT-A (shared data)."),
        ("Verifications", 2, "Donnée", "Unknown application or component SRV-A1."),
        ("Verifications", 3, "Donnée", "Unknown application or component NOPE.")}
    assert state() == before
    report = run(tmp_path, user=world.member, **rows)
    assert errors_of(report) == {
        ("Sauvegardes", 2, "Donnée", "You may not change SRV-A1 / bande: you have no write role "
                                     "on ET-A1."),
        ("Sauvegardes", 3, "Donnée", "You may not change SRV-A1 / nas: you have no write role "
                                     "on ET-A1."),
        ("Sauvegardes", 4, "Donnée", "Unknown application or component NOPE."),
        ("Sauvegardes", 5, "Donnée", "You may not change DPI / nas: you have no write role on "
                                     "the GHT GHT-A (shared data)."),
        ("Sauvegardes", 6, "Donnée", "Unknown application or component PACS."),
        ("Verifications", 2, "Donnée", "You may not change SRV-A1 / bande: you have no write "
                                       "role on ET-A1."),
        ("Verifications", 3, "Donnée", "Unknown application or component NOPE.")}
    assert state() == before
    report = run(tmp_path, user=world.owner, copy_rows=[blank_copy("SRV-A1", "nas")],
                 verif_rows=rows["verif_rows"][:1])
    assert report.errors == [] and report.applied
    assert set(BackupCopy.objects.values_list("name", flat=True)) == {"bande", "nas"}
    assert Verification.objects.get().source == Source.WORKBOOK
