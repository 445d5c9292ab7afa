"""The recovery services on the database: what each scenario loses, scenario rules, the standard
scenarios, and the whole computation of a plan (graph, measured and declared durations, BIA,
teams → schedule, groups plan, explanations), its failures and its expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pcra.core.testing import make_edge, make_node
from pcra.impact.services import bia_set_levels, bia_start
from pcra.recovery import services
from pcra.recovery.models import PlanState, PlanTask, RecoveryPlan, ScenarioKind
from pcra.recovery.scheduler.checker import violations
from pcra.recovery.scheduler.formats import read_json_problem


@pytest.fixture(autouse=True)
def _english(settings, english):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def hospital(world):
    """ET-A1: emergencies (DMIA 4 h) need the DPI, which needs a database VM and the directory;
    the lab (DMIA 24 h) needs the SIL on a second VM; a SaaS application depends on a supplier;
    ET-A2 has its own server; a site component holds the VMs."""
    w = world
    n = {}
    n["URG"] = make_node(org=w.et_a1, node_type="activity", code="URG", name="Urgences")
    n["LABO"] = make_node(org=w.et_a1, node_type="activity", code="LABO", name="Laboratoire")
    n["DPI"] = make_node(org=w.et_a1, node_type="application", code="DPI", name="DPI",
                         restore_hours_estimate=2)
    n["SIL"] = make_node(org=w.et_a1, node_type="application", code="SIL", name="SIL",
                         restore_hours_estimate=3)
    n["VM-DB"] = make_node(org=w.et_a1, node_type="component", code="VM-DB", name="VM base",
                           component_kind="vm", site="DC1", recovery_team="Système",
                           restore_hours_estimate=1.5)
    n["VM-SIL"] = make_node(org=w.et_a1, node_type="component", code="VM-SIL", name="VM SIL",
                            component_kind="vm", site="DC1", recovery_team="Système",
                            restore_hours_estimate=1)
    n["AD"] = make_node(org=w.ght_a, node_type="component", code="AD", name="Annuaire",
                        component_kind="annuaire", recovery_team="Système",
                        restore_hours_estimate=4)
    n["DC1"] = make_node(org=w.ght_a, node_type="component", code="DC1", name="Salle 1",
                         component_kind="site", restore_hours_estimate=48)
    n["EDITEUR"] = make_node(org=w.ght_a, node_type="component", code="EDITEUR",
                             name="Éditeur", component_kind="fournisseur",
                             restore_hours_estimate=24)
    n["TELE"] = make_node(org=w.et_a1, node_type="application", code="TELE",
                          name="Téléconsultation", hosting="saas")
    n["SRV-A2"] = make_node(org=w.et_a2, node_type="component", code="SRV-A2",
                            name="Serveur A2", restore_hours_estimate=1)
    for source, target in [("URG", "DPI"), ("DPI", "VM-DB"), ("DPI", "AD"), ("LABO", "SIL"),
                           ("SIL", "VM-SIL"), ("SIL", "AD"), ("VM-DB", "DC1"),
                           ("VM-SIL", "DC1"), ("URG", "TELE"), ("TELE", "EDITEUR")]:
        make_edge(n[source], n[target])
    for code, horizon in (("URG", "h4"), ("LABO", "h24")):
        bia = bia_start(activity=n[code])
        bia_set_levels(bia=bia, levels={("securite_patients", horizon): 4,
                                        ("continuite_soins", horizon): 3})
    return n


def lost_codes(scenario, hospital) -> set[str]:
    nodes = list(hospital.values())
    return {n.code for n in nodes if n.pk in services.lost_nodes(scenario, nodes)}


def test_ransomware_of_the_whole_ght_encrypts_it_applications_and_components(world, hospital):
    scenario = services.scenario_create(top=world.ght_a, code="r", name="R",
                                        kind=ScenarioKind.RANSOMWARE)
    # Not the site, the supplier or the SaaS application: they are not on the IS.
    assert lost_codes(scenario, hospital) == {"DPI", "SIL", "VM-DB", "VM-SIL", "AD", "SRV-A2"}


def test_ransomware_of_one_establishment_spares_the_others_and_shared_nodes(world, hospital):
    scenario = services.scenario_create(top=world.ght_a, code="r", name="R",
                                        kind=ScenarioKind.RANSOMWARE, scope=[world.et_a2])
    assert lost_codes(scenario, hospital) == {"SRV-A2"}
    scenario = services.scenario_create(top=world.ght_a, code="r1", name="R1",
                                        organization=world.et_a1, kind=ScenarioKind.RANSOMWARE)
    assert lost_codes(scenario, hospital) == {"DPI", "SIL", "VM-DB", "VM-SIL"}


def test_site_supplier_and_hand_picked_scenarios(world, hospital):
    site = services.scenario_create(top=world.ght_a, code="s", name="S",
                                    kind=ScenarioKind.SITE, site="dc1")
    assert lost_codes(site, hospital) == {"DC1", "VM-DB", "VM-SIL"}
    supplier = services.scenario_create(top=world.ght_a, code="f", name="F",
                                        kind=ScenarioKind.SUPPLIER, supplier=hospital["EDITEUR"])
    assert lost_codes(supplier, hospital) == {"EDITEUR"}
    custom = services.scenario_create(top=world.ght_a, code="c", name="C",
                                      kind=ScenarioKind.CUSTOM, nodes=[hospital["AD"]])
    assert lost_codes(custom, hospital) == {"AD"}


def test_scenario_rules_name_each_field(world, hospital):
    with pytest.raises(ValidationError) as exc:
        services.scenario_create(top=world.ght_a, code="", name="", kind=ScenarioKind.SITE)
    assert set(exc.value.message_dict) == {"code", "name", "site"}
    with pytest.raises(ValidationError) as exc:
        services.scenario_create(top=world.ght_a, code="f", name="F",
                                 kind=ScenarioKind.SUPPLIER, supplier=hospital["AD"])
    assert "supplier" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.scenario_create(top=world.ght_a, code="c", name="C", kind=ScenarioKind.CUSTOM)
    assert "nodes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.scenario_create(top=world.ght_a, code="r", name="R", organization=world.et_a1,
                                 kind=ScenarioKind.RANSOMWARE, scope=[world.et_a2])
    assert "scope" in exc.value.message_dict
    services.scenario_create(top=world.ght_a, code="r", name="R", kind=ScenarioKind.RANSOMWARE)
    with pytest.raises(ValidationError) as exc:
        services.scenario_create(top=world.ght_a, code="r", name="R2",
                                 kind=ScenarioKind.RANSOMWARE)
    assert "code" in exc.value.message_dict
    # Another GHT may use the same code.
    services.scenario_create(top=world.ght_b, code="r", name="R", kind=ScenarioKind.RANSOMWARE)


def test_standard_scenarios_are_created_once(world, hospital):
    make_node(org=world.et_a1, node_type="component", code="DC-A1", name="Salle A1",
              component_kind="site")
    made = {s.code: s for s in services.scenario_defaults(top=world.ght_a)}
    assert sorted(made) == ["fournisseur-editeur", "rancongiciel", "site-dc-a1", "site-dc1"]
    # A site of one establishment gives that establishment's scenario (named after its room);
    # the shared ones are the GHT's.
    assert made["site-dc-a1"].organization == world.et_a1
    assert made["site-dc1"].organization is None and made["rancongiciel"].organization is None
    assert services.scenario_defaults(top=world.ght_a) == []


def test_a_plan_is_computed_from_the_graph_the_durations_the_bia_and_the_teams(world,
                                                                               hospital):
    services.team_create(top=world.ght_a, name="Système", capacity=1)
    scenario = services.scenario_create(top=world.ght_a, code="r1", name="R1",
                                        organization=world.et_a1, kind=ScenarioKind.RANSOMWARE)
    plan = services.plan_request(scenario=scenario, time_limit_seconds=5, enqueue=False)
    plan = services.plan_compute(plan)
    assert plan.state == PlanState.DONE, plan.error
    tasks = {t.code: t for t in plan.tasks.all()}
    # The shared directory is not hit by a ransomware of ET-A1 alone: not in the plan.
    assert set(tasks) == {"URG", "LABO", "DPI", "SIL", "VM-DB", "VM-SIL"}
    assert tasks["VM-DB"].kind == "restore" and tasks["VM-DB"].team == "Système"
    assert tasks["DPI"].team == "DSI" and tasks["DPI"].duration_minutes == 120
    assert tasks["URG"].kind == "milestone" and tasks["URG"].due_minutes == 240
    assert tasks["LABO"].due_minutes == 24 * 60
    # One restore at a time for the system team; URG's chain first (its DMIA is the tightest).
    assert tasks["VM-DB"].start_minutes == 0 and tasks["VM-SIL"].start_minutes == 90
    assert tasks["URG"].end_minutes == 90 + 120 and tasks["URG"].lateness_minutes == 0
    assert plan.makespan_minutes == max(t.end_minutes for t in tasks.values())
    assert plan.lower_bound_minutes <= plan.makespan_minutes
    assert plan.weighted_lateness == 0 and plan.solver_status == "optimal"
    assert tasks["DPI"].reason["kind"] == "predecessor"
    assert tasks["DPI"].waits_for == ["VM-DB"]
    # The problem kept with the plan is the one solved; the plan is feasible for it.
    problem = read_json_problem(plan.problem_json)
    assert violations(problem, {t.code: t.start_minutes for t in tasks.values()}) == []
    assert violations(problem, {t.code: t.groups_start_minutes for t in tasks.values()}) == []
    assert plan.groups_weighted_lateness is not None and plan.groups_makespan_minutes


def test_restores_never_exceed_what_their_backup_infrastructure_serves_at_once(world,
                                                                            hospital):
    from pcra.backups.models import BackupCopy, BackupInfrastructure, DataAsset
    from pcra.recovery.views import reason_text

    infra = BackupInfrastructure.objects.create(top=world.ght_a, code="SAUV1", name="Sauvegarde",
                                                restore_streams=1)
    other = BackupInfrastructure.objects.create(top=world.ght_a, code="SAUV2", name="Bandes")
    for code in ("VM-DB", "VM-SIL", "DPI"):
        asset = DataAsset.objects.create(node=hospital[code])
        BackupCopy.objects.create(data_asset=asset, name="disque", engine="restic",
                                  media="disque", infrastructure=infra)
        # An offline copy elsewhere is preferred only when no restore test says otherwise;
        # for DPI it is on a tape infrastructure that serves any number of restores.
        if code == "DPI":
            BackupCopy.objects.create(data_asset=asset, name="bande", engine="autre",
                                      media="bande", offline=True, infrastructure=other)
    services.team_create(top=world.ght_a, name="Système", capacity=3)
    services.team_create(top=world.ght_a, name="DSI", capacity=3)
    scenario = services.scenario_create(top=world.ght_a, code="r1", name="R1",
                                        organization=world.et_a1, kind=ScenarioKind.RANSOMWARE)
    plan = services.plan_compute(services.plan_request(scenario=scenario, time_limit_seconds=5,
                                                       enqueue=False))
    assert plan.state == PlanState.DONE, plan.error
    tasks = {t.code: t for t in plan.tasks.all()}
    assert tasks["VM-DB"].stream == tasks["VM-SIL"].stream == "SAUV1"
    assert tasks["DPI"].stream == "" and tasks["SIL"].stream == ""  # SIL has no copy
    # The team could run both VMs at once; SAUV1 serves one restore at a time.
    first, second = sorted((tasks["VM-DB"], tasks["VM-SIL"]), key=lambda t: t.start_minutes)
    assert first.code == "VM-DB" and second.start_minutes >= first.end_minutes
    assert second.reason["kind"] == "resource" and second.reason["resource"] == "streams:SAUV1"
    text = reason_text(second.reason, {"VM-DB": "VM-DB – VM base"})
    assert text == "every restore SAUV1 serves at once in use until then (VM-DB – VM base)"
    assert {"code": "streams", "streams": {"SAUV1": 1}} in plan.notes
    problem = read_json_problem(plan.problem_json)
    assert violations(problem, {t.code: t.start_minutes for t in tasks.values()}) == []
    assert violations(problem, {t.code: t.groups_start_minutes for t in tasks.values()}) == []


def test_more_people_never_make_a_plan_later(world, hospital):
    scenario = services.scenario_create(top=world.ght_a, code="r", name="R",
                                        kind=ScenarioKind.RANSOMWARE)
    one = services.plan_compute(services.plan_request(scenario=scenario, time_limit_seconds=5,
                                                      team_capacity=1, enqueue=False))
    three = services.plan_compute(services.plan_request(scenario=scenario, time_limit_seconds=5,
                                                        team_capacity=3, enqueue=False))
    assert one.state == three.state == PlanState.DONE
    assert three.makespan_minutes <= one.makespan_minutes
    assert three.weighted_lateness <= one.weighted_lateness
    assert all(note["code"] != "undeclared_teams" for note in one.notes + three.notes)


def test_unknown_durations_and_undeclared_teams_are_flagged(world, hospital):
    hospital["DPI"].restore_hours_estimate = None
    hospital["DPI"].recovery_team = "Applicatif"
    hospital["DPI"].save()
    scenario = services.scenario_create(top=world.ght_a, code="c", name="C",
                                        kind=ScenarioKind.CUSTOM, nodes=[hospital["DPI"]])
    plan = services.plan_compute(services.plan_request(scenario=scenario, enqueue=False))
    assert plan.state == PlanState.DONE
    codes = {note["code"]: note for note in plan.notes}
    assert codes["assumed_durations"]["nodes"] == ["DPI"]
    assert codes["undeclared_teams"]["teams"] == ["Applicatif"]
    task = plan.tasks.get(code="DPI")
    assert task.duration_source == "unknown"
    assert task.duration_minutes == services.UNKNOWN_RESTORE_HOURS * 60


def test_a_supplier_outage_is_waited_for_without_a_team(world, hospital):
    scenario = next(s for s in services.scenario_defaults(top=world.ght_a)
                    if s.kind == ScenarioKind.SUPPLIER)
    plan = services.plan_compute(services.plan_request(scenario=scenario, enqueue=False))
    tasks = {t.code: t for t in plan.tasks.all()}
    assert tasks["EDITEUR"].kind == "external" and tasks["EDITEUR"].team == ""
    assert tasks["URG"].end_minutes == 24 * 60 and tasks["URG"].lateness_minutes == 20 * 60
    assert plan.weighted_lateness > 0


def test_a_failure_is_recorded_on_the_plan_and_nothing_half_written(world, hospital):
    scenario = services.scenario_create(top=world.ght_a, code="r", name="R",
                                        kind=ScenarioKind.RANSOMWARE)
    plan = services.plan_request(scenario=scenario, enqueue=False)
    scenario.delete()
    plan.refresh_from_db()
    plan = services.plan_compute(plan)
    assert plan.state == PlanState.FAILED and "deleted" in plan.error
    assert not PlanTask.objects.filter(plan=plan).exists()
    # A plan is computed once.
    assert services.plan_compute(plan).state == PlanState.FAILED


def test_plan_request_checks_its_parameters(world, hospital):
    scenario = services.scenario_create(top=world.ght_a, code="r", name="R",
                                        kind=ScenarioKind.RANSOMWARE)
    with pytest.raises(ValidationError) as exc:
        services.plan_request(scenario=scenario, time_limit_seconds=0, seed=-1,
                              team_capacity=0, enqueue=False)
    assert set(exc.value.message_dict) == {"time_limit_seconds", "seed", "team_capacity"}


def test_a_plan_left_running_by_a_stopped_worker_expires(world, hospital):
    scenario = services.scenario_create(top=world.ght_a, code="r", name="R",
                                        kind=ScenarioKind.RANSOMWARE)
    plan = services.plan_request(scenario=scenario, enqueue=False)
    RecoveryPlan.objects.filter(pk=plan.pk).update(
        state=PlanState.RUNNING, started_at=timezone.now() - dt.timedelta(hours=2))
    assert services.plans_expire() == 1
    plan.refresh_from_db()
    assert plan.state == PlanState.FAILED and "interrupted" in plan.error
    assert services.plans_expire() == 0


def test_every_component_kind_is_either_encrypted_or_brought_back_from_outside():
    from pcra.inventory.models import ComponentKind, Hosting
    from pcra.recovery import taskgraph

    assert taskgraph.ENCRYPTED_KINDS | taskgraph.EXTERNAL_KINDS == set(ComponentKind.values)
    assert not taskgraph.ENCRYPTED_KINDS & taskgraph.EXTERNAL_KINDS
    assert taskgraph.EXTERNAL_HOSTING < set(Hosting.values)
