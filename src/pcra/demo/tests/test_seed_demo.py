"""`pcra seed_demo`: the demo GHT is big enough, valid, acyclic, audited, and its single
points of failure tell a story.

The tests here share one seeding (about 2 s) and must not write: the audit-chain check counts
on the module's entries being the only ones. Tests that write live in test_seed_demo_again.py.
"""

import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.demo import data
from pcra.demo.tests.helpers import edges_by_code, seed, spec_edges, totals
from pcra.inventory.graph import find_cycle
from pcra.inventory.models import Dependency, Node
from pcra.inventory.selectors import load_graph
from pcra.organizations.finess import is_valid_finess
from pcra.organizations.models import Organization


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo seeded once for the module (about 2 s), inside a transaction rolled back at
    the end of the module; each test still runs in its own savepoint (the ``db`` fixture)."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded_demo, db):
    return Organization.objects.get(code=data.GHT_CODE), seeded_demo


def test_demo_has_the_promised_size_and_matches_its_definition(demo):
    ght, output = demo
    spec = data.build()
    expected = {"organizations": 1 + len(spec.organizations),
                "activities": spec.count("activity"), "applications": spec.count("application"),
                "components": spec.count("component"), "dependencies": len(spec.edges)}
    assert totals(ght) == expected
    assert expected["activities"] >= 25 and expected["applications"] >= 60
    assert expected["components"] >= 150
    assert output.splitlines()[0].startswith(
        "Created GHT-VDS – GHT Val de Sauldre in ")
    assert output.splitlines()[0].endswith(
        f": {expected['organizations']} organizations, {expected['activities']} activities, "
        f"{expected['applications']} applications, {expected['components']} components, "
        f"{expected['dependencies']} dependencies.")
    assert edges_by_code(ght) == spec_edges(spec)


def test_demo_organizations_have_valid_finess_and_weights(demo):
    ght, _ = demo
    below = Organization.objects.filter(root=ght)
    assert Counter(below.values_list("kind", flat=True)) == {"EJ": 3, "ET": 4}
    assert all(is_valid_finess(o.finess) for o in below)
    assert all(o.activity_weight > 0 for o in below)
    # an EJ weighs what its establishments weigh
    for ej in below.filter(kind="EJ"):
        assert ej.activity_weight == sum(et.activity_weight for et in ej.children.all())


def test_demo_covers_the_kinds_users_will_look_for(demo):
    ght, _ = demo
    nodes = Node.objects.filter(top=ght)
    assert set(nodes.activities().values_list("activity_kind", flat=True)) == {
        "soins", "administratif", "plateau_technique", "support"}
    assert set(nodes.applications().values_list("hosting", flat=True)) == {
        "local", "hebergeur_hds", "saas"}
    assert set(nodes.components().values_list("component_kind", flat=True)) == {
        "serveur", "vm", "base_de_donnees", "stockage", "reseau", "annuaire", "hyperviseur",
        "site", "energie", "saas", "fournisseur", "personnel", "autre"}
    declared = nodes.activities().exclude(declared_dmia_hours=None)
    assert set(declared.values_list("code", flat=True)) == {"SAMU", "PAIE-RH", "DIALYSE"}
    assert all(a.declared_dmia_reason.strip() for a in declared)
    assert not nodes.activities().filter(owner="").exists()
    assert not nodes.activities().filter(pdma_hours=None).exists()
    assert not nodes.applications().filter(restore_hours_estimate=None).exists()
    assert set(nodes.components().exclude(recovery_team="").values_list(
        "recovery_team", flat=True)) == {"Système", "Réseau", "Applicatif", "Bases de données",
                                        "Biomédical", "Services techniques", "Fournisseur"}
    # only people have no recovery team
    assert set(nodes.components().filter(recovery_team="").values_list(
        "component_kind", flat=True)) == {"personnel"}
    autonomy = dict(Dependency.objects.filter(top=ght).values_list(
        "source__code", "degraded_autonomy_hours").filter(
        target__code__in=["DPI", "PAIE"], source__code__in=["URG", "PAIE-RH"]))
    assert autonomy == {"URG": Decimal("4.00"), "PAIE-RH": Decimal("72.00")}


def test_demo_graph_is_acyclic_and_audit_chain_holds(demo):
    ght, _ = demo
    pairs = Dependency.objects.filter(top=ght).values_list("source_id", "target_id")
    assert find_cycle(pairs) is None
    spec = data.build()
    # one audit entry per object written
    assert AuditEntry.objects.count() == 1 + len(spec.organizations) + len(spec.nodes) + len(
        spec.edges)
    assert verify_chain().ok


def test_demo_has_single_points_of_failure_and_protected_activities(demo):
    ght, output = demo
    graph = load_graph(top_id=ght.pk)
    nodes = {pk: (code, node_type) for pk, code, node_type in Node.objects.filter(
        top=ght).values_list("id", "code", "node_type")}
    candidates = [pk for pk, (_, node_type) in nodes.items() if node_type != "activity"]
    spof = {nodes[k][0]: {nodes[a][0] for a in v}
            for k, v in graph.single_points_of_failure(candidates).items()}
    assert spof["NET-WAN-LRM"] == {"MED-LRM", "URG-LRM"}
    assert spof["SRV-DIAL-LRM"] == {"DIALYSE"}
    assert spof["SUP-PAYSOFT"] == {"PAIE-RH"}
    assert spof["VM-LICENCES"] == {"BLOC", "REA"}
    assert spof["PERS-UPC"] == {"UPC"}
    assert {"IDV", "LABO", "IMAGERIE"} <= spof["EAI"]
    for redundant in ("NET-CORE-1", "NET-CORE-2", "AD-DC1", "AD-DC2", "ESX-A1", "DB-ORA-1",
                      "VM-DPI-1", "PWR-DC1-GE", "NET-INET-1"):
        assert redundant not in spof
    everything = {code for code, node_type in nodes.values() if node_type == "activity"}
    # The switchboard survives any single loss, thanks to activity-level alternatives …
    assert everything - set().union(*spof.values()) == {"STANDARD"}
    assert set(Dependency.objects.filter(source__code="STANDARD", top=ght).values_list(
        "target__code", "redundancy_group")) == {("TOIP", "telephonie"),
                                                 ("NET-LIGNES-SECOURS", "telephonie")}
    # … and the SAMU and general medicine survive the loss of any single component.
    types = dict(nodes.values())
    hit_by_components = set().union(*(
        impacted for code, impacted in spof.items() if types[code] == "component"))
    assert everything - hit_by_components == {"MED-PAS", "SAMU", "SMR", "STANDARD"}
    assert output.splitlines()[1] == (
        f"{len(spof)} single points of failure (applications and components whose loss alone "
        "stops an activity); activities that survive any single loss: STANDARD.")


def test_report_impact_on_the_demo(demo):
    def report(*codes):
        out = io.StringIO()
        call_command("report_impact", *codes, "--json", stdout=out)
        return json.loads(out.getvalue())

    assert report("NET-WAN-LRM") == {"lost": ["NET-WAN-LRM"],
                                     "impacted_activities": ["MED-LRM", "URG-LRM"]}
    phone = ["BRANCARDAGE", "CONSULT", "MED-PAS", "SMR", "URG", "URG-LRM"]
    assert report("TOIP") == {"lost": ["TOIP"], "impacted_activities": phone}
    assert report("TOIP", "NET-LIGNES-SECOURS") == {
        "lost": ["NET-LIGNES-SECOURS", "TOIP"],
        "impacted_activities": sorted([*phone, "STANDARD"])}
    assert report("NET-CORE-1") == {"lost": ["NET-CORE-1"], "impacted_activities": []}
