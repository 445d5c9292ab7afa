"""Reading a workbook file into raw rows: an XLSX file, a folder of CSV files, a zip of CSV
files or a single CSV file. Nothing here knows what the sheets mean.

Row numbers are the spreadsheet's (the header is row 1). A file that cannot be read raises
:class:`WorkbookError` with a message for the user.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

#: refuse archives that would expand beyond this (zip bombs)
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
#: refuse sheets with more rows than this
MAX_ROWS = 1_000_000


class WorkbookError(Exception):
    """The file is not a workbook pcra can read; ``str()`` says why."""


@dataclass
class RawSheet:
    """A sheet as read: ``name`` as written (sheet tab or CSV file name without suffix),
    ``header`` the cells of row 1, ``rows`` the following non-empty rows as
    (row number, cells)."""

    name: str
    header: list[object]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


@dataclass
class RawWorkbook:
    name: str
    sheets: list[RawSheet] = field(default_factory=list)
    #: files of a CSV folder or zip that are not CSV files
    skipped: list[str] = field(default_factory=list)


def _is_blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _trim(cells: list[object]) -> list[object]:
    while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
        cells.pop()
    return cells


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookError(_("%(name)s expands to more than %(mb)d MB: refused.")
                            % {"name": name, "mb": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)})


def read_xlsx(path: Path, *, display_name: str | None = None) -> RawWorkbook:
    import openpyxl

    name = display_name or path.name
    not_a_workbook = _("%(name)s is not a readable XLSX workbook (is it an Excel .xlsx file?).") % {
        "name": name}
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, name)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WorkbookError(not_a_workbook) from exc
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise WorkbookError(not_a_workbook) from exc
    result = RawWorkbook(name=name)
    try:
        for sheet in book.worksheets:
            raw = RawSheet(name=str(sheet.title).strip(), header=[])
            try:
                sheet.reset_dimensions()  # tools that write wrong dimensions hide rows
                number = 0
                for cells in sheet.iter_rows():
                    number += 1
                    for cell in cells:
                        row = getattr(cell, "row", None)
                        if row:
                            number = row
                            break
                    if number > MAX_ROWS:
                        raise WorkbookError(_("Sheet %(sheet)s has more than %(max)d rows.")
                                            % {"sheet": raw.name, "max": MAX_ROWS})
                    row_values = _trim([cell.value for cell in cells])
                    if number == 1:
                        raw.header = row_values
                    elif not _is_blank(row_values):
                        raw.rows.append((number, row_values))
            except WorkbookError:
                raise
            except Exception as exc:
                raise WorkbookError(_("Sheet %(sheet)s of %(name)s cannot be read.")
                                    % {"sheet": raw.name, "name": name}) from exc
            result.sheets.append(raw)
    finally:
        book.close()
    return result


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise WorkbookError(_("%(name)s is not a text CSV file.") % {"name": name})


def parse_csv(data: bytes, *, sheet_name: str, file_name: str) -> RawSheet:
    """One sheet from CSV bytes (UTF-8 or Windows-1252; separator ``;``, ``,`` or tab)."""
    text = _decode(data, file_name)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    raw = RawSheet(name=sheet_name, header=[])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise WorkbookError(_("%(name)s has more than %(max)d rows.")
                                    % {"name": file_name, "max": MAX_ROWS})
            row_values = _trim(list(cells))
            if number == 1:
                raw.header = row_values
            elif not _is_blank(row_values):
                raw.rows.append((number, row_values))
    except csv.Error as exc:
        raise WorkbookError(_("%(name)s is not a valid CSV file: %(error)s")
                            % {"name": file_name, "error": exc}) from exc
    return raw


def read_csv_folder(path: Path) -> RawWorkbook:
    result = RawWorkbook(name=path.name)
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if not child.is_file() or child.suffix.lower() != ".csv":
            result.skipped.append(child.name)
            continue
        result.sheets.append(parse_csv(child.read_bytes(), sheet_name=child.stem,
                                       file_name=child.name))
    return result


def read_csv_zip(path: Path, *, display_name: str | None = None) -> RawWorkbook:
    name = display_name or path.name
    result = RawWorkbook(name=name)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, name)
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                member = PurePosixPath(info.filename)
                if info.is_dir() or member.name.startswith(".") or "__MACOSX" in member.parts:
                    continue
                if member.suffix.lower() != ".csv":
                    result.skipped.append(info.filename)
                    continue
                result.sheets.append(parse_csv(archive.read(info), sheet_name=member.stem,
                                               file_name=member.name))
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise WorkbookError(_("%(name)s is not a readable zip file.") % {"name": name}) from exc
    return result


SUFFIXES = (".xlsx", ".xlsm", ".zip", ".csv")


def read_workbook(path: Path | str, *, display_name: str | None = None) -> RawWorkbook:
    """Read ``path``: an .xlsx file, a folder of CSV files, a .zip of CSV files or one .csv."""
    path = Path(path)
    name = display_name or path.name
    if not path.exists():
        raise WorkbookError(_("%(path)s does not exist.") % {"path": str(path)})
    if path.is_dir():
        return read_csv_folder(path)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, display_name=name)
    if suffix == ".zip":
        return read_csv_zip(path, display_name=name)
    if suffix == ".csv":
        stem = PurePosixPath(name).stem
        return RawWorkbook(name=name, sheets=[parse_csv(path.read_bytes(), sheet_name=stem,
                                                        file_name=name)])
    if suffix == ".xls":
        raise WorkbookError(_("%(name)s is in the old Excel .xls format: save it as .xlsx "
                              "and import it again.") % {"name": name})
    raise WorkbookError(_("%(name)s is not a workbook: expected an .xlsx file, a folder or a "
                          ".zip of CSV files, or a .csv file.") % {"name": name})
