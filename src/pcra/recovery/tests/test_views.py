"""Recovery pages for every persona (owner = editor of ET-A1, member = viewer of ET-A1,
outsider = editor of ET-A2, stranger = admin of GHT-B, ght_admin = admin of GHT-A): the index,
scenarios (form and meaning errors), a plan requested from the page and computed by the job,
its page (Gantt, activities, reasons), the runbook and the PDF, and what a user of another
establishment sees of a GHT-wide plan: bars without names."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.urls import reverse

from pcra.core.testing import make_edge, make_node
from pcra.impact.services import bia_set_levels, bia_start
from pcra.recovery import services
from pcra.recovery.models import PlanState, RecoveryPlan, RecoveryTeam, Scenario, ScenarioKind


@pytest.fixture(autouse=True)
def en(settings, english):
    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def ght(world):
    w = world
    urg = make_node(org=w.et_a1, node_type="activity", code="URG-A1", name="Urgences A1")
    dpi = make_node(org=w.et_a1, node_type="application", code="DPI-A1", name="Dossier A1",
                    restore_hours_estimate=3)
    vm = make_node(org=w.et_a1, node_type="component", code="VM-A1", name="VM A1",
                   component_kind="vm", recovery_team="Système", restore_hours_estimate=2)
    mat = make_node(org=w.et_a2, node_type="activity", code="MAT-A2", name="Maternité A2")
    lab = make_node(org=w.et_a2, node_type="application", code="LAB-A2", name="Labo A2",
                    restore_hours_estimate=1)
    ad = make_node(org=w.ght_a, node_type="component", code="AD", name="Annuaire",
                   component_kind="annuaire", recovery_team="Système", restore_hours_estimate=1)
    for source, target in [(urg, dpi), (dpi, vm), (dpi, ad), (mat, lab), (lab, ad)]:
        make_edge(source, target)
    for activity in (urg, mat):
        bia = bia_start(activity=activity)
        bia_set_levels(bia=bia, levels={("securite_patients", "h4"): 4})
    services.team_create(top=w.ght_a, name="Système", capacity=1)
    whole = services.scenario_create(top=w.ght_a, code="rancongiciel", name="Ransomware GHT",
                                     kind=ScenarioKind.RANSOMWARE)
    mine = services.scenario_create(top=w.ght_a, code="r-a1", name="Ransomware A1",
                                    organization=w.et_a1, kind=ScenarioKind.RANSOMWARE)
    return {"whole": whole, "mine": mine}


def computed(scenario) -> RecoveryPlan:
    plan = services.plan_compute(services.plan_request(scenario=scenario, time_limit_seconds=5,
                                                       enqueue=False))
    assert plan.state == PlanState.DONE, plan.error
    return plan


def test_index_lists_the_scenarios_each_user_may_see(client, world, ght):
    computed(ght["whole"])
    client.force_login(world.owner)
    page = client.get(reverse("recovery:index")).content.decode()
    assert "Ransomware GHT" in page and "Ransomware A1" in page
    client.force_login(world.outsider)
    page = client.get(reverse("recovery:index")).content.decode()
    assert "Ransomware GHT" in page and "Ransomware A1" not in page
    client.force_login(world.stranger)  # GHT-B: neither
    page = client.get(reverse("recovery:index")).content.decode()
    assert "Ransomware" not in page


def test_scenario_form_creates_and_names_meaning_errors(client, world, ght):
    client.force_login(world.owner)
    url = reverse("recovery:scenario_create") + f"?top={world.ght_a.uuid}"
    page = client.get(url).content.decode()
    assert "ET-A1" in page and 'value="' + str(world.ght_a.uuid) + '"' not in page  # not GHT
    response = client.post(url, {"organization": str(world.et_a1.uuid), "code": "site-x",
                                 "name": "Site X", "kind": "site", "site": ""})
    assert response.status_code == 200
    assert "Name the site that is lost." in response.content.decode()
    assert not Scenario.objects.filter(code="site-x").exists()
    response = client.post(url, {"organization": str(world.et_a1.uuid), "code": "custom-x",
                                 "name": "Custom X", "kind": "custom",
                                 "nodes": [str(make_node(org=world.et_a1,
                                                         node_type="application",
                                                         code="X", name="X").uuid)]})
    created = Scenario.objects.get(code="custom-x")
    assert response.status_code == 302 and created.organization == world.et_a1
    assert list(created.nodes.values_list("code", flat=True)) == ["X"]
    # A viewer may not create; an editor of ET-A2 may not touch ET-A1's scenario.
    client.force_login(world.member)
    assert client.get(url).status_code == 403
    client.force_login(world.outsider)
    edit = reverse("recovery:scenario_edit", kwargs={"uuid": ght["mine"].uuid})
    assert client.get(edit).status_code == 404


def test_plan_requested_from_the_page_is_computed_and_shown(client, world, ght,
                                                           django_capture_on_commit_callbacks):
    client.force_login(world.owner)
    url = reverse("recovery:scenario_detail", kwargs={"uuid": ght["mine"].uuid})
    page = client.get(url).content.decode()
    assert "DPI-A1" in page and "VM-A1" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"time_limit_seconds": "5", "seed": "0",
                                     "team_capacity": ""})
    assert response.status_code == 302
    plan = RecoveryPlan.objects.get(scenario=ght["mine"])
    assert plan.state == PlanState.DONE, plan.error  # the job ran inline
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "Gantt chart" in page
    assert "URG-A1" in page and "waits for VM-A1 – VM A1" in page
    # Who found the schedule, in words (not the solver's token).
    assert plan.method_label != plan.method and f"{plan.method_label} · " in page
    assert client.get(reverse("recovery:plan_progress",
                              kwargs={"uuid": plan.uuid})).json()["finished"] is True
    runbook = client.get(reverse("recovery:plan_runbook", kwargs={"uuid": plan.uuid}))
    text = runbook.content.decode()
    assert "Système" in text and "after VM-A1 – VM A1" in text  # DPI-A1's step
    # A viewer reads the plan but may not request one.
    client.force_login(world.member)
    assert client.get(response["Location"]).status_code == 200
    assert client.post(url, {"time_limit_seconds": "5", "seed": "0"}).status_code == 403
    # Bad parameters are named.
    client.force_login(world.owner)
    page = client.post(url, {"time_limit_seconds": "0", "seed": "x"}).content.decode()
    assert "Ensure this value is greater than or equal to 1." in page


def test_another_establishment_sees_a_ght_wide_plan_without_names(client, world, ght):
    plan = computed(ght["whole"])
    url = reverse("recovery:plan_detail", kwargs={"uuid": plan.uuid})
    client.force_login(world.outsider)
    page = client.get(url).content.decode()
    assert "MAT-A2" in page and "LAB-A2" in page
    for secret in ("URG-A1", "DPI-A1", "VM-A1", "Urgences A1", "Dossier A1"):
        assert secret not in page
    assert "tasks of other establishments are drawn without their names" in page
    runbook = client.get(reverse("recovery:plan_runbook", kwargs={"uuid": plan.uuid}))
    assert "DPI-A1" not in runbook.content.decode()
    client.force_login(world.stranger)
    assert client.get(url).status_code == 404


def test_the_task_table_is_filtered_and_paged(client, world, ght, monkeypatch):
    from pcra.recovery import views
    plan = computed(ght["whole"])
    url = reverse("recovery:plan_detail", kwargs={"uuid": plan.uuid})
    client.force_login(world.ght_admin)

    def table(query: str) -> str:
        page = client.get(url + query).content.decode()
        return page[page.index('id="tasks"'):]

    everything = table("")
    assert all(code in everything for code in ("VM-A1", "AD", "DPI-A1", "LAB-A2", "URG-A1"))
    by_team = table("?team=Système")  # the two restores of the Système team only
    assert "VM-A1" in by_team and "AD</code>" in by_team and "DPI-A1" not in by_team
    assert "2 tasks" in by_team
    searched = table("?q=labo")  # by name, any case
    assert "LAB-A2" in searched and "VM-A1" not in searched and "1 task" in searched
    assert "No task matches." in table("?q=nothing-like-this")
    monkeypatch.setattr(views, "TASKS_PER_PAGE", 1)
    first = table("?team=Système")
    assert "1–1 of 2" in first and "?team=Syst%C3%A8me&amp;page=2" in first
    second = table("?team=Système&page=2")
    assert "2–2 of 2" in second and ("VM-A1" in first) != ("VM-A1" in second)
    # Names another establishment may not see are not searchable either.
    client.force_login(world.outsider)
    assert "No task matches." in table("?q=urg")


def test_pdf_holds_the_plan(client, world, ght, tmp_path):
    plan = computed(ght["mine"])
    client.force_login(world.owner)
    response = client.get(reverse("recovery:plan_pdf", kwargs={"uuid": plan.uuid}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Recovery plan: Ransomware A1" in text
    assert re.search(r"URG-A1.*Urgences A1", text)
    assert "Runbook per team" in text and "Système" in text


def test_teams_are_changed_by_ght_editors_only(client, world, ght):
    team = RecoveryTeam.objects.get(name="Système")
    edit = reverse("recovery:team_edit", kwargs={"uuid": team.uuid})
    client.force_login(world.owner)  # an establishment's editor
    assert client.get(edit).status_code == 404
    client.force_login(world.ght_admin)
    response = client.post(edit, {"name": "Système", "capacity": "3", "description": "N1"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.capacity == 3
    create = reverse("recovery:team_create") + f"?top={world.ght_a.uuid}"
    page = client.post(create, {"name": "Système", "capacity": "1"}).content.decode()
    assert "already has a team named Système" in page


def test_readiness_shows_the_achieved_rto_per_scenario(client, world, ght):
    plan = computed(ght["mine"])
    urg = plan.tasks.get(code="URG-A1")
    client.force_login(world.owner)
    page = client.get(reverse("readiness:activity", kwargs={"uuid": urg.node.uuid}))
    text = page.content.decode()
    assert "Achieved RTO per scenario" in text and "Ransomware A1" in text
    assert reverse("recovery:plan_detail", kwargs={"uuid": plan.uuid}) in text
    # A reader of another establishment does not see ET-A1's own scenario on its activities.
    mat = computed(ght["whole"]).tasks.get(code="MAT-A2")
    client.force_login(world.outsider)
    text = client.get(reverse("readiness:activity", kwargs={"uuid": mat.node.uuid})
                      ).content.decode()
    assert "Ransomware GHT" in text and "Ransomware A1" not in text


def test_notes_and_errors_name_only_what_the_reader_may_see(client, world, ght):
    make_node(org=world.et_a1, node_type="component", code="SECRET-A1", name="Secret",
              component_kind="vm")  # lost by the GHT's ransomware, no duration known
    plan = computed(ght["whole"])
    assert any(n["code"] == "assumed_durations" and "SECRET-A1" in n["nodes"]
               for n in plan.notes)
    url = reverse("recovery:plan_detail", kwargs={"uuid": plan.uuid})
    client.force_login(world.owner)
    assert "SECRET-A1" in client.get(url).content.decode()
    client.force_login(world.outsider)
    page = client.get(url).content.decode()
    assert "SECRET-A1" not in page and "1 task of another establishment" in page
    # A failure's message may name any node: the GHT's readers only see it.
    RecoveryPlan.objects.filter(pk=plan.pk).update(state=PlanState.FAILED,
                                                   error="KeyError: 'SECRET-A1'")
    progress = reverse("recovery:plan_progress", kwargs={"uuid": plan.uuid})
    page = client.get(url).content.decode()
    assert "SECRET-A1" not in page and "the GHT&#x27;s administrators can see why" in page
    assert "SECRET-A1" not in client.get(progress).content.decode()
    client.force_login(world.ght_admin)
    assert "KeyError: &#x27;SECRET-A1&#x27;" in client.get(url).content.decode()


def test_the_scenario_form_groups_nodes_by_establishment_shared_ones_first(client, world, ght):
    client.force_login(world.ght_admin)
    page = client.get(reverse("recovery:scenario_create")
                      + f"?top={world.ght_a.uuid}").content.decode()
    assert page.index('<optgroup label="GHT-A') < page.index('<optgroup label="ET-A1')
    assert page.index("AD – Annuaire") < page.index('<optgroup label="ET-A1')
    assert "data-filterable" in page
