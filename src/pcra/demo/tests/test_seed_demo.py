"""`pcra seed_demo`: the demo GHT is big enough, valid, acyclic, audited, its single points of
failure tell a story, and its BIA campaign is realistic and in progress.

The tests here share one seeding (about 2 s) and must not write: the audit-chain check counts
on the module's entries being the only ones. Tests that write live in test_seed_demo_again.py.
"""

import datetime as dt
import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from pcra.accounts.models import Membership
from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.demo import data
from pcra.demo import plans as demo_plans
from pcra.demo.recovery import TEAMS as RECOVERY_TEAMS
from pcra.demo.tests.helpers import (
    SCALE_ENTRIES,
    bia_entries,
    curves,
    edges_by_code,
    graph_entries,
    seed,
    spec_edges,
    totals,
)
from pcra.impact import selectors
from pcra.impact.models import BiaCampaign, BusinessImpactAnalysis
from pcra.inventory.graph import find_cycle
from pcra.inventory.models import Dependency, Node
from pcra.inventory.selectors import load_graph
from pcra.organizations.finess import is_valid_finess
from pcra.organizations.models import Organization
from pcra.plans.defaults import reflex_sheets


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
    # one audit entry per object written (and per BIA status change), nothing else
    kinds = Counter(n.fields.get("component_kind") for n in spec.nodes)
    recovery = Counter({("recovery.recoveryteam", "create"): len(RECOVERY_TEAMS),
                        # ransomware, each site, each supplier
                        ("recovery.scenario", "create"): 1 + kinds["site"] + kinds["fournisseur"]})
    sheets = reflex_sheets("fr")
    plans = Counter({
        ("plans.contact", "create"): len(demo_plans.CONTACTS),
        ("plans.reflexsheet", "create"): len(sheets),
        ("plans.reflexstep", "create"): sum(len(s["steps"]) for s in sheets),
        ("plans.continuityplan", "create"): len(demo_plans.PLANS),
        # each plan's links written at its creation, then submitted, then approved
        ("plans.continuityplan", "update"): 3 * len(demo_plans.PLANS),
        ("plans.planstep", "create"): sum(len(p["steps"]) for p in demo_plans.PLANS)})
    expected = (graph_entries(spec) + SCALE_ENTRIES + bia_entries(spec) + recovery + plans
                + Counter({("accounts.user", "create"): 1, ("accounts.membership", "create"): 1}))
    assert Counter(AuditEntry.objects.values_list("model", "action")) == expected
    # 31 complete grids, imaging's version 2 (a copy of its 36 levels), a half-filled draft
    assert expected["impact.impactlevel", "create"] == 31 * 36 + 36 + 8
    assert expected["impact.impactlevel", "update"] == 7  # imaging's version 2
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


def test_demo_bia_campaign_is_in_progress(demo):
    ght, output = demo
    from pcra.demo.services import bia_totals

    assert bia_totals(ght) == {"signed_off": 23, "submitted": 4, "draft": 5, "missing": 3,
                               "campaigns": 3}
    assert output.splitlines()[2] == (
        "BIA: 23 signed off, 4 submitted, 5 in draft, 3 activities without BIA; 3 BIA "
        "campaigns.")
    rows = {r.activity.code: r for r in selectors.bia_rows_of_top(top_id=ght.pk)}
    by_status: dict[str, set] = {}
    for code, row in rows.items():
        by_status.setdefault(row.status, set()).add(code)
    assert by_status["missing"] == {"BRANCARDAGE", "COORDINATION", "MED-RCB"}
    assert by_status["submitted"] == {"IDV", "FINANCES", "SMR", "MED-LRM"}
    assert by_status["draft"] == {"ENDOSCOPIE", "EHPAD", "DIM", "SURETE", "IMAGERIE"}
    # Imaging revises its signed-off BIA: the draft version 2 is not in force yet.
    imaging = rows["IMAGERIE"]
    assert (imaging.current.version, imaging.effective.version,
            imaging.effective.status) == (2, 1, "signed_off")
    # The EHPAD's draft is half filled in.
    assert len(rows["EHPAD"].levels) == 8


def test_demo_bia_is_realistic(demo):
    ght, _ = demo
    rows = {r.activity.code: r for r in selectors.bia_rows_of_top(top_id=ght.pk)}
    dmia = {code: (r.dmia_hours, r.dmia_source) for code, r in rows.items()}
    computed = "computed"
    assert dmia == {
        # care: within the hour for the most critical, later for the others
        "URG": (1.0, computed), "SAMU": (0.5, "declared"), "REA": (1.0, computed),
        "MAT": (1.0, computed), "NEO": (1.0, computed), "CARDIO-USIC": (1.0, computed),
        "URG-LRM": (1.0, computed), "DEPOT-SANG": (1.0, computed), "BLOC": (4.0, computed),
        "ONCO": (24.0, computed), "MED-PAS": (24.0, computed), "MED-LRM": (24.0, computed),
        "DIALYSE": (24.0, "declared"), "ENDOSCOPIE": (72.0, computed), "SMR": (72.0, computed),
        "EHPAD": (72.0, computed), "CONSULT": (168.0, computed), "MED-RCB": (None, computed),
        # medico-technical platforms: 4 h to 24 h (sterilisation has stocks)
        "LABO": (4.0, computed), "IMAGERIE": (4.0, computed), "PUI": (24.0, computed),
        "UPC": (24.0, computed), "STERILISATION": (72.0, computed),
        # administration: 72 h to a month
        "ADM-FACT": (72.0, computed), "IDV": (72.0, computed), "PAIE-RH": (120.0, "declared"),
        "ACHATS-APPRO": (168.0, computed), "FINANCES": (720.0, computed),
        "DIM": (720.0, computed),
        # support: late or never
        "STANDARD": (168.0, computed), "BIOMEDICAL": (168.0, computed),
        "RESTAURATION": (None, computed), "SURETE": (None, computed),
        "BRANCARDAGE": (None, computed), "COORDINATION": (None, computed)}
    # What drives the DMIA: patient safety for critical care, money and law for payroll,
    # billing and purchasing.
    for code in ("URG", "SAMU", "REA", "MAT", "NEO", "DEPOT-SANG", "URG-LRM"):
        assert rows[code].levels[("securite_patients", "h1")] >= 3, code
    for code in ("ADM-FACT", "ACHATS-APPRO", "PAIE-RH", "FINANCES"):
        assert max(curves(rows[code].levels)["securite_patients"]) < 3, code
        assert max(curves(rows[code].levels)["financier"]) >= 3, code
    # Levels never decrease over time.
    for bia in BusinessImpactAnalysis.objects.filter(activity__top=ght).prefetch_related(
            "levels__criterion", "levels__horizon"):
        levels = {(lv.criterion.code, lv.horizon.code): lv.level for lv in bia.levels.all()}
        for criterion, curve in curves(levels).items():
            assert curve == sorted(curve), (bia, criterion)
    # The computed DMIA the declarations override is longer for dialysis and payroll.
    assert (rows["DIALYSE"].computed_dmia_hours, rows["PAIE-RH"].computed_dmia_hours) == (
        72.0, 168.0)
    assert {r.activity.code: r.pdma_hours for r in rows.values()
            if r.activity.code in ("URG", "SAMU", "PAIE-RH")} == {
        "URG": 1.0, "SAMU": 0.5, "PAIE-RH": 24.0}


def test_demo_bias_are_signed_by_a_direction_account_that_cannot_log_in(demo):
    ght, _ = demo
    signed = BusinessImpactAnalysis.objects.filter(activity__top=ght, status="signed_off")
    assert signed.count() == 24  # 23 activities, and imaging's version 1
    assert set(signed.values_list("signed_off_by__username", "signed_off_by_name")) == {
        ("direction.demo", "Direction générale (démo)")}
    signer = signed.first().signed_off_by
    assert not signer.has_usable_password() and signer.email == ""
    assert set(Membership.objects.filter(user=signer).values_list(
        "organization__code", "role")) == {("GHT-VDS", "admin")}
    # What was signed is kept with the signature.
    urg = signed.get(activity__code="URG")
    assert (urg.signoff["dmia_hours"], urg.signoff["dmia_source"], urg.signoff["pdma_hours"],
            len(urg.signoff["levels"])) == (1.0, "computed", 1.0, 36)


def test_demo_has_one_campaign_per_legal_entity_one_past_due(demo):
    ght, _ = demo
    today = timezone.localdate()
    campaigns = {c.organization.code: (c.name, c.starts_on - today, c.due_on - today)
                 for c in BiaCampaign.objects.select_related("organization")}
    days = dt.timedelta
    assert campaigns == {
        "CH-MCS": ("Campagne BIA 2026 – CH de Montclair-sur-Sauldre", days(-90), days(45)),
        "CH-LRM": ("Campagne BIA 2026 – CH de Lormeaux-les-Bois", days(-120), days(-10)),
        "HP-RCB": ("Campagne BIA 2026 – Hôpital de proximité de Rochebrune", days(-30),
                   days(90))}
    assert [c for c, (_name, _start, due) in campaigns.items() if due < days(0)] == ["CH-LRM"]



def test_demo_ships_the_three_mandatory_plans_approved(demo):
    from pcra.plans.models import ContinuityPlan, PlanStatus, ReflexSheet
    from pcra.plans.selectors import binder, coverage_of_top

    ght, _ = demo
    approved = ContinuityPlan.objects.filter(top=ght, status=PlanStatus.APPROVED)
    assert sorted(approved.values_list("code", flat=True)) == [
        "pcra-facturation", "pcra-laboratoire", "pcra-urgences"]
    cover = coverage_of_top(top_id=ght.pk)
    assert cover.missing_categories == []
    assert {row.entity.code for row in cover.entities if row.covered} == {"CH-MCS-PAS",
                                                                          "CH-LRM-ET"}
    assert cover.meets_rule and round(float(cover.share), 3) == round(800 / 1095, 3)
    whole = binder(organization=ght)
    assert len(whole.plans) == 3 and len(whole.reflex_sheets) == ReflexSheet.objects.count() == 5
    assert [c["crisis_role"] for c in whole.contacts][:2] == ["Directrice de crise",
                                                              "Directeur de crise suppléant"]
