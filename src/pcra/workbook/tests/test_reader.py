"""Reading files: XLSX, CSV folders, zips, single CSV files, and what is not a workbook."""

import datetime as dt
import zipfile

import openpyxl
import pytest

from pcra.workbook.reader import WorkbookError, read_workbook


def test_xlsx_rows_keep_their_spreadsheet_numbers(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Applications"
    ws.append(["Code", "Nom"])
    ws.append(["A", "Appli A"])
    ws.append([])
    ws.append([None, "  "])
    ws["A5"] = "B"
    ws["B5"] = dt.date(2024, 1, 2)
    book.save(tmp_path / "wb.xlsx")
    raw = read_workbook(tmp_path / "wb.xlsx")
    assert [s.name for s in raw.sheets] == ["Applications"]
    assert raw.sheets[0].header == ["Code", "Nom"]
    assert raw.sheets[0].rows == [(2, ["A", "Appli A"]), (5, ["B", dt.datetime(2024, 1, 2)])]


def test_csv_folder_separators_and_encodings(tmp_path):
    (tmp_path / "wb").mkdir()
    (tmp_path / "wb" / "Applications.csv").write_bytes(
        "\ufeffCode;Nom\nA;Éditeur\n\nB;\"x;y\"\n".encode())
    (tmp_path / "wb" / "organizations.csv").write_bytes("Code,Nom\nG,Hôpital\n".encode("cp1252"))
    (tmp_path / "wb" / "readme.txt").write_text("hello")
    raw = read_workbook(tmp_path / "wb")
    assert [(s.name, s.header, s.rows) for s in raw.sheets] == [
        ("Applications", ["Code", "Nom"], [(2, ["A", "Éditeur"]), (4, ["B", "x;y"])]),
        ("organizations", ["Code", "Nom"], [(2, ["G", "Hôpital"])])]
    assert raw.skipped == ["readme.txt"]


def test_zip_of_csv_files(tmp_path):
    with zipfile.ZipFile(tmp_path / "wb.zip", "w") as archive:
        archive.writestr("export/Composants.csv", "Code;Nom;Type\nS;Serveur;serveur\n")
        archive.writestr("__MACOSX/export/._Composants.csv", "junk")
    raw = read_workbook(tmp_path / "wb.zip")
    assert [(s.name, s.rows) for s in raw.sheets] == [("Composants", [(2, ["S", "Serveur",
                                                                           "serveur"])])]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("wb.xlsx", b"PK\x03\x04 truncated", "wb.xlsx is not a readable XLSX workbook (is it an "
                                         "Excel .xlsx file?)."),
    ("wb.xls", b"\xd0\xcf\x11\xe0", "wb.xls is in the old Excel .xls format: save it as .xlsx "
                                    "and import it again."),
    ("wb.docx", b"PK", "wb.docx is not a workbook: expected an .xlsx file, a folder or a .zip "
                       "of CSV files, or a .csv file."),
    ("wb.zip", b"garbage", "wb.zip is not a readable zip file."),
    ("wb.csv", b"\x00\x01\x02\xff\xfe\x00", "wb.csv is not a text CSV file."),
])
def test_what_is_not_a_workbook(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(WorkbookError) as caught:
        read_workbook(tmp_path / name)
    assert str(caught.value) == message


def test_a_missing_path(tmp_path):
    with pytest.raises(WorkbookError) as caught:
        read_workbook(tmp_path / "nope.xlsx")
    assert str(caught.value) == f"{tmp_path / 'nope.xlsx'} does not exist."


def test_zip_bombs_are_refused(tmp_path, monkeypatch):
    from pcra.workbook import reader

    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Composants.csv", "a" * 2 * 1024 * 1024)
    assert (tmp_path / "big.zip").stat().st_size < 10_000
    with pytest.raises(WorkbookError) as caught:
        read_workbook(tmp_path / "big.zip")
    assert str(caught.value) == "big.zip expands to more than 1 MB: refused."
