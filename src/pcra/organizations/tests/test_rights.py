"""Who may create, change, move and delete organizations: one rule
(``organization_change_denied``) for the services, the web pages and the workbook import (see
``workbook/tests/test_org_rights.py``); and the hierarchy a change must keep."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pcra.accounts.access import access_for
from pcra.accounts.models import Membership
from pcra.core.testing import make_org, make_user
from pcra.organizations.models import Organization
from pcra.organizations.services import (
    CHANGE,
    CREATE,
    DELETE,
    MOVE,
    organization_change_denied,
    organization_create,
    organization_delete,
    organization_update,
)

pytestmark = pytest.mark.usefixtures("english")


def org_state() -> set[tuple]:
    return set(Organization.objects.values_list("code", "name", "kind", "parent__code",
                                                "root__code", "finess", "activity_weight"))


def denied(user, action, organization, **kwargs):
    access = access_for(user) if user is not None else None
    return organization_change_denied(access=access, action=action, organization=organization,
                                      **kwargs)


@pytest.fixture
def superuser(db):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    return root


def test_changing_an_organization_needs_the_administrator_role_on_it(world):
    w = world
    et_admin = make_user("etadmin", [(w.et_a1, "admin")])
    message = "You may not change ET-A1: that needs the administrator role on ET-A1."
    # An editor of ET-A1 writes its data, but not the establishment itself (the review's case).
    assert denied(w.owner, CHANGE, w.et_a1) == message
    assert denied(w.member, CHANGE, w.et_a1) == message
    assert denied(w.outsider, CHANGE, w.et_a1) == message
    assert denied(w.stranger, CHANGE, w.et_a1) == message
    assert denied(et_admin, CHANGE, w.et_a1) is None
    assert denied(w.ght_admin, CHANGE, w.et_a1) is None  # inherited from the GHT
    assert denied(et_admin, CHANGE, w.ej_a) == (
        "You may not change EJ-A: that needs the administrator role on EJ-A.")


def test_creating_and_deleting_need_the_administrator_role_on_the_parent(world, superuser):
    w = world
    et_admin = make_user("etadmin", [(w.et_a1, "admin")])
    new_et = Organization(code="ET-A3", kind="ET")
    assert denied(w.ght_admin, CREATE, new_et, parent=w.ej_a) is None
    assert denied(w.owner, CREATE, new_et, parent=w.ej_a) == (
        "You may not create ET-A3 below EJ-A: that needs the administrator role on EJ-A.")
    # A parent created in the same workbook is administered by whoever may create it.
    new_ej = Organization(code="EJ-N", kind="EJ", parent=w.ght_a)
    new_et.parent = new_ej
    assert denied(w.ght_admin, CREATE, new_et, parent=new_ej) is None
    assert denied(et_admin, CREATE, new_et, parent=new_ej) == (
        "You may not create ET-A3 below EJ-N: that needs the administrator role on EJ-N.")
    # Top organizations are the superuser's.
    assert denied(w.ght_admin, CREATE, Organization(code="GHT-N", kind="GHT")) == (
        "You may not create the GHT GHT-N.")
    assert denied(w.ght_admin, CREATE, Organization(code="EJ-N", kind="EJ")) == (
        "You may not create EJ-N without a parent: only a superuser creates a top "
        "organization.")
    assert denied(superuser, CREATE, Organization(code="GHT-N", kind="GHT")) is None
    # Deleting is the mirror of creating: the parent's administrator.
    assert denied(et_admin, DELETE, w.et_a1) == (
        "You may not delete ET-A1: that needs the administrator role on EJ-A.")
    assert denied(w.ght_admin, DELETE, w.et_a1) is None
    assert denied(w.ght_admin, DELETE, w.ght_a) == (
        "You may not delete GHT-A: only a superuser deletes a top organization.")
    assert denied(superuser, DELETE, w.ght_a) is None


def test_moving_needs_the_administrator_role_on_both_parents(world):
    w = world
    ej_a2 = make_org(kind="EJ", code="EJ-A2", parent=w.ght_a)
    two_sided = make_user("twosided", [(w.et_a1, "admin"), (ej_a2, "admin")])
    assert denied(two_sided, MOVE, w.et_a1, parent=ej_a2, old_parent=w.ej_a) == (
        "You may not move ET-A1 from EJ-A to EJ-A2: that needs the administrator role on both.")
    assert denied(w.ght_admin, MOVE, w.et_a1, parent=ej_a2, old_parent=w.ej_a) is None
    assert denied(w.ght_admin, MOVE, w.ej_a, parent=None, old_parent=w.ght_a) == (
        "You may not move EJ-A: only a superuser moves an organization to or from the top of "
        "the hierarchy.")


def test_the_command_line_may_do_everything(world):
    for action, kwargs in ((CHANGE, {}), (DELETE, {}), (MOVE, {"parent": None,
                                                                "old_parent": world.ej_a})):
        assert denied(None, action, world.et_a1, **kwargs) is None
    assert denied(None, CREATE, Organization(code="GHT-N", kind="GHT")) is None


def test_services_enforce_the_rule_when_given_an_access(world):
    w = world
    before = org_state()
    with pytest.raises(PermissionDenied, match="needs the administrator role on ET-A1"):
        organization_update(organization=w.et_a1, access=access_for(w.owner), name="Renamed",
                            activity_weight=1)
    with pytest.raises(PermissionDenied, match="below EJ-A"):
        organization_create(access=access_for(w.owner), code="ET-A3", name="x", kind="ET",
                            parent=w.ej_a, finess="750712184")
    with pytest.raises(PermissionDenied, match="needs the administrator role on EJ-A"):
        organization_delete(organization=w.et_a1, access=access_for(w.owner))
    w.et_a1.refresh_from_db()
    assert org_state() == before
    organization_update(organization=w.et_a1, access=access_for(w.ght_admin), name="Renamed")
    assert Organization.objects.get(code="ET-A1").name == "Renamed"


def test_a_type_change_must_keep_the_children_below_it(world):
    """The review's reproduction: EJ-A, which has establishments, turned into an ET."""
    w = world
    before = org_state()
    with pytest.raises(ValidationError) as exc:
        organization_update(organization=w.ej_a, kind="ET", parent=w.ej_b)
    assert exc.value.message_dict == {"kind": ["ET-A1 (ET) cannot stay below a ET.",
                                               "ET-A2 (ET) cannot stay below a ET."]}
    with pytest.raises(ValidationError) as exc:
        organization_update(organization=Organization.objects.get(code="GHT-B"), kind="EJ",
                            finess="750712184")
    assert exc.value.message_dict == {"kind": ["EJ-B (EJ) cannot stay below a EJ."]}
    assert org_state() == before
    # Without children, the same change is allowed.
    ej_a = Organization.objects.get(code="EJ-A")
    lone = make_org(kind="EJ", code="EJ-L", parent=w.ght_a)
    organization_update(organization=lone, kind="ET", parent=ej_a)
    assert Organization.objects.filter(code="EJ-L", kind="ET", parent=ej_a).exists()


# --- the web pages ----------------------------------------------------------------------


@pytest.fixture
def en(settings):
    settings.LANGUAGE_CODE = "en"


def url(name: str, org=None) -> str:
    return reverse(f"organizations:{name}", kwargs={"uuid": org.uuid} if org else None)


def form_data(org: Organization, **changes) -> dict:
    data = {"code": org.code, "name": org.name, "kind": org.kind,
            "parent": str(org.parent.uuid) if org.parent else "", "finess": org.finess,
            "activity_weight": str(org.activity_weight)}
    data.update(changes)
    return data


def test_the_editor_of_an_establishment_may_not_edit_it_on_the_web(client, world, en):
    """The review's case, on the web: the edit page is refused (the import refuses it too)."""
    before = org_state()
    client.force_login(world.owner)
    assert client.get(url("edit", world.et_a1)).status_code == 403
    response = client.post(url("edit", world.et_a1), form_data(world.et_a1, name="Renamed"))
    assert response.status_code == 403
    assert org_state() == before
    detail = client.get(url("detail", world.et_a1)).context
    assert (detail["can_edit"], detail["can_delete"], detail["can_add_child"],
            detail["members"]) == (False, False, False, None)


def test_the_detail_page_offers_what_the_rule_allows(client, world, en):
    et_admin = make_user("etadmin", [(world.et_a1, "admin")])
    client.force_login(et_admin)
    context = client.get(url("detail", world.et_a1)).context
    assert (context["can_edit"], context["can_delete"], context["can_add_child"]) == (
        True, False, False)
    client.force_login(world.ght_admin)
    context = client.get(url("detail", world.ej_a)).context
    assert (context["can_edit"], context["can_delete"], context["can_add_child"]) == (
        True, True, True)
    context = client.get(url("detail", world.ght_a)).context
    assert (context["can_edit"], context["can_delete"], context["can_add_child"]) == (
        True, False, True)
    assert client.post(url("delete", world.ght_a)).status_code == 403
    assert Organization.objects.filter(code="GHT-A").exists()


def test_a_move_needs_both_parents_on_the_web(client, world, en):
    ej_a2 = make_org(kind="EJ", code="EJ-A2", parent=world.ght_a)
    two_sided = make_user("twosided", [(world.et_a1, "admin"), (ej_a2, "admin")])
    before = org_state()
    client.force_login(two_sided)
    response = client.post(url("edit", world.et_a1),
                           form_data(world.et_a1, parent=str(ej_a2.uuid), name="Moved"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"parent": [
        "You may not move ET-A1 from EJ-A to EJ-A2: that needs the administrator role on both."]}
    assert response.context["org"].name == "Org ET-A1"  # the stored values, not the refused
    assert org_state() == before
    client.force_login(world.ght_admin)
    response = client.post(url("edit", world.et_a1),
                           form_data(world.et_a1, parent=str(ej_a2.uuid)))
    assert response.status_code == 302
    assert Organization.objects.get(code="ET-A1").parent == ej_a2


def test_the_web_form_refuses_a_type_that_breaks_the_hierarchy(client, world, en):
    """The review's reproduction: a GHT administrator turns EJ-A (with establishments) into an
    ET under EJ-B; refused on the type field, nothing changed."""
    Membership.objects.create(user=world.ght_admin, organization=world.ej_b, role="admin")
    before = org_state()
    client.force_login(world.ght_admin)
    response = client.post(url("edit", world.ej_a),
                           form_data(world.ej_a, kind="ET", parent=str(world.ej_b.uuid)))
    assert response.status_code == 200
    assert response.context["form"].errors == {"kind": ["ET-A1 (ET) cannot stay below a ET.",
                                                        "ET-A2 (ET) cannot stay below a ET."]}
    assert "ET-A1 (ET) cannot stay below a ET." in response.content.decode()
    assert org_state() == before
