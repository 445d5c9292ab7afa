"""`pcra seed_demo` run again: nothing duplicated, nothing changed, edits put back in place
(these tests write, so each seeds its own demo)."""

import pytest
from django.core.management.base import CommandError

from pcra.accounts.models import Membership, User
from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.demo import data
from pcra.demo.tests.helpers import seed, seed_json, totals
from pcra.impact.models import BiaCampaign, BusinessImpactAnalysis
from pcra.impact.services import bia_set_levels, bia_start
from pcra.inventory.models import Dependency, Node
from pcra.inventory.services import node_update
from pcra.organizations.models import Organization
from pcra.organizations.services import organization_update


def test_demo_seed_again_changes_nothing_and_puts_back_what_was_changed(db):
    seed()
    ght = Organization.objects.get(code=data.GHT_CODE)
    before, entries = totals(ght), AuditEntry.objects.count()

    output = seed()
    assert output.splitlines()[0] == (
        "GHT-VDS – GHT Val de Sauldre is already loaded and up to date: 8 organizations, "
        f"{before['activities']} activities, {before['applications']} applications, "
        f"{before['components']} components, {before['dependencies']} dependencies. "
        "Nothing changed.")
    assert totals(ght) == before
    assert AuditEntry.objects.count() == entries
    assert output.splitlines()[2] == (
        "BIA: 23 signed off, 4 submitted, 5 in draft, 3 activities without BIA; 3 BIA "
        "campaigns.")

    # Someone renames an application and removes an edge: seeding again puts them back.
    node_update(node=Node.objects.get(top=ght, code="DPI"), name="Renamed")
    Dependency.objects.get(source__code="URG", target__code="DPI").delete()
    entries = AuditEntry.objects.count()
    result = seed_json()
    assert result["status"] == "updated"
    assert result["updated"] == {"applications": 1}
    assert result["created"] == {"dependencies": 1}
    assert result["totals"] == before
    assert Node.objects.get(top=ght, code="DPI").name == "Dossier patient informatisé (DPI)"
    assert Dependency.objects.get(source__code="URG", target__code="DPI").degraded_autonomy_hours == 4
    assert AuditEntry.objects.count() == entries + 2
    assert verify_chain().ok


def test_demo_seed_refuses_codes_used_outside_the_demo(world):
    # An organization of another GHT happens to use a demo code: it is not taken over.
    organization_update(organization=world.ej_b, code="CH-LRM")
    with pytest.raises(CommandError, match=r"^The code CH-LRM is already used outside "
                                           r"GHT-VDS\.$"):
        seed()
    assert not Organization.objects.filter(code=data.GHT_CODE).exists()
    assert Organization.objects.get(code="CH-LRM").top_id == world.ght_b.pk


def test_demo_seed_again_leaves_the_bias_users_worked_on_and_puts_back_the_rest(db):
    first = seed_json()
    assert first["bia"] == {"signed_off": 23, "submitted": 4, "draft": 5, "missing": 3,
                            "campaigns": 3}
    assert {k: first["created"][k] for k in ("bias", "campaigns", "users", "memberships")} == {
        "bias": 33, "campaigns": 3, "users": 1, "memberships": 1}
    ght = Organization.objects.get(code=data.GHT_CODE)
    # The emergency department starts a version 2; the Rochebrune campaign is deleted; the
    # stretcher service starts its first BIA.
    urg = Node.objects.get(top=ght, code="URG")
    bia_set_levels(bia=bia_start(activity=urg), levels={("image", "h1"): 4})
    bia_start(activity=Node.objects.get(top=ght, code="BRANCARDAGE"))
    BiaCampaign.objects.get(organization__code="HP-RCB").delete()
    entries = AuditEntry.objects.count()
    result = seed_json()
    assert (result["status"], result["created"], result["updated"]) == (
        "updated", {"campaigns": 1}, {})
    assert result["bia"] == {"signed_off": 22, "submitted": 4, "draft": 7, "missing": 2,
                             "campaigns": 3}
    assert list(BusinessImpactAnalysis.objects.filter(activity=urg).order_by(
        "version").values_list("version", "status")) == [(1, "signed_off"), (2, "draft")]
    assert AuditEntry.objects.count() == entries + 1
    # The signer is put back too if someone removed it.
    User.objects.get(username="direction.demo").delete()
    assert seed_json()["created"] == {"users": 1, "memberships": 1}
    assert Membership.objects.get(user__username="direction.demo").role == "admin"
    assert verify_chain().ok

