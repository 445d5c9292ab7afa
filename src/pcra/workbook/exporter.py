"""Writing workbooks: the export of a GHT (XLSX or CSV folder) and the empty template.

Sheets come in spec order with French headers; each handler gives its rows already sorted.
The XLSX gets a help sheet (*Aide*), a comment on each header and drop-down lists on choice
and yes/no columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pcra.workbook import spec
from pcra.workbook.handlers.base import ExportScope, ExportTable
from pcra.workbook.values import excel_value

#: rows covered by the drop-down lists of the template and exports
VALIDATION_ROWS = 5000
HELP_SHEET = "Aide"
BOOL_CHOICES = ("oui", "non")


def tables(scope: ExportScope | None) -> list[tuple[spec.Sheet, ExportTable]]:
    """Each sheet's table: the scope's data, or only headers for the template (None)."""
    out = []
    for sheet in spec.all_sheets():
        if scope is None:
            table = ExportTable(headers=[c.label for c in sheet.columns],
                                columns=list(sheet.columns))
        else:
            table = sheet.handler(sheet).export(scope)
        out.append((sheet, table))
    return out


def _cell(value: object) -> object:
    value = excel_value(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters Excel cannot hold
    return value


def _help_text(column: spec.Column) -> str:
    text = str(column.help)
    if column.required:
        text = _("Required.") + " " + text
    if column.kind == spec.Kind.CHOICE:
        text += " " + _("Values: %(values)s.") % {"values": ", ".join(column.choice_values())}
    elif column.kind == spec.Kind.BOOL:
        text += " " + _("Values: oui/non, yes/no, 1/0, x/empty.")
    elif column.kind == spec.Kind.HOURS:
        text += " " + _("Hours, decimal comma or dot.")
    elif column.kind == spec.Kind.DATE:
        text += " " + _("ISO 8601 date (2024-03-31) or an Excel date.")
    return text.strip()


def build_xlsx(scope: ExportScope | None) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet, table in tables(scope):
        ws = book.create_sheet(sheet.label)
        ws.append(table.headers)
        for number, row in enumerate(table.rows, start=2):
            for column_number, value in enumerate(row, start=1):
                cell = ws.cell(row=number, column=column_number, value=_cell(value))
                if cell.data_type == "f":  # text that looks like a formula stays text
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
        for index, (header, column) in enumerate(zip(table.headers, table.columns,
                                                     strict=True), start=1):
            cell = ws.cell(row=1, column=index)
            cell.font = bold
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = max(12, min(40, len(str(header)) + 4))
            if column is None:
                continue
            cell.comment = Comment(_help_text(column), "pcra", width=300, height=120)
            choices = (column.choice_values() if column.kind == spec.Kind.CHOICE
                       else list(BOOL_CHOICES) if column.kind == spec.Kind.BOOL else None)
            if choices:
                formula = '"' + ",".join(choices) + '"'
                if len(formula) <= 255:  # Excel's limit for an inline list
                    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
                    validation.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
                    ws.add_data_validation(validation)
    _help_sheet(book)
    return book


def _help_sheet(book: Workbook) -> None:
    ws = book.create_sheet(HELP_SHEET)
    ws.append([_("Sheet"), _("Column"), _("Key"), _("Required"), _("Help")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for sheet in spec.all_sheets():
        ws.append([sheet.label, None, sheet.key, None, str(sheet.help)])
        for column in sheet.columns:
            ws.append([sheet.label, column.label, column.key,
                       _("yes") if column.required else None, _help_text(column)])
    ws.append([])
    ws.append([_("Headers are matched on the French label or the English key, in any case, "
                 "with or without accents. The import is all or nothing; this sheet is "
                 "ignored.")])
    for letter, width in zip("ABCDE", (16, 34, 26, 10, 90), strict=True):
        ws.column_dimensions[letter].width = width


def write_xlsx(path: Path, scope: ExportScope | None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_xlsx(scope).save(path)
    return path


def xlsx_bytes(scope: ExportScope | None) -> bytes:
    buffer = io.BytesIO()
    build_xlsx(scope).save(buffer)
    return buffer.getvalue()


def _csv_text(value: object) -> str:
    value = excel_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def write_csv_folder(path: Path, scope: ExportScope | None) -> Path:
    """One ``<French label>.csv`` per sheet: UTF-8 with a byte-order mark (Excel opens it
    correctly), ``;`` separated, decimal dot."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for sheet, table in tables(scope):
        with open(path / f"{sheet.label}.csv", "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(table.headers)
            for row in table.rows:
                writer.writerow([_csv_text(v) for v in row])
    return path
