"""The audit-log pages: who may read them, what each reader sees, the diff, the verification."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcra.core import audit
from pcra.core.actor import Actor, acting_as
from pcra.core.audit import VerifyResult
from pcra.core.models import AuditAction, AuditEntry
from pcra.core.testing import make_node, make_user
from pcra.inventory.services import node_update

GHT_A_ENTRIES = {
    "GHT-A – Org GHT-A", "EJ-A – Org EJ-A", "ET-A1 – Org ET-A1", "ET-A2 – Org ET-A2",
    "owner – ET-A1 (Editor)", "member – ET-A1 (Viewer (read-only))",
    "outsider – ET-A2 (Editor)", "ghtadmin – GHT-A (Administrator)",
}
GHT_B_ENTRIES = {"GHT-B – Org GHT-B", "EJ-B – Org EJ-B", "ET-B1 – Org ET-B1",
                 "stranger – GHT-B (Administrator)"}


@pytest.fixture
def log(world):
    """Nodes in ET-A1 and ET-A2 (one renamed by "alice"), and an auditor of ET-A1."""
    urg = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    srv = make_node(org=world.et_a2, node_type="component", code="SRV-A2", name="Serveur A2")
    with acting_as(Actor(world.owner.pk, "alice")):
        node_update(node=urg, name="Urgences adultes")
    auditor = make_user("auditor", [(world.et_a1, "auditor")])
    update = AuditEntry.objects.get(model="inventory.node", action=AuditAction.UPDATE)
    return {"urg": urg, "srv": srv, "auditor": auditor, "update": update}


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rows(page: str) -> list[list[str]]:
    """The cells (tags stripped) of each row of the audit table."""
    table = re.search(r'<table[^>]*id="audit-table".*?</table>', page, re.S)
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", table.group(0) if table else "", re.S):
        cells = [html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if cells:
            out.append(cells)
    return out


def objects(page: str) -> set[str]:
    return {row[5] for row in rows(page)}


# --- who may read -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["audit:list", "audit:verify"])
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_anonymous_detail_is_sent_to_login(client, log):
    response = client.get(reverse("audit:detail", args=[log["update"].pk]))
    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["member", "owner", "outsider"])
def test_users_without_an_audit_role_get_403(client, world, log, persona):
    login(client, getattr(world, persona))
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:detail", args=[log["update"].pk])).status_code == 403
    assert client.get(reverse("audit:verify")).status_code == 403
    assert client.post(reverse("audit:verify")).status_code == 403


# --- what each reader sees ----------------------------------------------------------------


def test_ght_admin_sees_every_entry_of_the_ght_and_nothing_else(client, world, log):
    login(client, world.ght_admin)
    page = client.get(reverse("audit:list")).content.decode()
    assert objects(page) == GHT_A_ENTRIES | {
        "URG – Urgences", "URG – Urgences adultes", "SRV-A2 – Serveur A2",
        "auditor – ET-A1 (Auditor (read-only, audit log))"}
    assert not any(name in page for name in GHT_B_ENTRIES)
    first = rows(page)[0]
    assert first[0] == str(AuditEntry.objects.filter(organization_id__in=[
        world.ght_a.pk, world.ej_a.pk, world.et_a1.pk, world.et_a2.pk]).latest("id").pk)
    # The chain spans every tenant: only a superuser verifies it from the web.
    assert f'href="{reverse("audit:verify")}"' not in page
    assert client.post(reverse("audit:verify")).status_code == 403


def test_stranger_sees_nothing_of_ght_a(client, world, log):
    login(client, world.stranger)
    page = client.get(reverse("audit:list")).content.decode()
    assert objects(page) == GHT_B_ENTRIES
    assert "URG" not in page and "ET-A1" not in page
    page = client.get(reverse("audit:list"), {"model": "inventory.node"}).content.decode()
    assert "Select a valid choice" in page and objects(page) == set()
    assert client.get(reverse("audit:detail", args=[log["update"].pk])).status_code == 404


def test_auditor_sees_only_the_establishment_where_they_hold_the_role(client, world, log):
    login(client, log["auditor"])
    page = client.get(reverse("audit:list")).content.decode()
    assert objects(page) == {
        "ET-A1 – Org ET-A1", "owner – ET-A1 (Editor)", "member – ET-A1 (Viewer (read-only))",
        "auditor – ET-A1 (Auditor (read-only, audit log))", "URG – Urgences",
        "URG – Urgences adultes"}
    srv_entry = AuditEntry.objects.get(object_id=str(log["srv"].uuid))
    assert client.get(reverse("audit:detail", args=[srv_entry.pk])).status_code == 404
    assert client.get(reverse("audit:detail", args=[log["update"].pk])).status_code == 200
    # Auditors read the log but do not run the verification (administrators do).
    assert f'href="{reverse("audit:verify")}"' not in page
    assert client.get(reverse("audit:verify")).status_code == 403


def test_superuser_sees_every_entry_including_those_of_no_organization(client, world, log):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    audit.record(AuditAction.CREATE, root, before=None, after={"username": "root"})
    login(client, root)
    page = client.get(reverse("audit:list")).content.decode()
    assert objects(page) == GHT_A_ENTRIES | GHT_B_ENTRIES | {
        "URG – Urgences", "URG – Urgences adultes", "SRV-A2 – Serveur A2",
        "auditor – ET-A1 (Auditor (read-only, audit log))",
        # users belong to no organization: only superusers read their entries
        "owner", "member", "outsider", "stranger", "ghtadmin", "auditor", "root"}


# --- filters and pages --------------------------------------------------------------------


def test_filters_by_object_type_action_actor_and_date(client, world, log):
    login(client, world.ght_admin)
    url = reverse("audit:list")
    page = client.get(url, {"model": "inventory.node"}).content.decode()
    assert objects(page) == {"URG – Urgences", "URG – Urgences adultes", "SRV-A2 – Serveur A2"}
    assert {row[4] for row in rows(page)} == {"node"}
    page = client.get(url, {"action": "update"}).content.decode()
    assert [(r[2], r[3], r[5]) for r in rows(page)] == [
        ("alice", "updated", "URG – Urgences adultes")]
    page = client.get(url, {"actor": "ALI"}).content.decode()
    assert objects(page) == {"URG – Urgences adultes"}
    today = timezone.localdate()
    page = client.get(url, {"date_to": str(today - dt.timedelta(days=1))}).content.decode()
    assert rows(page) == [] and "No entry matches." in page
    page = client.get(url, {"date_from": str(today), "model": "inventory.node",
                            "action": "create"}).content.decode()
    assert objects(page) == {"URG – Urgences", "SRV-A2 – Serveur A2"}
    assert re.search(r'id="audit-count">2 entries<', page)


def test_object_type_choices_only_list_types_in_scope(client, world, log):
    login(client, world.stranger)
    page = client.get(reverse("audit:list")).content.decode()
    choices = set(re.findall(r'<option value="([a-z_.]+)"', page))
    assert {"organizations.organization", "accounts.membership"} <= choices
    assert "inventory.node" not in choices


def test_pagination_keeps_the_filters(client, world, log, settings):
    settings.PCRA_PAGE_SIZE = 3
    for i in range(5):
        make_node(org=world.et_a1, node_type="component", code=f"C{i}")
    login(client, world.ght_admin)
    url = reverse("audit:list")
    page = client.get(url, {"model": "inventory.node"}).content.decode()
    assert [r[5] for r in rows(page)] == ["C4 – Node C4", "C3 – Node C3", "C2 – Node C2"]
    assert 'href="?model=inventory.node&amp;page=2"' in page
    page = client.get(url, {"model": "inventory.node", "page": 3}).content.decode()
    assert [r[5] for r in rows(page)] == ["SRV-A2 – Serveur A2", "URG – Urgences"]


# --- detail -------------------------------------------------------------------------------


def test_detail_shows_the_before_after_diff(client, world, log):
    login(client, world.ght_admin)
    entry = log["update"]
    page = client.get(reverse("audit:detail", args=[entry.pk])).content.decode()
    table = re.search(r'<table[^>]*id="audit-diff".*?</table>', page, re.S).group(0)
    diff = re.findall(r'<tr( class="au-changed")?>\s*<th scope="row">(.*?)<br>.*?</th>\s*'
                      r"<td>(.*?)</td>\s*<td>(.*?)</td>", table, re.S)
    changed = [(label, before, after) for flag, label, before, after in diff if flag]
    assert [c[0] for c in changed] == ["Name"]
    assert changed[0][1:] == ("<del>Urgences</del>", "<ins>Urgences adultes</ins>")
    unchanged = {label: (before, after) for flag, label, before, after in diff if not flag}
    assert unchanged["Code"] == ("URG", "URG")
    assert unchanged["Establishment"] == (str(world.et_a1.pk), str(world.et_a1.pk))
    assert "alice" in page and entry.hash in page and entry.prev_hash in page


def test_detail_of_a_creation_has_only_after_values(client, world, log):
    login(client, world.ght_admin)
    entry = AuditEntry.objects.get(object_id=str(log["srv"].uuid))
    page = client.get(reverse("audit:detail", args=[entry.pk])).content.decode()
    assert "<td></td>\n        <td><ins>SRV-A2</ins></td>" in page
    assert "created" in page


# --- verification -------------------------------------------------------------------------


def superuser():
    from pcra.core.testing import make_user

    user = make_user("root")
    user.is_superuser = True
    user.save()
    return user


def test_superuser_verifies_the_chain(client, world, log):
    login(client, superuser())
    page = client.get(reverse("audit:verify")).content.decode()
    assert "verify-result" not in page
    page = client.post(reverse("audit:verify")).content.decode()
    count = AuditEntry.objects.count()
    assert f"The chain holds: {count} entries verified." in page


def test_verification_reports_a_broken_chain(client, world, log):
    last = AuditEntry.objects.latest("id")
    forged = AuditEntry.objects.create(
        timestamp=timezone.now(), actor_label="mallory", action="update", model="inventory.node",
        object_id="x", object_repr="forged", organization_id=world.et_a1.pk, data="{}",
        prev_hash="f" * 64, hash="e" * 64)
    login(client, superuser())
    page = client.post(reverse("audit:verify")).content.decode()
    checked = AuditEntry.objects.filter(id__lte=last.id).count()
    assert (f"The chain is broken at entry #{forged.pk} ({checked} entries verified before "
            "it).") in page
    assert f"entry #{forged.pk} does not follow the previous entry" in page


def test_verification_shows_the_reason_given_by_the_verifier(client, world, monkeypatch):
    monkeypatch.setattr("pcra.core.audit_views.verify_chain",
                        lambda: VerifyResult(False, 4, 5, "entry #5 was modified (hash mismatch)"))
    login(client, superuser())
    page = client.post(reverse("audit:verify")).content.decode()
    assert "The chain is broken at entry #5 (4 entries verified before it)." in page
    assert "entry #5 was modified (hash mismatch)" in page


# --- query counts -------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_uses_a_constant_number_of_queries(client, world, settings):
    settings.PCRA_PAGE_SIZE = 100
    for i in range(5):
        make_node(org=world.et_a1, node_type="component", code=f"S{i}")
    login(client, world.ght_admin)
    small = count_queries(client, reverse("audit:list"))
    for i in range(50):
        make_node(org=world.et_a2, node_type="component", code=f"L{i}")
    large = count_queries(client, reverse("audit:list"))
    assert small == large
    assert count_queries(client, reverse("audit:list") + "?model=inventory.node") == large
