"""Reading cells: numbers, hours, yes/no, dates, choices, headers."""

import datetime as dt
from decimal import Decimal

import pytest

from pcra.inventory.models import ComponentKind
from pcra.workbook import spec, values
from pcra.workbook.values import CellError


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None), ("", None), ("  ", None), (3, Decimal("3.00")), (2.5, Decimal("2.50")),
    ("2,5", Decimal("2.50")), ("2.5", Decimal("2.50")), (" 1 234,5 ", Decimal("1234.50")),
    (0.1 + 0.2, Decimal("0.30")), (",5", Decimal("0.50")), ("0", Decimal("0.00")),
])
def test_hours_accept_decimal_comma_and_dot(raw, expected):
    assert values.parse_decimal(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("deux", "deux is not a number."), ("4h", "4h is not a number."),
    ("1,2,3", "1,2,3 is not a number."), (-1, "Must be zero or more."),
    ("1.234", "1.234 has more than 2 decimal places."), (True, "oui is not a number."),
    ("1e3", "1e3 is not a number."), (10 ** 13, "10000000000000 is too large."),
    (float("nan"), "nan is not a number."),
])
def test_bad_numbers_say_why(raw, message):
    with pytest.raises(CellError) as caught:
        values.parse_decimal(raw)
    assert str(caught.value) == message


@pytest.mark.parametrize(("raw", "expected"), [
    ("oui", True), ("Non", False), ("yes", True), ("NO", False), ("1", True), ("0", False),
    ("x", True), ("X", True), ("", False), (None, False), (1, True), (0, False), (True, True),
    ("vrai", True), ("faux", False),
])
def test_booleans(raw, expected):
    assert values.parse_bool(raw) is expected


def test_a_bad_boolean_says_why():
    with pytest.raises(CellError) as caught:
        values.parse_bool("peut-être")
    assert str(caught.value) == ("peut-être is not a yes/no value (oui/non, yes/no, 1/0, x or "
                                 "empty).")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-03-31", dt.date(2024, 3, 31)), (dt.datetime(2024, 3, 31), dt.date(2024, 3, 31)),
    (dt.date(2024, 3, 31), dt.date(2024, 3, 31)), (45382, dt.date(2024, 3, 31)),
    ("45382", dt.date(2024, 3, 31)), ("2024-03-31T14:30", dt.datetime(2024, 3, 31, 14, 30)),
    (45382.5, dt.datetime(2024, 3, 31, 12, 0)), (None, None),
])
def test_dates_are_iso_or_excel(raw, expected):
    assert values.parse_date(raw) == expected


def test_a_bad_date_says_why():
    with pytest.raises(CellError) as caught:
        values.parse_date("31/03/2024")
    assert str(caught.value) == ("31/03/2024 is not a date (expected ISO 8601, e.g. 2024-03-31 "
                                 "or 2024-03-31T14:30).")


def test_choices_fold_case_accents_and_spaces():
    assert values.parse_choice("Base de données", ComponentKind.choices) == "base_de_donnees"
    assert values.parse_choice("VM", ComponentKind.choices) == "vm"
    assert values.parse_choice("", ComponentKind.choices) == ""
    with pytest.raises(CellError):
        values.parse_choice("mainframe", ComponentKind.choices)


def test_text_keeps_codes_as_written():
    assert values.parse_text(1234.0) == "1234"
    assert values.parse_text(" 007 ") == "007"
    assert values.parse_text(dt.datetime(2024, 1, 2)) == "2024-01-02"


def test_headers_match_label_or_key_loosely():
    sheet = spec.find_sheet("ETABLISSEMENTS")
    assert sheet is not None and sheet.key == "organizations"
    assert spec.find_sheet("dependencies").label == "Dependances"
    assert spec.find_sheet("Dépendances").key == "dependencies"
    assert sheet.match_header("Poids d’activité").key == "activity_weight"
    assert sheet.match_header("ACTIVITY_WEIGHT").key == "activity_weight"
    assert sheet.match_header("activity weight").key == "activity_weight"
    assert sheet.match_header("poids") is None
    assert sheet.match_header(None) is None


@pytest.mark.django_db
def test_a_new_sheet_is_a_declaration(tmp_path):
    """Registering a sheet is all the reader, importer, exporter and template need."""
    from pcra.workbook.handlers.base import ExportTable, SheetHandler
    from pcra.workbook.services import workbook_export, workbook_import
    from pcra.workbook.tests.helpers import base_sheets, read_values, write_xlsx

    applied = []

    class Notes(SheetHandler):
        def check(self, ctx, data, report):
            self.rows = [row.values["note"] for row in data.rows] if data else []
            if report is not None:
                report.created = len(self.rows)

        def apply(self, ctx):
            applied.extend(self.rows)

        def export(self, scope):
            return self.table([{"note": "exported"}])

    before = spec.all_sheets()
    notes = spec.Sheet(key="notes", label="Notes", handler=Notes,
                       columns=(spec.Column("note", "Note", required=True),))
    try:
        spec.register_sheet(notes)
        assert [s.key for s in spec.all_sheets()] == [*(s.key for s in before), "notes"]
        sheets = {**base_sheets(), "notes": [["NOTE"], ["un"], ["deux"]]}
        report = workbook_import(path=write_xlsx(tmp_path / "wb.xlsx", sheets))
        assert report.errors == [] and applied == ["un", "deux"]
        assert report.sheet("notes").created == 2
        exported = read_values(workbook_export(path=tmp_path / "out.xlsx"))
        assert exported["Notes"] == [("Note",), ("exported",)]
        assert list(exported)[-2:] == ["Notes", "Aide"]
        assert isinstance(Notes(notes).export(None), ExportTable)
    finally:
        spec._registry.remove(notes)
    assert spec.all_sheets() == before
