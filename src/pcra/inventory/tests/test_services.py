"""Graph writes: meaning checked, cycles refused with the cycle spelled out."""

import pytest
from django.core.exceptions import ValidationError

from pcra.core.testing import make_edge, make_node
from pcra.inventory.models import Dependency, Node
from pcra.inventory.services import dependency_update, node_create, node_delete

pytestmark = pytest.mark.usefixtures("english")


def test_a_cycle_is_refused_and_named(world):
    ght = world.ght_a
    a = make_node(org=ght, node_type="application", code="A")
    b = make_node(org=ght, node_type="application", code="B")
    c = make_node(org=ght, node_type="component", code="C")
    make_edge(a, b)
    make_edge(b, c)
    with pytest.raises(ValidationError) as exc:
        make_edge(c, a)
    assert exc.value.message_dict["target"] == [
        "This dependency would close a cycle: C → A → B → C"]
    assert Dependency.objects.count() == 2


def test_retargeting_an_edge_into_a_cycle_is_refused(world):
    ght = world.ght_a
    a, b, c = (make_node(org=ght, node_type="application", code=x) for x in "ABC")
    make_edge(a, b)
    edge = make_edge(b, c)
    make_edge(a, c)
    with pytest.raises(ValidationError, match="B → A → B"):
        dependency_update(edge=edge, target=a)
    edge.refresh_from_db()
    assert edge.target_id == c.pk


def test_activities_cannot_be_targets_and_edges_stay_in_their_ght(world):
    urg = make_node(org=world.et_a1, node_type="activity", code="URG")
    lab = make_node(org=world.et_a1, node_type="activity", code="LAB")
    other = make_node(org=world.ght_b, node_type="application", code="DPI")
    with pytest.raises(ValidationError, match="An activity cannot be depended on"):
        make_edge(urg, lab)
    with pytest.raises(ValidationError, match="same GHT"):
        make_edge(urg, other)


def test_declared_dmia_needs_a_justification(world):
    with pytest.raises(ValidationError) as exc:
        make_node(org=world.et_a1, node_type="activity", code="URG", declared_dmia_hours=4)
    assert "declared_dmia_reason" in exc.value.message_dict
    node = make_node(org=world.et_a1, node_type="activity", code="URG", declared_dmia_hours=4,
                     declared_dmia_reason="Urgences vitales")
    assert node.declared_dmia_hours == 4


def test_codes_are_unique_within_a_ght_only(world):
    make_node(org=world.et_a1, node_type="activity", code="URG")
    with pytest.raises(ValidationError, match="already used"):
        make_node(org=world.et_a2, node_type="activity", code="URG")
    make_node(org=world.et_b1, node_type="activity", code="URG")
    assert Node.objects.filter(code="URG").count() == 2


def test_type_fields_are_cleared_for_other_types(world):
    node = node_create(top=world.ght_a, node_type="application", code="DPI", name="DPI",
                       organization=None, vendor="X", activity_kind="soins",
                       component_kind="serveur", recovery_team="Système")
    assert (node.activity_kind, node.component_kind, node.recovery_team) == ("", "", "")


def test_a_node_others_depend_on_cannot_be_deleted(world):
    app = make_node(org=world.ght_a, node_type="application", code="DPI")
    srv = make_node(org=world.ght_a, node_type="component", code="SRV")
    urg = make_node(org=world.et_a1, node_type="activity", code="URG")
    make_edge(urg, app)
    make_edge(app, srv)
    with pytest.raises(ValidationError, match="URG depend on it"):
        node_delete(node=app)
    node_delete(node=urg)
    node_delete(node=app)
    assert set(Node.objects.values_list("code", flat=True)) == {"SRV"}
    assert Dependency.objects.count() == 0


def test_messages_mask_nodes_the_reader_may_not_see(world):
    """A cycle or a refused delete through another establishment names none of its nodes."""
    from pcra.accounts.access import access_for
    from pcra.inventory.services import dependency_create, node_delete

    w = world
    shared = make_node(org=w.ght_a, node_type="application", code="DPI")
    app_a1 = make_node(org=w.et_a1, node_type="application", code="APP-A1")
    lab_a2 = make_node(org=w.et_a2, node_type="application", code="LAB-A2")
    make_edge(shared, lab_a2)
    make_edge(lab_a2, app_a1)
    with pytest.raises(ValidationError) as exc:
        dependency_create(source=app_a1, target=shared, viewer=access_for(w.owner))
    assert exc.value.message_dict["target"] == [
        "This dependency would close a cycle: APP-A1 → DPI → (outside your scope) → APP-A1"]
    with pytest.raises(ValidationError) as exc:
        node_delete(node=app_a1, viewer=access_for(w.owner))
    assert exc.value.messages == [
        "APP-A1 cannot be deleted: 1 node outside your scope depend on it. Remove those "
        "dependencies first."]
    with pytest.raises(ValidationError, match="LAB-A2 depend on it"):
        node_delete(node=app_a1)  # a command sees everything


def test_audit_entries_of_cross_establishment_edges_belong_to_a_common_ancestor(world):
    from pcra.core.models import AuditEntry

    w = world
    mat = make_node(org=w.et_a2, node_type="activity", code="MAT")
    app = make_node(org=w.et_a1, node_type="application", code="APP")
    shared = make_node(org=w.ght_a, node_type="application", code="DPI")
    cross = make_edge(mat, app)
    plain = make_edge(mat, shared)
    orgs = dict(AuditEntry.objects.filter(model="inventory.dependency")
                .values_list("object_id", "organization_id"))
    assert orgs == {str(cross.uuid): w.ej_a.pk, str(plain.uuid): w.et_a2.pk}
