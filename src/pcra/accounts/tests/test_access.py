"""Roles are inherited down the hierarchy; nothing leaks to other establishments."""

from pcra.accounts.access import access_for
from pcra.core.testing import make_node, make_user
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.selectors import organizations_visible_to


def test_roles_flow_down_the_hierarchy(world):
    w = world
    a = access_for(w.ght_admin)
    assert a.organization_ids == {w.ght_a.pk, w.ej_a.pk, w.et_a1.pk, w.et_a2.pk}
    assert a.can_write(w.et_a2.pk)
    owner = access_for(w.owner)
    assert owner.organization_ids == {w.et_a1.pk}
    assert owner.can_write(w.et_a1.pk) and not owner.can_write(w.et_a2.pk)
    assert owner.top_ids == {w.ght_a.pk}
    assert not owner.can_write(None, top_id=w.ght_a.pk)  # shared nodes need a GHT role
    member = access_for(w.member)
    assert member.can_read(w.et_a1.pk) and not member.can_write(w.et_a1.pk)


def test_strongest_role_wins(world):
    from pcra.accounts.models import Membership

    Membership.objects.create(user=world.member, organization=world.ej_a, role="editor")
    world.member._pcra_access = None
    a = access_for(world.member)
    assert a.role_on(world.et_a1.pk) == "editor"
    assert a.role_on(world.et_a2.pk) == "editor"


def test_selectors_scope_nodes_and_organizations(world):
    w = world
    mine = make_node(org=w.et_a1, node_type="activity", code="URG")
    theirs = make_node(org=w.et_a2, node_type="activity", code="MAT")
    shared = make_node(org=w.ght_a, node_type="application", code="DPI")
    other_ght = make_node(org=w.et_b1, node_type="activity", code="URG")
    assert set(nodes_visible_to(user=w.owner)) == {mine, shared}
    assert set(nodes_visible_to(user=w.outsider)) == {theirs, shared}
    assert set(nodes_visible_to(user=w.stranger)) == {other_ght}
    assert set(nodes_visible_to(user=w.ght_admin)) == {mine, theirs, shared}
    assert {o.code for o in organizations_visible_to(user=w.owner)} == {"ET-A1"}
    assert {o.code for o in organizations_visible_to(user=w.stranger)} == {"GHT-B", "EJ-B",
                                                                          "ET-B1"}


def test_user_without_membership_sees_nothing(world):
    nobody = make_user("nobody")
    make_node(org=world.et_a1, node_type="activity", code="URG")
    assert list(nodes_visible_to(user=nobody)) == []
    assert list(organizations_visible_to(user=nobody)) == []
