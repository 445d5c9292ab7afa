"""The audit log: every change recorded, hash-chained, append-only, verifiable."""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from pcra.core.actor import Actor, acting_as
from pcra.core.audit import verify_chain
from pcra.core.models import AppendOnlyError, AuditEntry, AuditHead
from pcra.core.testing import make_edge, make_node, make_org
from pcra.inventory.services import dependency_delete, node_update

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def ght(db):
    return make_org(kind="GHT", code="G1")


def test_create_update_delete_are_recorded_with_before_and_after(ght):
    with acting_as(Actor(user_id=None, label="alice")):
        app = make_node(org=ght, node_type="application", code="DPI", name="Dossier patient")
        srv = make_node(org=ght, node_type="component", code="SRV", name="Serveur")
        edge = make_edge(app, srv, autonomy=4)
        node_update(node=app, name="DPI v2")
        dependency_delete(edge=edge)
    entries = list(AuditEntry.objects.filter(model__startswith="inventory.").order_by("id"))
    assert [(e.action, e.model, e.object_repr) for e in entries] == [
        ("create", "inventory.node", "DPI – Dossier patient"),
        ("create", "inventory.node", "SRV – Serveur"),
        ("create", "inventory.dependency", "DPI → SRV"),
        ("update", "inventory.node", "DPI – DPI v2"),
        ("delete", "inventory.dependency", "DPI → SRV"),
    ]
    update = entries[3].payload
    assert update["actor"] == "alice"
    assert update["before"]["name"] == "Dossier patient"
    assert update["after"]["name"] == "DPI v2"
    assert entries[2].payload["after"]["degraded_autonomy_hours"] == "4"
    assert entries[4].payload["after"] is None
    assert verify_chain().ok


def test_saving_without_change_writes_nothing(ght):
    app = make_node(org=ght, node_type="application", code="DPI")
    before = AuditEntry.objects.count()
    app.save()
    assert AuditEntry.objects.count() == before


def test_entries_cannot_be_changed_or_deleted_through_the_orm(ght):
    make_node(org=ght, node_type="application", code="DPI")
    entry = AuditEntry.objects.first()
    entry.object_repr = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(object_repr="x")


def _raw_sql(sql, params=()):
    """Bypass the ORM and the database's append-only triggers, as an attacker with DB access."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER pcra_audit_append_only")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER pcra_audit_append_only")
        else:
            cursor.execute("DROP TRIGGER pcra_audit_no_update")
            cursor.execute("DROP TRIGGER pcra_audit_no_delete")
            cursor.execute(sql, params)


def test_the_database_itself_refuses_updates(ght):
    make_node(org=ght, node_type="application", code="DPI")
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = 'forged'")


@pytest.mark.parametrize("tamper", ["modify", "delete_middle", "delete_last", "column"])
def test_verify_names_the_first_broken_entry(ght, tamper, capsys):
    for code in ["A", "B", "C", "D"]:
        make_node(org=ght, node_type="application", code=code)
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    target = ids[2]
    if tamper == "modify":
        entry = AuditEntry.objects.get(id=target)
        forged = entry.data.replace('"name":"Node B"', '"name":"Forged"')
        assert forged != entry.data
        _raw_sql("UPDATE core_auditentry SET data = %s WHERE id = %s", [forged, target])
        expected = target
    elif tamper == "delete_middle":
        _raw_sql("DELETE FROM core_auditentry WHERE id = %s", [target])
        expected = ids[3]  # the entry after the removed one no longer follows its predecessor
    elif tamper == "delete_last":
        _raw_sql("DELETE FROM core_auditentry WHERE id = %s", [ids[-1]])
        expected = ids[-1]
    else:
        _raw_sql("UPDATE core_auditentry SET actor_label = 'mallory' WHERE id = %s", [target])
        expected = target
    result = verify_chain()
    assert (result.ok, result.first_broken_id) == (False, expected)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", "--json")
    assert exc.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["first_broken_id"] == expected


def test_rolled_back_writes_leave_the_chain_intact(ght):
    """PostgreSQL sequences are not rolled back: id gaps are not tampering."""
    from django.db import transaction

    make_node(org=ght, node_type="application", code="A")
    with pytest.raises(RuntimeError), transaction.atomic():
        make_node(org=ght, node_type="application", code="B")
        raise RuntimeError("abandon")
    make_node(org=ght, node_type="application", code="C")
    result = verify_chain()
    assert (result.ok, result.checked) == (True, AuditEntry.objects.count())


def test_verify_audit_command_on_an_intact_chain(ght, capsys):
    make_node(org=ght, node_type="application", code="DPI")
    call_command("verify_audit", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "checked": AuditHead.objects.get().count,
                   "first_broken_id": None, "reason": ""}
    assert out["checked"] >= 2
