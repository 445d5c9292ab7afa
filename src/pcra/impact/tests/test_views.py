"""BIA pages: the grid (HTMX and plain form), the lifecycle and who may drive it, versions,
campaigns, the scale, and what the list pages cost.

Personas (pcra.core.testing): owner = editor ET-A1, member = viewer ET-A1, outsider = editor
ET-A2, stranger = admin GHT-B, ght_admin = admin GHT-A (so administrator of ET-A1).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcra.core.testing import make_node, make_user
from pcra.impact import services
from pcra.impact.forms import cell_name
from pcra.impact.models import BiaCampaign, BiaStatus, BusinessImpactAnalysis, ImpactScale
from pcra.impact.selectors import scale_data
from pcra.inventory.models import Node

H = "\u00a0h"  # hours are written "24 h" with a no-break space


@pytest.fixture(autouse=True)
def english_pages(settings):
    """Pages in English (the source strings); the interface default stays French elsewhere."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def acts(world):
    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences",
                    pdma_hours=Decimal("4"))
    lab = make_node(org=world.et_a2, node_type="activity", code="LAB", name="Laboratoire",
                    activity_kind="plateau_technique")
    services.scale_ensure(top=world.ght_a)
    return SimpleNamespace(urg=urg, lab=lab, scale=scale_data(top_id=world.ght_a.pk))


# --- helpers ----------------------------------------------------------------------------------


def url(name: str, obj=None) -> str:
    return reverse(f"impact:{name}", kwargs={"uuid": obj.uuid} if obj is not None else None)


def all_cells(scale) -> list[tuple[str, str]]:
    return [(c.code, h.code) for c in scale.criteria for h in scale.horizons]


def levels_filled(scale, value: int = 0, **overrides) -> dict[tuple[str, str], int]:
    """Every cell at ``value``, and overrides such as ``securite_patients__h24=3``."""
    levels = {cell: value for cell in all_cells(scale)}
    for key, level in overrides.items():
        criterion, horizon = key.split("__")
        levels[(criterion, horizon)] = level
    return levels


def post_data(scale, levels: dict[tuple[str, str], object]) -> dict[str, str]:
    ids = {(c.code, h.code): cell_name(c.id, h.id) for c in scale.criteria for h in scale.horizons}
    return {ids[cell]: "" if value is None else str(value) for cell, value in levels.items()}


def stored(bia) -> dict[tuple[str, str], int]:
    return dict(((c, h), lv) for c, h, lv in bia.levels.values_list(
        "criterion__code", "horizon__code", "level"))


def make_bia(activity, levels=None, status=BiaStatus.DRAFT, user=None):
    bia = services.bia_start(activity=activity)
    if levels:
        services.bia_set_levels(bia=bia, levels=levels)
    if status in (BiaStatus.SUBMITTED, BiaStatus.SIGNED_OFF):
        services.bia_submit(bia=bia, user=user)
    if status == BiaStatus.SIGNED_OFF:
        services.bia_sign_off(bia=bia, user=user)
    bia.refresh_from_db()
    return bia


def text(response) -> str:
    return response.content.decode()


def flat(response) -> str:
    """The page's text with tags and runs of white space collapsed (for reading sentences)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- anonymous --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, acts):
    bia = make_bia(acts.urg)
    campaign = services.campaign_create(organization=acts.urg.organization, name="C",
                                        starts_on=timezone.localdate(),
                                        due_on=timezone.localdate())
    targets = [url("index"), url("activity", acts.urg), url("set_levels", acts.urg),
               url("objectives", acts.urg), url("start", acts.urg), url("submit", acts.urg),
               url("return_to_draft", acts.urg), url("sign_off", acts.urg),
               url("version", bia), url("campaign_list"), url("campaign_create"),
               url("campaign_detail", campaign), url("campaign_edit", campaign),
               url("campaign_delete", campaign), url("scale")]
    for target in targets:
        response = client.get(target)
        assert response.status_code == 302, target
        assert response["Location"] == f"{reverse('accounts:login')}?next={target}"


# --- the grid -----------------------------------------------------------------------------------


def test_plain_form_saves_the_exact_levels_and_the_page_shows_the_dmia(client, world, acts):
    client.force_login(world.owner)
    response = client.post(url("start", acts.urg), follow=True)
    assert response.redirect_chain == [(url("activity", acts.urg), 302)]
    assert messages_of(response) == ["Version 1 of the BIA is a draft."]
    bia = BusinessImpactAnalysis.objects.get(activity=acts.urg)
    assert (bia.version, bia.status) == (1, BiaStatus.DRAFT)

    levels = levels_filled(acts.scale, 1, securite_patients__h4=2, securite_patients__h24=3,
                           continuite_soins__h72=4, financier__h1=0)
    data = post_data(acts.scale, levels) | {"notes": "Paper procedures exist."}
    response = client.post(url("set_levels", acts.urg), data)
    assert response.status_code == 302
    assert response["Location"] == url("activity", acts.urg)
    assert stored(bia) == levels
    bia.refresh_from_db()
    assert bia.notes == "Paper procedures exist."

    page = client.get(url("activity", acts.urg))
    html = text(page)
    assert messages_of(page) == ["Impact levels saved."]
    assert f'<span class="stat-value" data-dmia>24{H}</span>' in html
    assert '<span class="badge small src-computed">computed</span>' in html
    assert '<span class="badge crit-2" data-criticality>P2</span>' in html
    # The DMIA column is the 24 h one, and only that one.
    assert re.findall(r'<th scope="col" class="horizon dmia-col">([^<]+)<', html) == ["24 h"]
    # Each cell says what its levels mean, the current one marked.
    assert ('title="Patient safety · 24 h\n0 None: No effect on patients.\n'
            '1 Minor: Discomfort or delay without consequence for health.\n'
            '2 Significant: Loss of chance possible for some patients; care delayed.\n'
            '▶ 3 Serious: Harm to patients likely') in html
    # Cells at or above the threshold are marked; cell values are in the inputs.
    name = cell_name(acts.scale.criteria[0].id, acts.scale.horizons[2].id)
    assert re.search(rf'<td class="cell heat-3 over dmia-col"[^>]*>\s*<input type="text" '
                     rf'id="{name}" name="{name}" value="3"', html)


def test_htmx_save_answers_the_grid_partial_with_the_recomputed_dmia(client, world, acts):
    bia = make_bia(acts.urg, levels_filled(acts.scale, 0))
    client.force_login(world.owner)
    levels = {("image", "h4"): 3}
    response = client.post(url("set_levels", acts.urg), post_data(acts.scale, levels),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<form id="bia-grid"') and "<html" not in html
    assert f'<span class="stat-value" data-dmia>4{H}</span>' in html
    assert '<span class="badge crit-1" data-criticality>P1</span>' in html
    assert '<span class="saved">Saved at' in html
    # Only the cell sent changed; the others kept their level.
    assert stored(bia) == levels_filled(acts.scale, 0, image__h4=3)

    # Emptying the cell again: no criterion reaches the threshold, so no DMIA.
    response = client.post(url("set_levels", acts.urg), post_data(acts.scale, {("image", "h4"): None}),
                           HTTP_HX_REQUEST="true")
    assert ('image', 'h4') not in stored(bia)
    assert '<span class="stat-value" data-dmia>none</span>' in text(response)
    assert "no criterion reaches the threshold" in text(response)
    assert '<span class="badge crit-none" data-criticality>Not critical</span>' in text(response)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_level_5_or_x_is_refused_with_a_clear_message_and_nothing_is_stored(
        client, world, acts, htmx):
    bia = make_bia(acts.urg, {("securite_patients", "h1"): 1})
    client.force_login(world.owner)
    levels = levels_filled(acts.scale, 2, securite_patients__h1=5, financier__w1="x")
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(url("set_levels", acts.urg),
                           post_data(acts.scale, levels) | {"notes": "changed"}, **headers)
    assert response.status_code == 200
    html = text(response)
    assert stored(bia) == {("securite_patients", "h1"): 1}
    bia.refresh_from_db()
    assert bia.notes == ""
    page = flat(response)
    assert "Nothing was saved:" in page
    assert ("Patient safety, 1 h: “5” is not a level. Enter a whole number from 0 to 4, or "
            "leave the cell empty.") in page.replace(H, " h")
    assert ("Financial, 1 week: “x” is not a level. Enter a whole number from 0 to 4, or "
            "leave the cell empty.") in page
    # The refused values are shown again, marked invalid, so they can be corrected.
    bad = cell_name(acts.scale.criteria[0].id, acts.scale.horizons[0].id)
    assert re.search(rf'id="{bad}" name="{bad}" value="5"[^>]*aria-invalid="true"', html)
    assert re.search(r'<textarea id="id_notes" name="notes" rows="3"[^>]*>changed</textarea>', html)


# --- permissions ------------------------------------------------------------------------------


def test_a_viewer_reads_the_bia_but_cannot_change_it(client, world, acts):
    bia = make_bia(acts.urg, {("image", "h1"): 2})
    client.force_login(world.member)
    page = client.get(url("activity", acts.urg))
    assert page.status_code == 200
    html = text(page)
    assert 'class="level-input"' not in html and 'action="/bia/activity/' not in html
    assert '<span class="level-value">2</span>' in html
    assert "changing it needs the editor or administrator role" in flat(page)
    for name in ("set_levels", "objectives", "start", "submit", "return_to_draft", "sign_off"):
        assert client.post(url(name, acts.urg), post_data(acts.scale, {("image", "h1"): 4})
                           ).status_code == 403, name
    assert client.get(url("objectives", acts.urg)).status_code == 403
    assert stored(bia) == {("image", "h1"): 2}
    assert BusinessImpactAnalysis.objects.get().status == BiaStatus.DRAFT


@pytest.mark.parametrize("intruder", ["outsider", "stranger"])
def test_an_activity_of_another_establishment_is_a_404(client, world, acts, intruder):
    bia = make_bia(acts.urg, {("image", "h1"): 2})
    client.force_login(getattr(world, intruder))
    for name in ("activity", "set_levels", "objectives", "start", "submit", "return_to_draft",
                 "sign_off"):
        assert client.get(url(name, acts.urg)).status_code == 404, name
        # The page itself only answers GET (405 whoever asks).
        assert client.post(url(name, acts.urg)).status_code == (405 if name == "activity"
                                                                  else 404), name
    assert client.get(url("version", bia)).status_code == 404
    assert "URG" not in text(client.get(url("index")))


def test_an_editor_cannot_sign_off_and_does_not_see_the_button(client, world, acts):
    make_bia(acts.urg, levels_filled(acts.scale, 1), BiaStatus.SUBMITTED, world.owner)
    client.force_login(world.owner)
    page = client.get(url("activity", acts.urg))
    assert url("sign_off", acts.urg) not in text(page)
    assert "Signing off needs the administrator role on the establishment." in flat(page)
    assert client.get(url("sign_off", acts.urg)).status_code == 403
    assert client.post(url("sign_off", acts.urg)).status_code == 403
    assert BusinessImpactAnalysis.objects.get().status == BiaStatus.SUBMITTED

    client.force_login(world.ght_admin)
    assert f'href="{url("sign_off", acts.urg)}"' in text(client.get(url("activity", acts.urg)))


# --- lifecycle ---------------------------------------------------------------------------------


def test_the_whole_lifecycle_through_the_pages(client, world, acts):
    client.force_login(world.owner)
    client.post(url("start", acts.urg), follow=True)
    bia = BusinessImpactAnalysis.objects.get(activity=acts.urg)
    client.post(url("set_levels", acts.urg), post_data(acts.scale, {("image", "h1"): 1}),
                follow=True)

    # Submitting with empty cells is refused, and the page says which.
    page = client.post(url("submit", acts.urg), follow=True)
    assert messages_of(page) == ["35 cells of the grid are empty: fill every criterion at "
                                 "every horizon before submitting."]
    assert "35 cells are still empty." in flat(page)
    assert '<span class="stat-value attention" data-missing>35</span>' in text(page)
    bia.refresh_from_db()
    assert bia.status == BiaStatus.DRAFT

    levels = levels_filled(acts.scale, 1, organisation__w1=3)
    client.post(url("set_levels", acts.urg), post_data(acts.scale, levels), follow=True)
    page = client.post(url("submit", acts.urg), follow=True)
    assert messages_of(page) == ["Version 1 of the BIA is submitted."]
    assert "Version 1 is submitted: read-only." in flat(page)
    bia.refresh_from_db()
    assert (bia.status, bia.submitted_by) == (BiaStatus.SUBMITTED, world.owner)

    # A submitted BIA is read-only: a save is refused and changes nothing.
    page = client.post(url("set_levels", acts.urg), post_data(acts.scale, {("image", "h1"): 4}))
    assert "This BIA is submitted: it can no longer be changed." in flat(page)
    assert stored(bia) == levels

    page = client.post(url("return_to_draft", acts.urg), follow=True)
    assert messages_of(page) == ["Version 1 of the BIA is a draft again."]
    client.post(url("submit", acts.urg))

    client.force_login(world.ght_admin)
    confirm = client.get(url("sign_off", acts.urg))
    assert confirm.status_code == 200
    assert f"DMIA 168{H} (computed)" in flat(confirm)
    page = client.post(url("sign_off", acts.urg), follow=True)
    assert messages_of(page) == ["Version 1 of the BIA is signed off."]
    assert "Version 1 is signed off and locked." in flat(page)
    bia.refresh_from_db()
    assert bia.status == BiaStatus.SIGNED_OFF
    assert (bia.signoff["dmia_hours"], bia.signoff["pdma_hours"]) == (168.0, 4.0)
    assert bia.signed_off_by == world.ght_admin

    # Signed off: neither the levels nor the PDMA change any more.
    client.force_login(world.owner)
    page = client.post(url("set_levels", acts.urg), post_data(acts.scale, {("image", "h1"): 4}))
    assert "This BIA is signed off: it can no longer be changed." in flat(page)
    assert stored(bia) == levels
    page = client.post(url("objectives", acts.urg),
                       {"pdma_hours": "1", "declared_dmia_hours": "", "declared_dmia_reason": ""})
    assert page.status_code == 200
    assert ("The BIA of URG (version 1) is signed off: start a new version to change it."
            in flat(page))
    acts.urg.refresh_from_db()
    assert acts.urg.pdma_hours == Decimal("4")


def test_a_new_version_copies_the_levels_and_leaves_the_signed_one_unchanged(
        client, world, acts):
    v1_levels = levels_filled(acts.scale, 1, securite_patients__h24=3)
    v1 = make_bia(acts.urg, v1_levels, BiaStatus.SIGNED_OFF, world.ght_admin)
    client.force_login(world.owner)
    page = client.post(url("start", acts.urg), follow=True)
    assert messages_of(page) == ["Version 2 of the BIA started from version 1."]
    v2 = BusinessImpactAnalysis.objects.get(activity=acts.urg, version=2)
    assert (v2.status, stored(v2)) == (BiaStatus.DRAFT, v1_levels)
    assert "stays in force until this version is signed off." in flat(page)

    client.post(url("set_levels", acts.urg),
                post_data(acts.scale, {("securite_patients", "h4"): 4}))
    assert stored(v2) == v1_levels | {("securite_patients", "h4"): 4}
    assert stored(v1) == v1_levels
    v1.refresh_from_db()
    assert v1.status == BiaStatus.SIGNED_OFF

    # The history lists both; v1 opens read-only with what was signed.
    page = text(client.get(url("activity", acts.urg)))
    history = page[page.index("Version history"):]
    assert re.findall(r'<td class="num">v(\d)</td>\s*<td><span class="badge bia-(\w+)">',
                      history) == [("2", "draft"), ("1", "signed_off")]
    assert f'href="{url("version", v1)}"' in history
    old = client.get(url("version", v1))
    assert old.status_code == 200
    assert 'class="level-input"' not in text(old)
    assert "Signed off by ghtadmin, " in flat(old)
    assert f"DMIA 24{H} (computed)" in flat(old)
    assert len(re.findall(r'<span class="level-value">3</span>', text(old))) == 1

    # The list shows the draft and the version in force (v1's DMIA still applies).
    listing = text(client.get(url("index")))
    assert ('<span class="badge bia-draft">Draft</span><span class="cell-sub">v2 · v1 in force'
            '</span>') in listing
    assert f'24{H}<span class="cell-sub">computed</span>' in listing


def test_pdma_and_declared_dmia_go_through_the_activity_rules(client, world, acts):
    make_bia(acts.urg, levels_filled(acts.scale, 0))
    client.force_login(world.owner)
    page = client.post(url("objectives", acts.urg), {
        "pdma_hours": "2.5", "declared_dmia_hours": "8", "declared_dmia_reason": " "})
    assert page.status_code == 200
    assert "A declared DMIA needs a written justification." in flat(page)
    acts.urg.refresh_from_db()
    assert (acts.urg.pdma_hours, acts.urg.declared_dmia_hours) == (Decimal("4"), None)

    response = client.post(url("objectives", acts.urg), {
        "pdma_hours": "2.5", "declared_dmia_hours": "8",
        "declared_dmia_reason": "Agreed with the medical board."})
    assert response.status_code == 302
    acts.urg.refresh_from_db()
    assert (acts.urg.pdma_hours, acts.urg.declared_dmia_hours,
            acts.urg.declared_dmia_reason) == (Decimal("2.5"), Decimal("8"),
                                               "Agreed with the medical board.")
    html = text(client.get(url("activity", acts.urg)))
    assert f'<span class="stat-value" data-dmia>8{H}</span>' in html
    assert '<span class="badge small src-declared">declared</span>' in html
    assert "the grid reaches no threshold" in html


# --- list -------------------------------------------------------------------------------------


ROW = re.compile(r'<a href="/bia/activity/[^"]+" class="code">([^<]+)</a>.*?'
                 r'<span class="badge bia-(\w+)">', re.S)


def test_the_list_shows_what_the_user_may_see_with_status_and_filters(client, world, acts):
    make_bia(acts.urg, levels_filled(acts.scale, 0, juridique__h72=3))
    make_node(org=world.et_a1, node_type="activity", code="ADM", name="Admissions",
              activity_kind="administratif")
    client.force_login(world.member)
    page = client.get(url("index"))
    assert ROW.findall(text(page)) == [("ADM", "missing"), ("URG", "draft")]
    assert f'72{H}<span class="cell-sub">computed</span>' in text(page)
    assert '<span class="badge crit-3">P3</span>' in text(page)
    assert ROW.findall(text(client.get(url("index"), {"status": "missing"}))) == [
        ("ADM", "missing")]
    assert ROW.findall(text(client.get(url("index"), {"q": "urgen"}))) == [("URG", "draft")]
    assert ROW.findall(text(client.get(url("index"), {"activity_kind": "administratif"}))) == [
        ("ADM", "missing")]
    htmx = client.get(url("index"), {"q": "adm"}, HTTP_HX_REQUEST="true")
    assert text(htmx).startswith('\n<div id="results"') or text(htmx).lstrip().startswith(
        '<div id="results"')
    assert ROW.findall(text(htmx)) == [("ADM", "missing")]

    client.force_login(world.ght_admin)
    assert ROW.findall(text(client.get(url("index")))) == [
        ("ADM", "missing"), ("LAB", "missing"), ("URG", "draft")]
    assert ROW.findall(text(client.get(url("index"), {"org": str(world.et_a2.uuid)}))) == [
        ("LAB", "missing")]
    assert ROW.findall(text(client.get(url("index"), {"org": str(world.ej_a.uuid)}))) == [
        ("ADM", "missing"), ("LAB", "missing"), ("URG", "draft")]


def _many(world, n: int, start: int = 0) -> None:
    statuses = [None, BiaStatus.DRAFT, BiaStatus.SUBMITTED, BiaStatus.SIGNED_OFF]
    scale = scale_data(top_id=world.ght_a.pk)
    for i in range(start, n):
        node = make_node(org=world.et_a1 if i % 2 else world.et_a2, node_type="activity",
                         code=f"A{i:03d}")
        status = statuses[i % 4]
        if status is not None:
            make_bia(node, levels_filled(scale, i % 5), status, world.ght_admin)


def _count(client, target: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target)
    assert response.status_code == 200
    return len(queries), response


def test_list_and_campaign_cost_the_same_queries_at_5_and_50_activities(client, world):
    services.scale_ensure(top=world.ght_a)
    campaign = services.campaign_create(organization=world.ej_a, name="Campagne 2025",
                                        starts_on=timezone.localdate(),
                                        due_on=timezone.localdate() + timedelta(days=30))
    client.force_login(world.ght_admin)
    _many(world, 5)
    small = {name: _count(client, target) for name, target in (
        ("index", url("index")), ("campaign", url("campaign_detail", campaign)),
        ("campaigns", url("campaign_list")))}
    _many(world, 50, start=5)
    large = {name: _count(client, target) for name, target in (
        ("index", url("index")), ("campaign", url("campaign_detail", campaign)),
        ("campaigns", url("campaign_list")))}
    assert {k: v[0] for k, v in small.items()} == {k: v[0] for k, v in large.items()}
    assert len(ROW.findall(text(large["index"][1]))) == 50
    assert "50 activities" in flat(large["index"][1])


# --- campaigns ----------------------------------------------------------------------------------


CAMPAIGN_ROW = re.compile(r'<a class="code" href="/bia/activity/[^"]+">([^<]+)</a>.*?'
                          r'<span class="badge st-(\w+)">', re.S)


@pytest.fixture
def campaign_world(world, acts):
    """ET-A1: URG signed off, SUB submitted, DRA draft, NEW without BIA; ET-A2: LAB none."""
    scale = acts.scale
    make_bia(acts.urg, levels_filled(scale, 1), BiaStatus.SIGNED_OFF, world.ght_admin)
    sub = make_node(org=world.et_a1, node_type="activity", code="SUB")
    make_bia(sub, levels_filled(scale, 1), BiaStatus.SUBMITTED, world.owner)
    dra = make_node(org=world.et_a1, node_type="activity", code="DRA")
    make_bia(dra, {("image", "h1"): 1})
    make_node(org=world.et_a1, node_type="activity", code="NEW")
    today = timezone.localdate()
    ongoing = services.campaign_create(organization=world.et_a1, name="BIA ET-A1",
                                       starts_on=today - timedelta(days=10),
                                       due_on=today + timedelta(days=20))
    overdue = services.campaign_create(organization=world.ght_a, name="BIA GHT",
                                       starts_on=today - timedelta(days=60),
                                       due_on=today - timedelta(days=1))
    return SimpleNamespace(ongoing=ongoing, overdue=overdue)


def test_campaign_statuses_are_exact(client, world, campaign_world):
    client.force_login(world.ght_admin)
    page = client.get(url("campaign_detail", campaign_world.ongoing))
    assert CAMPAIGN_ROW.findall(text(page)) == [
        ("DRA", "in_progress"), ("NEW", "missing"), ("SUB", "in_progress"), ("URG", "done")]
    assert [(s, n) for s, _label, n, _p in page.context["progress"].counts] == [
        ("done", 1), ("in_progress", 2), ("missing", 1), ("late", 0)]
    assert "1 of 4 BIA signed off" in flat(page)
    assert "20 days left" in flat(page)

    page = client.get(url("campaign_detail", campaign_world.overdue))
    assert CAMPAIGN_ROW.findall(text(page)) == [
        ("DRA", "late"), ("LAB", "late"), ("NEW", "late"), ("SUB", "late"), ("URG", "done")]
    assert "1 of 5 BIA signed off" in flat(page)
    assert "Due date passed" in flat(page)
    late = client.get(url("campaign_detail", campaign_world.overdue), {"state": "late"})
    assert [c for c, _s in CAMPAIGN_ROW.findall(text(late))] == ["DRA", "LAB", "NEW", "SUB"]

    listing = text(client.get(url("campaign_list")))
    assert listing.index("BIA ET-A1") < listing.index("BIA GHT")  # latest due date first
    # The stacked bar: 1 done, 2 in progress, 1 missing out of 4 (SVG, no inline style).
    assert ('<rect class="seg-done" x="0.0" y="0" width="25.0" height="4">' in listing
            and '<rect class="seg-in_progress" x="25.0" y="0" width="50.0" height="4">'
            in listing)
    assert "style=" not in listing


def test_campaigns_are_scoped_and_only_admins_manage_them(client, world, campaign_world):
    today = timezone.localdate()
    # The outsider (ET-A2) follows the GHT campaign for LAB only, and never ET-A1's.
    client.force_login(world.outsider)
    page = client.get(url("campaign_detail", campaign_world.overdue))
    assert CAMPAIGN_ROW.findall(text(page)) == [("LAB", "late")]
    assert client.get(url("campaign_detail", campaign_world.ongoing)).status_code == 404
    client.force_login(world.stranger)
    assert client.get(url("campaign_detail", campaign_world.overdue)).status_code == 404
    assert "BIA GHT" not in text(client.get(url("campaign_list")))

    # An editor may read but not create, change or delete.
    client.force_login(world.owner)
    data = {"organization": str(world.et_a1.uuid), "name": "Nouvelle",
            "starts_on": today.isoformat(), "due_on": (today + timedelta(days=5)).isoformat()}
    assert client.get(url("campaign_create")).status_code == 403
    assert client.post(url("campaign_create"), data).status_code == 403
    assert client.post(url("campaign_edit", campaign_world.ongoing), data).status_code == 403
    assert client.post(url("campaign_delete", campaign_world.ongoing)).status_code == 403
    assert BiaCampaign.objects.count() == 2

    client.force_login(world.ght_admin)
    bad = data | {"due_on": (today - timedelta(days=1)).isoformat()}
    page = client.post(url("campaign_create"), bad)
    assert "The due date comes after the start." in flat(page)
    assert BiaCampaign.objects.count() == 2
    response = client.post(url("campaign_create"), data)
    created = BiaCampaign.objects.get(name="Nouvelle")
    assert response["Location"] == url("campaign_detail", created)
    assert (created.organization, created.due_on) == (world.et_a1, today + timedelta(days=5))
    response = client.post(url("campaign_edit", created), data | {"name": "Renamed"})
    created.refresh_from_db()
    assert created.name == "Renamed"
    client.post(url("campaign_delete", created))
    assert not BiaCampaign.objects.filter(pk=created.pk).exists()


# --- scale --------------------------------------------------------------------------------------


def test_the_scale_is_edited_by_ght_admins_only(client, world, acts):
    criterion = acts.scale.criteria[0]
    client.force_login(world.owner)
    page = client.get(url("scale"))
    assert page.status_code == 200
    assert "Read-only: the scale is set by the administrators of the GHT." in flat(page)
    assert 'name="threshold"' not in text(page)
    assert client.post(url("scale"), {"threshold": "2"}).status_code == 403
    client.force_login(world.member)
    assert client.post(url("scale"), {"threshold": "2"}).status_code == 403

    client.force_login(world.ght_admin)
    page = client.get(url("scale"))
    form = page.context["form"]
    data = {name: ("" if value is None else str(value)) for name, value in form.initial.items()}
    data |= {"threshold": "2", "class-0-bound": "8", "class-0-name": "Vital",
             "class-1-bound": "", "class-1-name": "Other", "class-2-name": "",
             "class-3-name": "", f"crit-{criterion.id}-4": "Deaths."}
    response = client.post(url("scale"), data)
    assert response.status_code == 302
    scale = ImpactScale.objects.get(top=world.ght_a)
    assert (scale.threshold, scale.criticality_classes) == (2, [[8.0, "Vital"], [None, "Other"]])
    assert scale.criteria.get(pk=criterion.id).level_descriptions[4] == "Deaths."

    # Bounds that do not increase are refused; nothing changes.
    data |= {"threshold": "3", "class-1-bound": "4", "class-1-name": "Other",
             "class-2-bound": "", "class-2-name": "Rest"}
    page = client.post(url("scale"), data)
    assert "Class bounds must increase." in flat(page)
    scale.refresh_from_db()
    assert (scale.threshold, scale.criticality_classes) == (2, [[8.0, "Vital"], [None, "Other"]])


# --- elsewhere: the activity sheet and the navigation ---------------------------------------


def test_the_activity_sheet_shows_its_bia(client, world, acts):
    make_bia(acts.urg, levels_filled(acts.scale, 0, continuite_soins__h4=4),
             BiaStatus.SIGNED_OFF, world.ght_admin)
    client.force_login(world.member)
    page = client.get(reverse("inventory:activity_detail", kwargs={"uuid": acts.urg.uuid}))
    block = flat(page)[flat(page).rindex("Impact analysis (BIA)"):]
    assert block.startswith(f"Impact analysis (BIA) Open the BIA Status Signed off version 1 "
                            f"DMIA 4{H} computed PDMA 4{H} Criticality P1")
    assert f'href="{url("activity", acts.urg)}"' in text(page)
    lab = Node.objects.get(code="LAB")
    client.force_login(world.outsider)
    page = client.get(reverse("inventory:activity_detail", kwargs={"uuid": lab.uuid}))
    assert "No BIA" in flat(page)


def test_navigation_has_the_bia_entries(client, world):
    client.force_login(world.member)
    html = text(client.get(url("index")))
    nav = html[html.index('<nav class="sidebar"'):html.index("</nav>")]
    assert f'<a href="{url("index")}" class="active" aria-current="page">' in nav
    assert "Impact analysis (BIA)" in nav and "BIA campaigns" in nav
    assert f'href="{reverse("readiness:index")}"' in nav
    assert f'href="{reverse("readiness:heatmap")}"' in nav
    page = text(client.get(url("campaign_list")))
    nav = page[page.index('<nav class="sidebar"'):page.index("</nav>")]
    assert f'<a href="{url("campaign_list")}" class="active" aria-current="page">' in nav
    assert f'<a href="{url("index")}" class="active"' not in nav


def test_pages_carry_no_inline_script_or_style(client, world, acts):
    bia = make_bia(acts.urg, levels_filled(acts.scale, 1), BiaStatus.SIGNED_OFF,
                   world.ght_admin)
    services.bia_start(activity=acts.urg)
    campaign = services.campaign_create(organization=world.ej_a, name="C",
                                        starts_on=timezone.localdate(),
                                        due_on=timezone.localdate())
    make_user("admin2", [(world.et_a1, "admin")])
    client.force_login(world.ght_admin)
    for target in (url("index"), url("activity", acts.urg), url("version", bia),
                   url("campaign_list"), url("campaign_detail", campaign), url("scale"),
                   url("sign_off", acts.urg), url("campaign_create")):
        html = text(client.get(target))
        assert "style=" not in html and "<style" not in html, target
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert all('src="' in attrs or 'type="application/json"' in attrs and body
                   for attrs, body in scripts), target
        assert all(body.strip() == "" for attrs, body in scripts if 'src="' in attrs), target
