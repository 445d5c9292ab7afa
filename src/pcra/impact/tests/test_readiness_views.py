"""Readiness pages and the BIA PDF report: exact figures on a small hospital, scoping (hidden
nodes never named, outsiders get 404) and constant query counts."""

import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcra.core.testing import make_edge, make_node
from pcra.impact.tests.helpers import build_hospital, fill


@pytest.fixture
def hospital(world):
    """The hospital of helpers.py with the SAN owned by ET-A2 (hidden from ET-A1), and an
    activity of ET-A2 with an unknown restore duration on its way."""
    w = world
    nodes = build_hospital(w, san_org=w.et_a2)
    lab = make_node(org=w.et_a2, node_type="activity", code="LABO", pdma_hours=4)
    pacs = make_node(org=w.ght_a, node_type="application", code="PACS")  # duration unknown
    make_edge(lab, pacs)
    fill(lab, serious_from="h24")
    return w, {**nodes, "LABO": lab, "PACS": pacs}


@pytest.fixture
def en(settings, english):
    """Pages in English (the source strings); the default interface language is French."""
    settings.LANGUAGE_CODE = "en"


def rows_of(response) -> dict:
    return {r.activity.code: r for r in response.context["rows"]}


def test_index_figures_and_scope(client, hospital, en):
    w, n = hospital
    client.force_login(w.owner)
    response = client.get(reverse("readiness:index"))
    assert response.status_code == 200
    rows = rows_of(response)
    assert set(rows) == {"URG", "PAIE"}  # LABO belongs to ET-A2
    urg, paie = rows["URG"], rows["PAIE"]
    assert (urg.row.dmia_hours, urg.achieved_hours, urg.source, urg.gap_hours, urg.state,
            urg.criticality, urg.row.pdma_hours) == (4.0, 18.0, "declared", 14.0, "late",
                                                     "P1", 1.0)
    assert (paie.row.dmia_hours, paie.achieved_hours, paie.gap_hours, paie.state) == (
        72.0, 21.0, -51.0, "on-time")
    assert response.context["late"] == 1
    assert response.context["classes"] == [("P1", 1), ("P3", 1)]
    html = response.content.decode()
    assert '<span class="gap gap-late" title="late">+14\u00a0h</span>' in html
    assert "−51" in html or "-51" in html


def test_ght_view_sums_up_each_establishment(client, hospital, en):
    w, n = hospital
    client.force_login(w.ght_admin)
    response = client.get(reverse("readiness:index"))
    summary = {(s.organization.code, s.activities, s.critical, s.late, s.on_time, s.unknown)
               for s in response.context["by_establishment"]}
    assert summary == {("ET-A1", 2, 2, 1, 1, 0), ("ET-A2", 1, 1, 0, 0, 1)}
    assert "By establishment" in response.content.decode()
    client.force_login(w.owner)  # one establishment: no summary table
    response = client.get(reverse("readiness:index"))
    assert [s.organization.code for s in response.context["by_establishment"]] == ["ET-A1"]
    assert "By establishment" not in response.content.decode()


def test_index_filter_and_unknown(client, hospital):
    w, n = hospital
    client.force_login(w.ght_admin)
    rows = rows_of(client.get(reverse("readiness:index")))
    assert set(rows) == {"URG", "PAIE", "LABO"}
    assert (rows["LABO"].achieved_hours, rows["LABO"].state, rows["LABO"].source) == (
        None, "unknown", "unknown")
    filtered = client.get(reverse("readiness:index"), {"organization": str(w.et_a2.uuid)})
    assert set(rows_of(filtered)) == {"LABO"}
    assert filtered.context["late"] == 0 and filtered.context["unknown"] == 1


def test_activity_card_hides_nodes_outside_scope(client, hospital, en):
    w, n = hospital
    client.force_login(w.owner)
    response = client.get(reverse("readiness:activity", kwargs={"uuid": n["URG"].uuid}))
    assert response.status_code == 200
    assert [s["node"].code for s in response.context["steps"]] == ["DPI", "VM1"]
    assert [(s["hours"], s["source"]) for s in response.context["steps"]] == [
        ("6\u00a0h", "declared"), ("2\u00a0h", "declared")]
    assert response.context["hidden"] == 1
    html = response.content.decode()
    assert "1 node outside your scope" in html
    assert "SAN" not in html and "Node SAN" not in html
    # the GHT admin sees the whole chain
    client.force_login(w.ght_admin)
    response = client.get(reverse("readiness:activity", kwargs={"uuid": n["URG"].uuid}))
    assert [s["node"].code for s in response.context["steps"]] == ["DPI", "VM1", "SAN"]
    assert response.context["hidden"] == 0


def test_activity_card_lists_unknown_durations(client, hospital, en):
    w, n = hospital
    client.force_login(w.outsider)  # editor of ET-A2
    response = client.get(reverse("readiness:activity", kwargs={"uuid": n["LABO"].uuid}))
    assert response.status_code == 200
    assert [u.code for u in response.context["unknown"]] == ["PACS"]
    assert "Unknown restore durations" in response.content.decode()
    assert response.context["heat_rows"][0].row.horizon_max == [1, 1, 3, 3, 3, 3]


@pytest.mark.parametrize("persona", ["outsider", "stranger"])
def test_activity_outsider_404(client, hospital, persona):
    w, n = hospital
    client.force_login(getattr(w, persona))
    assert client.get(reverse("readiness:activity",
                              kwargs={"uuid": n["URG"].uuid})).status_code == 404


def test_anonymous_redirected(client, hospital):
    response = client.get(reverse("readiness:index"))
    assert response.status_code == 302


def test_heatmap_grouped_by_establishment(client, hospital):
    w, n = hospital
    client.force_login(w.ght_admin)
    response = client.get(reverse("readiness:heatmap"))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [(g["organization"].code, [r.activity.code for r in g["rows"]]) for g in groups] == [
        ("ET-A1", ["PAIE", "URG"]), ("ET-A2", ["LABO"])]
    urg = groups[0]["rows"][1]
    assert [level for _h, level in urg.heat] == [1, 3, 3, 3, 3, 3]
    assert 'class="heat-cell heat-3"' in response.content.decode()
    client.force_login(w.stranger)
    assert client.get(reverse("readiness:heatmap")).context["groups"] == []


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_activities(w, start, count):
    app = make_node(org=w.ght_a, node_type="application", code=f"APP{start}",
                    restore_hours_estimate=3)
    for i in range(start, start + count):
        act = make_node(org=w.et_a1, node_type="activity", code=f"A{i:03d}", pdma_hours=2)
        make_edge(act, app, autonomy=1)
        fill(act, serious_from="h24")


@pytest.mark.parametrize("name", ["readiness:index", "readiness:heatmap"])
def test_constant_query_count(client, world, name):
    client.force_login(world.owner)
    _add_activities(world, 0, 5)
    url = reverse(name)
    few = _count(client, url)
    _add_activities(world, 100, 45)
    assert len(client.get(url).context["groups" if "heatmap" in name else "rows"]) >= 1
    assert _count(client, url) == few


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


def test_report_pdf(client, hospital, en):
    w, n = hospital
    client.force_login(w.owner)
    response = client.get(reverse("readiness:report_pdf", kwargs={"uuid": w.et_a1.uuid}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "URG" in text and "PAIE" in text and "DMIA" in text
    assert "LABO" not in text
    assert "Business impact analysis" in text and "ET-A1" in text
    assert "ghtadmin" in text  # URG signed off by the GHT admin
    assert "Page 1 / " not in text and "Page 2 / " in text  # no number on the title page


@pytest.mark.parametrize("persona", ["outsider", "stranger"])
def test_report_pdf_outsider_404(client, hospital, persona):
    w, n = hospital
    client.force_login(getattr(w, persona))
    assert client.get(reverse("readiness:report_pdf",
                              kwargs={"uuid": w.et_a1.uuid})).status_code == 404
