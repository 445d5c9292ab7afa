"""The workbook pages, for each persona."""

import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pcra.core.testing import make_edge, make_node
from pcra.inventory.models import Node
from pcra.workbook import services
from pcra.workbook.tests.helpers import ACT_HEADER, APP_HEADER, DEP_HEADER, db_state

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _private_uploads(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def client(client):
    """Pages in English: the messages are asserted in their source text."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def graph(world):
    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    bloc = make_node(org=world.et_a2, node_type="activity", code="BLOC", name="Bloc")
    dpi = make_node(org=world.ght_a, node_type="application", code="DPI", name="DPI")
    pacs = make_node(org=world.et_a2, node_type="application", code="PACS", name="PACS",
                     attributes={"Contrat": "C-12"})
    make_node(org=world.et_b1, node_type="application", code="BAPP", name="Appli B")
    make_edge(urg, dpi, autonomy=2)
    make_edge(bloc, pacs)
    make_edge(bloc, dpi)
    return world


def xlsx_upload(sheets: dict, name="wb.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def sheets_of(content: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in book.worksheets}


def preview_url(token: str) -> str:
    return f"{reverse('workbook:import_preview')}?token={token}"


def token_of(url: str) -> str:
    return url.split("?token=")[1]


GOOD = {"Activites": [ACT_HEADER, ["URG", "Urgences adultes", "ET-A1", "soins", None, 1, None,
                                   None],
                      ["SMUR", "SMUR", "ET-A1", "soins", None, None, None, None]],
        "Dependances": [DEP_HEADER, ["SMUR", "DPI", None, None]]}


def test_anonymous_users_are_sent_to_the_login_page(client):
    for name in ("workbook:import", "workbook:export", "workbook:template"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_viewer_gets_403_on_the_import_pages(client, graph):
    client.force_login(graph.member)
    assert client.get(reverse("workbook:import")).status_code == 403
    response = client.post(reverse("workbook:import"), {"file": xlsx_upload(GOOD)})
    assert response.status_code == 403
    token = "a" * 32
    assert client.get(preview_url(token)).status_code == 403
    assert client.post(reverse("workbook:import_confirm"), {"token": token}).status_code == 403
    assert list(services.upload_dir().iterdir()) == []


def test_upload_preview_confirm(client, graph):
    client.force_login(graph.owner)
    page = client.get(reverse("workbook:import"))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    state = db_state()
    response = client.post(reverse("workbook:import"), {"file": xlsx_upload(GOOD)})
    assert response.status_code == 302
    token = token_of(response["Location"])
    assert response["Location"] == preview_url(token)
    stored = sorted(p.name for p in services.upload_dir().iterdir())
    assert stored == [f"{token}.json", f"{token}.xlsx"]
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    html = preview.content.decode()
    assert f'<input type="hidden" name="token" value="{token}">' in html
    assert [s.label for s in preview.context["report"].sheets] == ["Activites", "Dependances"]
    assert preview.context["totals"] == {"created": 2, "updated": 1, "unchanged": 0}
    assert "SMUR → DPI" in html and "Urgences adultes" not in html
    assert db_state() == state  # a preview writes nothing
    done = client.post(reverse("workbook:import_confirm"), {"token": token}, follow=True)
    assert done.redirect_chain == [(reverse("workbook:import"), 302)]
    assert [str(m) for m in done.context["messages"]] == [
        "wb.xlsx imported into GHT-A: 2 created, 1 updated, 0 unchanged."]
    assert Node.objects.get(code="URG").name == "Urgences adultes"
    assert set(Node.objects.get(code="SMUR").dependencies.values_list("target__code",
                                                                      flat=True)) == {"DPI"}
    assert list(services.upload_dir().iterdir()) == []
    again = client.post(reverse("workbook:import_confirm"), {"token": token})
    assert again.status_code == 404


def test_errors_are_listed_and_cannot_be_confirmed(client, graph):
    client.force_login(graph.outsider)
    sheets = {"Activites": [ACT_HEADER, ["URG", "Piratée", "ET-A1", "soins", None, None, None,
                                         None],
                            ["BLOC", "Bloc", "ET-A2", "soins", None, "x", None, None]]}
    response = client.post(reverse("workbook:import"), {"file": xlsx_upload(sheets)},
                           follow=True)
    assert response.status_code == 200
    token = token_of(response.redirect_chain[0][0])
    html = response.content.decode()
    assert 'name="token"' not in html and reverse("workbook:import_confirm") not in html
    assert [(i.sheet, i.row, i.column, i.message) for i in response.context["report"].errors] == [
        ("Activites", 2, "Code", "You may not change URG."),
        ("Activites", 3, "PDMA (h)", "x is not a number.")]
    assert 'id="import-errors"' in html and "x is not a number." in html
    state = db_state()
    refused = client.post(reverse("workbook:import_confirm"), {"token": token})
    assert refused.status_code == 409
    assert db_state() == state


def test_a_token_belongs_to_its_uploader(client, graph):
    client.force_login(graph.owner)
    response = client.post(reverse("workbook:import"), {"file": xlsx_upload(GOOD)})
    token = token_of(response["Location"])
    client.force_login(graph.ght_admin)
    assert client.get(preview_url(token)).status_code == 404
    assert client.post(reverse("workbook:import_confirm"), {"token": token}).status_code == 404
    assert client.get(preview_url("../../secret_key")).status_code == 404
    no_token = client.get(reverse("workbook:import_preview"))
    assert (no_token.status_code, no_token.templates[0].name) == (200, "workbook/import.html")
    assert client.get(reverse("workbook:import_confirm")).status_code == 405


def test_garbage_and_wrong_extensions(client, graph):
    client.force_login(graph.owner)
    response = client.post(reverse("workbook:import"), {
        "file": SimpleUploadedFile("notes.txt", b"hello")})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["Choose an .xlsx workbook or a .zip of CSV files (not .txt)."]}
    response = client.post(reverse("workbook:import"), {
        "file": SimpleUploadedFile("broken.xlsx", b"\x00garbage" * 100)}, follow=True)
    assert [i.message for i in response.context["report"].errors] == [
        "broken.xlsx is not a readable XLSX workbook (is it an Excel .xlsx file?)."]


def test_a_zip_of_csv_files(client, graph):
    client.force_login(graph.owner)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("applications.csv", "code;name;organization\nLABO;Labo;ET-A1\n")
    response = client.post(reverse("workbook:import"), {
        "file": SimpleUploadedFile("wb.zip", buffer.getvalue())}, follow=True)
    report = response.context["report"]
    assert report.errors == [] and report.totals() == {"created": 1, "updated": 0,
                                                       "unchanged": 0}


def test_export_holds_only_what_the_user_sees(client, graph):
    client.force_login(graph.owner)
    response = client.get(reverse("workbook:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert re.match(r'attachment; filename="pcra-export-GHT-A-\d{4}-\d{2}-\d{2}\.xlsx"',
                    response["Content-Disposition"])
    sheets = sheets_of(response.content)
    assert [r[0] for r in sheets["Etablissements"]] == ["Code", "ET-A1"]
    assert [r[0] for r in sheets["Activites"]] == ["Code", "URG"]
    assert [r[0] for r in sheets["Applications"]] == ["Code", "DPI"]
    assert sheets["Dependances"][1:] == [("URG", "DPI", 2, None)]
    # The outsider's establishment sees its own rows and the shared ones, with attributes.
    client.force_login(graph.outsider)
    sheets = sheets_of(client.get(reverse("workbook:export")).content)
    assert [r[0] for r in sheets["Activites"]] == ["Code", "BLOC"]
    assert sheets["Applications"][0][-1] == "Contrat"
    assert [(r[0], r[-1]) for r in sheets["Applications"][1:]] == [("DPI", None),
                                                                   ("PACS", "C-12")]
    assert sheets["Dependances"][1:] == [("BLOC", "DPI", None, None), ("BLOC", "PACS", None, None)]
    assert client.get(reverse("workbook:export") + "?ght=GHT-B").status_code == 404


def test_export_asks_which_ght_when_several(client, graph, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x" * 14)
    client.force_login(admin)
    page = client.get(reverse("workbook:export"))
    assert page.status_code == 200
    assert [t.code for t in page.context["tops"]] == ["GHT-A", "GHT-B"]
    response = client.get(reverse("workbook:export") + "?ght=GHT-B")
    assert [r[0] for r in sheets_of(response.content)["Applications"]] == ["Code", "BAPP"]


def test_template_download(client, graph):
    client.force_login(graph.member)
    response = client.get(reverse("workbook:template"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pcra-template.xlsx"'
    sheets = sheets_of(response.content)
    assert list(sheets) == ["Etablissements", "Activites", "Applications", "Composants",
                            "Dependances", "Impacts", "Sauvegardes", "Verifications", "Aide"]
    assert sheets["Applications"] == [tuple(APP_HEADER) + ("Description",)]


def test_pages_have_no_inline_script_or_style(client, graph):
    client.force_login(graph.owner)
    pages = [client.get(reverse("workbook:import"))]
    response = client.post(reverse("workbook:import"), {"file": xlsx_upload(GOOD)}, follow=True)
    pages.append(response)
    for page in pages:
        html = page.content.decode()
        assert "style=" not in html
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


def test_uploads_above_the_size_limit_are_refused(client, graph, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    client.force_login(graph.owner)
    big = SimpleUploadedFile("big.xlsx", b"\x00" * (1024 * 1024 + 1))
    response = client.post(reverse("workbook:import"), {"file": big})
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["The file is larger than 1 MB."]}
    assert list(services.upload_dir().iterdir()) == []


def test_stale_uploads_are_swept(graph):
    uploaded = SimpleUploadedFile("wb.xlsx", b"x")
    token = services.upload_store(user=graph.owner, uploaded=uploaded)
    assert services.uploads_sweep() == 0
    import os
    import time

    for path in services.upload_dir().iterdir():
        old = time.time() - services.UPLOAD_MAX_AGE_SECONDS - 60
        os.utime(path, (old, old))
    assert services.uploads_sweep() == 2
    with pytest.raises(services.UploadNotFound):
        services.upload_get(user=graph.owner, token=token)
