"""Organization pages: visibility, administration rights, service errors, query counts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcra.core.testing import make_node, make_org, make_user
from pcra.organizations.finess import with_check_digit
from pcra.organizations.models import Organization

CODE_LINK = re.compile(r'class="code">([^<]+)</a>')


@pytest.fixture(autouse=True)
def english_pages(settings):
    settings.LANGUAGE_CODE = "en"


def codes(response) -> list[str]:
    html = response.content.decode()
    return CODE_LINK.findall(html[html.index('<div id="results"'):])


def url(name: str, org=None) -> str:
    return reverse(f"organizations:{name}", kwargs={"uuid": org.uuid} if org else None)


def test_anonymous_is_sent_to_login(client, world):
    for target in (url("list"), url("detail", world.et_a1), url("create"),
                   url("edit", world.et_a1), url("delete", world.et_a1)):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_list_shows_the_organizations_of_the_user(client, world):
    client.force_login(world.member)
    assert codes(client.get(url("list"))) == ["ET-A1"]
    client.force_login(world.ght_admin)
    assert codes(client.get(url("list"))) == ["EJ-A", "ET-A1", "ET-A2", "GHT-A"]
    client.force_login(world.stranger)
    assert codes(client.get(url("list"))) == ["EJ-B", "ET-B1", "GHT-B"]
    root = make_user("root")
    root.is_superuser = True
    root.save()
    client.force_login(root)
    assert codes(client.get(url("list"))) == ["EJ-A", "EJ-B", "ET-A1", "ET-A2", "ET-B1",
                                              "GHT-A", "GHT-B"]


def test_list_columns_search_and_filter(client, world):
    make_node(org=world.et_a1, node_type="activity", code="URG")
    client.force_login(world.ght_admin)
    response = client.get(url("list"))
    html = response.content.decode()
    row = html[html.index('class="code">ET-A1'):]
    row = row[:row.index("</tr>")]
    assert world.et_a1.finess in row
    assert '<span class="badge org-ET">Establishment (ET)</span>' in row
    assert '<td class="num">1</td>' in row  # one node
    assert codes(client.get(url("list"), {"kind": "ET"})) == ["ET-A1", "ET-A2"]
    assert codes(client.get(url("list"), {"q": "a2"})) == ["ET-A2"]
    assert codes(client.get(url("list"), {"q": world.et_a1.finess})) == ["ET-A1"]
    partial = client.get(url("list"), {"q": "a2"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="results"')


def test_detail(client, world):
    make_node(org=world.et_a1, node_type="application", code="DPI")
    client.force_login(world.ght_admin)
    response = client.get(url("detail", world.ej_a))
    html = response.content.decode()
    assert [c.code for c in response.context["children"]] == ["ET-A1", "ET-A2"]
    assert response.context["can_edit"] is True
    assert url("edit", world.ej_a) in html
    response = client.get(url("detail", world.et_a1))
    assert response.context["totals"] == {"activity": 0, "application": 1, "component": 0,
                                          "supplier": 0}
    members = response.context["members"]
    assert [(m.user.username, m.role) for m in members.direct] == [("member", "viewer"),
                                                                    ("owner", "editor")]
    assert [(m.user.username, m.organization.code, m.role) for m in members.inherited] == [
        ("ghtadmin", "GHT-A", "admin")]


def test_detail_scope(client, world):
    client.force_login(world.outsider)
    assert client.get(url("detail", world.et_a1)).status_code == 404
    client.force_login(world.stranger)
    assert client.get(url("detail", world.ght_a)).status_code == 404
    client.force_login(world.member)
    response = client.get(url("detail", world.et_a1))
    assert response.status_code == 200
    assert url("edit", world.et_a1) not in response.content.decode()
    assert response.context["members"] is None  # only administrators see the members
    assert reverse("accounts:membership_add", kwargs={"uuid": world.et_a1.uuid}) not in (
        response.content.decode())


@pytest.mark.parametrize("persona", ["member", "owner", "outsider"])
def test_non_admins_get_403_on_writes(client, world, persona):
    client.force_login(getattr(world, persona))
    assert client.get(url("create")).status_code == 403
    assert client.post(url("create"), {"code": "X"}).status_code == 403
    org = world.et_a2 if persona == "outsider" else world.et_a1
    assert client.get(url("edit", org)).status_code == 403
    assert client.post(url("edit", org), {"name": "x"}).status_code == 403
    assert client.post(url("delete", org)).status_code == 403
    assert Organization.objects.filter(pk=org.pk).exists()


def test_writes_outside_scope_are_404(client, world):
    client.force_login(world.stranger)
    assert client.get(url("edit", world.et_a1)).status_code == 404
    assert client.post(url("delete", world.et_a1)).status_code == 404


def test_admin_creates_an_establishment_under_its_ej(client, world):
    client.force_login(world.ght_admin)
    response = client.get(url("create"), {"parent": str(world.ej_a.uuid), "kind": "ET"})
    form = response.context["form"]
    assert [o.code for o in form.fields["parent"].queryset] == ["EJ-A", "GHT-A"]
    assert form.fields["parent"].required is True
    finess = with_check_digit("75012345")
    response = client.post(url("create"), {
        "code": "ET-A3", "name": "Site trois", "kind": "ET", "parent": str(world.ej_a.uuid),
        "finess": finess, "activity_weight": "120"})
    org = Organization.objects.get(code="ET-A3")
    assert response["Location"] == url("detail", org)
    assert (org.parent_id, org.root_id, org.finess, str(org.activity_weight)) == (
        world.ej_a.id, world.ght_a.id, finess, "120.00")


def test_service_errors_show_on_the_organization_form(client, world):
    client.force_login(world.ght_admin)
    response = client.post(url("create"), {
        "code": "ET-A1", "name": "Doublon", "kind": "ET", "parent": str(world.ght_a.uuid),
        "finess": "750712185"})
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["code"] == ["The code ET-A1 is already used."]
    assert errors["parent"] == ["An establishment (ET) must belong to a legal entity (EJ)."]
    assert errors["finess"] == ["FINESS number '750712185' has a wrong check digit"]


def test_only_a_superuser_creates_a_top_organization(client, world):
    client.force_login(world.ght_admin)
    response = client.post(url("create"), {"code": "GHT-C", "name": "C", "kind": "GHT"})
    assert response.context["form"].errors["parent"] == ["This field is required."]
    assert not Organization.objects.filter(code="GHT-C").exists()
    # a parent outside the admin's organizations is not a valid choice
    response = client.post(url("create"), {"code": "EJ-X", "name": "X", "kind": "EJ",
                                           "parent": str(world.ght_b.uuid),
                                           "finess": with_check_digit("75099999")})
    assert "parent" in response.context["form"].errors
    root = make_user("root")
    root.is_superuser = True
    root.save()
    client.force_login(root)
    response = client.post(url("create"), {"code": "GHT-C", "name": "C", "kind": "GHT"})
    assert response.status_code == 302
    assert Organization.objects.get(code="GHT-C").parent is None


def test_admin_edits_an_organization(client, world):
    client.force_login(world.ght_admin)
    response = client.get(url("edit", world.et_a1))
    assert response.context["form"].initial["code"] == "ET-A1"
    response = client.post(url("edit", world.et_a1), {
        "code": "ET-A1", "name": "Nouveau nom", "kind": "ET", "parent": str(world.ej_a.uuid),
        "finess": world.et_a1.finess, "activity_weight": "80"})
    world.et_a1.refresh_from_db()
    assert response["Location"] == url("detail", world.et_a1)
    assert (world.et_a1.name, str(world.et_a1.activity_weight)) == ("Nouveau nom", "80.00")


def test_admin_of_an_establishment_edits_it_but_does_not_delete_it(client, world):
    et_admin = make_user("etadmin", [(world.et_a2, "admin")])
    client.force_login(et_admin)
    form = client.get(url("edit", world.et_a2)).context["form"]
    assert [o.code for o in form.fields["parent"].queryset] == ["EJ-A"]  # its current parent
    assert client.get(url("delete", world.et_a2)).status_code == 403


def test_delete(client, world):
    client.force_login(world.ght_admin)
    response = client.post(url("delete", world.ej_a))
    assert response.status_code == 200
    assert response.context["errors"] == ["EJ-A still has organizations below it."]
    assert "EJ-A still has organizations below it." in response.content.decode()
    make_node(org=world.et_a2, node_type="activity", code="LAB")
    response = client.post(url("delete", world.et_a2))
    assert response.context["errors"] == [
        "ET-A2 still owns activities, applications or components."]
    response = client.post(url("delete", world.et_a1))
    assert response["Location"] == url("list")
    assert not Organization.objects.filter(code="ET-A1").exists()


def test_list_query_count_does_not_grow_with_rows(client, world):
    client.force_login(world.ght_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("list")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(5):
        make_org(kind="ET", code=f"ET-S{i:02}", parent=world.ej_a)
    small = count()
    for i in range(5, 50):
        make_org(kind="ET", code=f"ET-S{i:02}", parent=world.ej_a)
    world.ght_admin.__dict__.pop("_pcra_access", None)
    assert count() == small
