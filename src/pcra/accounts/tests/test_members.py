"""Members of an organization, managed in the app by its administrators (or those of an
organization above it): who may, what each action leaves in the database, the last-admin
rule, the one-time password of a new account, and the audit log."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pcra.accounts.models import Membership, User
from pcra.accounts.services import (
    membership_add,
    membership_change_role,
    membership_remove,
    one_time_password,
    user_create,
)
from pcra.core.models import AuditEntry
from pcra.core.testing import make_node, make_user

#: the personas' memberships (core/testing.py)
WORLD = {("owner", "ET-A1", "editor"), ("member", "ET-A1", "viewer"),
         ("outsider", "ET-A2", "editor"), ("stranger", "GHT-B", "admin"),
         ("ghtadmin", "GHT-A", "admin")}


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def english_pages(settings):
    settings.LANGUAGE_CODE = "en"


def memberships() -> set[tuple[str, str, str]]:
    return set(Membership.objects.values_list("user__username", "organization__code", "role"))


def add_url(org) -> str:
    return reverse("accounts:membership_add", kwargs={"uuid": org.uuid})


def edit_url(org, username: str) -> str:
    return reverse("accounts:membership_edit", kwargs={"uuid": org.uuid, "username": username})


def delete_url(org, username: str) -> str:
    return reverse("accounts:membership_delete",
                   kwargs={"uuid": org.uuid, "username": username})


def members_url(org) -> str:
    return reverse("organizations:detail", kwargs={"uuid": org.uuid}) + "#members"


def errors(response, form="form") -> dict:
    return {k: list(v) for k, v in response.context[form].errors.items()}


# --- who may ----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    for url in (add_url(world.et_a1), edit_url(world.et_a1, "owner"),
                delete_url(world.et_a1, "owner")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_non_admins_get_403(client, world, persona):
    client.force_login(getattr(world, persona))
    for url in (add_url(world.et_a1), edit_url(world.et_a1, "owner"),
                delete_url(world.et_a1, "member")):
        assert client.get(url).status_code == 403
        assert client.post(url, {"form": "existing", "existing-user": persona,
                                  "existing-role": "admin", "role": "admin"}).status_code == 403
    assert memberships() == WORLD


@pytest.mark.parametrize("persona", ["outsider", "stranger"])
def test_outsiders_get_404(client, world, persona):
    client.force_login(getattr(world, persona))
    for url in (add_url(world.et_a1), edit_url(world.et_a1, "owner"),
                delete_url(world.et_a1, "member"), add_url(world.ej_a)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"form": "existing", "existing-user": persona,
                                  "existing-role": "admin", "role": "admin"}).status_code == 404
    assert memberships() == WORLD


def test_only_direct_memberships_of_the_organization_are_managed_here(client, world):
    node = make_node(org=world.et_a1, node_type="activity", code="URG")
    client.force_login(world.ght_admin)
    # ghtadmin's role on ET-A1 comes from GHT-A: it is managed on GHT-A's page
    assert client.get(edit_url(world.et_a1, "ghtadmin")).status_code == 404
    assert client.get(edit_url(world.ght_a, "ghtadmin")).status_code == 200
    assert client.get(edit_url(world.et_a1, "nobody")).status_code == 404
    assert client.get(edit_url(world.et_a2, "owner")).status_code == 404
    assert client.get(add_url(node)).status_code == 404  # not an organization's uuid
    # an administrator of an establishment manages it, not its EJ nor its neighbour
    et_admin = make_user("etadmin", [(world.et_a1, "admin")])
    client.force_login(et_admin)
    assert client.get(add_url(world.et_a1)).status_code == 200
    assert client.get(edit_url(world.et_a1, "owner")).status_code == 200
    assert client.get(add_url(world.ej_a)).status_code == 404
    assert client.get(add_url(world.et_a2)).status_code == 404


def test_the_detail_page_lists_direct_and_inherited_members(client, world):
    client.force_login(world.ght_admin)
    Membership.objects.create(user=world.member, organization=world.ej_a, role="editor")
    response = client.get(reverse("organizations:detail", kwargs={"uuid": world.et_a1.uuid}))
    html = response.content.decode()
    members = response.context["members"]
    assert [(m.user.username, m.role, m.stronger.organization.code if m.stronger else None)
            for m in members.direct] == [("member", "viewer", "EJ-A"), ("owner", "editor", None)]
    assert [(m.user.username, m.organization.code, m.role) for m in members.inherited] == [
        ("ghtadmin", "GHT-A", "admin"), ("member", "EJ-A", "editor")]
    assert add_url(world.et_a1) in html
    assert {edit_url(world.et_a1, "member"), edit_url(world.et_a1, "owner"),
            delete_url(world.et_a1, "member"), delete_url(world.et_a1, "owner")} == set(
        re.findall(r'href="(/accounts/organizations/[^"]+/members/[^"]+/(?:edit|delete)/)"',
                   html))
    assert "Editor through EJ-A" in html
    ght_link = reverse("organizations:detail", kwargs={"uuid": world.ght_a.uuid})
    assert f'href="{ght_link}#members"' in html
    # An establishment's administrator sees who administers it from above, without a link to
    # the GHT it cannot open.
    client.force_login(make_user("etadmin", [(world.et_a1, "admin")]))
    response = client.get(reverse("organizations:detail", kwargs={"uuid": world.et_a1.uuid}))
    html = response.content.decode()
    assert [(m.user.username, m.organization.code) for m in
            response.context["members"].inherited] == [("ghtadmin", "GHT-A"),
                                                       ("member", "EJ-A")]
    assert ght_link not in html and '<span class="code">GHT-A</span>' in html


# --- adding -----------------------------------------------------------------------------


def test_an_admin_adds_an_existing_account(client, world):
    client.force_login(world.ght_admin)
    response = client.get(add_url(world.et_a1))
    assert response.status_code == 200
    response = client.post(add_url(world.et_a1), {"form": "existing",
                                                  "existing-user": "outsider",
                                                  "existing-role": "auditor"})
    assert response.status_code == 302 and response["Location"] == members_url(world.et_a1)
    assert memberships() == WORLD | {("outsider", "ET-A1", "auditor")}
    # the same account twice, an unknown account, an unknown role: explained, nothing added
    response = client.post(add_url(world.et_a1), {"form": "existing", "existing-user": "owner",
                                                  "existing-role": "admin"})
    assert errors(response, "existing_form") == {
        "user": ["owner is already a member of ET-A1: change their role instead."]}
    response = client.post(add_url(world.et_a1), {"form": "existing",
                                                  "existing-user": "nobody",
                                                  "existing-role": "chief"})
    assert errors(response, "existing_form") == {
        "user": ["No active account has this username."],
        "role": ["Select a valid choice. chief is not one of the available choices."]}
    assert response.context["new_form"].is_bound is False
    assert memberships() == WORLD | {("outsider", "ET-A1", "auditor")}


def test_an_admin_creates_an_account_whose_password_is_shown_once(client, world):
    client.force_login(world.ght_admin)
    audit_before = AuditEntry.objects.count()
    response = client.post(add_url(world.et_a2), {
        "form": "new", "new-username": "dr.martin", "new-first_name": "Claire",
        "new-last_name": "Martin", "new-email": "c.martin@example.org", "new-role": "editor"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    html = response.content.decode()
    assert f'<code class="one-time-password">{password}</code>' in html
    assert re.fullmatch(r"[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}", password)
    assert memberships() == WORLD | {("dr.martin", "ET-A2", "editor")}
    user = User.objects.get(username="dr.martin")
    assert (user.first_name, user.last_name, user.email, user.is_active,
            user.is_superuser) == ("Claire", "Martin", "c.martin@example.org", True, False)
    # Only the hash is kept: not in the user row, the audit log, the session or a message.
    assert user.password != password and user.check_password(password)
    entries = AuditEntry.objects.order_by("id")[audit_before:]
    assert [(e.model, e.action, e.actor_label) for e in entries] == [
        ("accounts.user", "create", "ghtadmin"), ("accounts.membership", "create", "ghtadmin")]
    assert not any(password in e.data or "pbkdf2" in e.data or "md5$" in e.data
                   for e in entries)
    assert password not in str(dict(client.session.items()))
    assert password not in str(client.cookies)
    # The next page does not show it again.
    assert password not in client.get(members_url(world.et_a2)).content.decode()
    # The password works for logging in, through the login page.
    client.logout()
    response = client.post(reverse("accounts:login"), {"username": "dr.martin",
                                                       "password": password})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).context["user"].username == "dr.martin"


def test_a_new_account_needs_a_free_username(client, world):
    client.force_login(world.ght_admin)
    response = client.post(add_url(world.et_a1), {
        "form": "new", "new-username": "OWNER", "new-email": "not-an-address",
        "new-role": "viewer"})
    assert response.status_code == 200
    assert errors(response, "new_form") == {"email": ["Enter a valid email address."]}
    response = client.post(add_url(world.et_a1), {"form": "new", "new-username": "OWNER",
                                                  "new-role": "viewer"})
    assert errors(response, "new_form") == {
        "username": ["A user with that username already exists."]}
    assert "password" not in response.context
    assert User.objects.count() == 5 and memberships() == WORLD


# --- changing and removing ----------------------------------------------------------------


def test_an_admin_changes_a_role_and_removes_a_membership(client, world):
    client.force_login(world.ght_admin)
    audit_before = AuditEntry.objects.count()
    response = client.get(edit_url(world.et_a1, "owner"))
    assert response.context["form"].initial == {"role": "editor"}
    response = client.post(edit_url(world.et_a1, "owner"), {"role": "admin"})
    assert response["Location"] == members_url(world.et_a1)
    assert memberships() == WORLD - {("owner", "ET-A1", "editor")} | {
        ("owner", "ET-A1", "admin")}
    assert client.get(delete_url(world.et_a1, "member")).status_code == 200
    response = client.post(delete_url(world.et_a1, "member"))
    assert response["Location"] == members_url(world.et_a1)
    assert memberships() == WORLD - {("owner", "ET-A1", "editor"),
                                     ("member", "ET-A1", "viewer")} | {
        ("owner", "ET-A1", "admin")}
    entries = AuditEntry.objects.order_by("id")[audit_before:]
    assert [(e.model, e.action, e.actor_label, e.organization_id) for e in entries] == [
        ("accounts.membership", "update", "ghtadmin", world.et_a1.pk),
        ("accounts.membership", "delete", "ghtadmin", world.et_a1.pk)]
    assert '"role":"admin"' in entries[0].data and '"role":"editor"' in entries[0].data


def test_the_last_administrator_cannot_step_down(client, world):
    client.force_login(world.stranger)  # the only administrator of GHT-B
    response = client.post(edit_url(world.ght_b, "stranger"), {"role": "editor"})
    assert response.status_code == 200
    message = ("GHT-B would be left without any administrator: give the administrator role "
               "to someone else first (a role on an organization above it also counts).")
    assert errors(response) == {"role": [message]}
    response = client.post(delete_url(world.ght_b, "stranger"))
    assert response.status_code == 200 and response.context["errors"] == [message]
    assert message in response.content.decode()
    assert memberships() == WORLD
    # A second administrator: now either may step down.
    Membership.objects.create(user=world.outsider, organization=world.ej_b, role="admin")
    response = client.post(edit_url(world.ght_b, "stranger"), {"role": "editor"})
    assert errors(response) == {"role": [message]}  # EJ-B's admin does not cover GHT-B
    Membership.objects.create(user=world.member, organization=world.ght_b, role="admin")
    response = client.post(edit_url(world.ght_b, "stranger"), {"role": "viewer"})
    assert response.status_code == 302
    assert ("stranger", "GHT-B", "viewer") in memberships()


def test_an_ancestors_administrator_counts(client, world):
    et_admin = make_user("etadmin", [(world.et_a1, "admin")])
    client.force_login(et_admin)
    # ghtadmin administers ET-A1 through GHT-A: the establishment keeps an administrator
    response = client.post(delete_url(world.et_a1, "etadmin"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:list")  # ET-A1 is out of sight now
    assert memberships() == WORLD


def test_a_superuser_is_held_to_the_same_rule(world):
    stranger = Membership.objects.get(user=world.stranger)
    with pytest.raises(ValidationError, match="GHT-B would be left without any administrator"):
        membership_remove(membership=stranger)
    with pytest.raises(ValidationError, match="GHT-B would be left without any administrator"):
        membership_change_role(membership=stranger, role="auditor")
    assert memberships() == WORLD


def test_services_check_roles_and_duplicates(world):
    with pytest.raises(ValidationError) as exc:
        membership_add(organization=world.et_a1, user=world.stranger, role="chief")
    assert exc.value.message_dict == {"role": ["Unknown role chief."]}
    with pytest.raises(ValidationError) as exc:
        membership_change_role(membership=Membership.objects.get(user=world.owner),
                               role="root")
    assert exc.value.message_dict == {"role": ["Unknown role root."]}
    with pytest.raises(ValidationError) as exc:
        user_create(username="Member")
    assert exc.value.message_dict == {"username": ["A user with that username already exists."]}
    with pytest.raises(ValidationError) as exc:
        user_create(username="bad name!")
    assert list(exc.value.message_dict) == ["username"]
    assert memberships() == WORLD
    user, password = user_create(username=" new.user ", email="New@EXAMPLE.org")
    assert (user.username, user.email) == ("new.user", "New@example.org")
    assert user.check_password(password) and user.memberships.count() == 0
    assert len({one_time_password() for _ in range(50)}) == 50

