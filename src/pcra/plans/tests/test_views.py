"""The plans' pages for each persona: who sees, who writes, who approves (CONVENTIONS 4)."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from django.urls import reverse

from pcra.core.testing import make_node
from pcra.plans import selectors, services
from pcra.plans.models import Contact, ContinuityPlan, PlanStatus, ReflexSheet
from pcra.plans.tests.factories import approve, ready_plan

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.force_login(user)
    return client


def _steps(rows):
    data = {"steps-TOTAL_FORMS": str(len(rows)), "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{i}-{key}"] = value
    return data


def test_index_shows_coverage_and_plans_of_the_users_gh(client, world, english):
    plan = ready_plan(world)
    approve(plan, world.ght_admin)
    response = _client(client, world.member).get(reverse("plans:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "PCRA urg" in body and "pcra-urgences" not in body
    assert [row.entity.code for row in response.context["coverage_rows"]] == ["ET-A1"]
    assert response.context["show_share"] is False  # a viewer of ET-A1, not of the GHT
    assert not response.context["can_create"]
    stranger = _client(client, world.stranger).get(reverse("plans:index"))
    assert stranger.context["rows"] == []


def test_plan_pages_are_scoped(client, world):
    plan = ready_plan(world)
    url = reverse("plans:plan_detail", kwargs={"uuid": plan.uuid})
    assert _client(client, world.member).get(url).status_code == 200
    assert _client(client, world.outsider).get(url).status_code == 404
    assert _client(client, world.stranger).get(url).status_code == 404
    # A plan that applies to ET-A2 is readable by its people.
    services.plan_update(plan=plan, establishments=[world.et_a1])
    shared = ready_plan(world, "shared", org=world.ej_a)
    services.plan_update(plan=shared, establishments=[world.et_a2])
    shared_url = reverse("plans:plan_detail", kwargs={"uuid": shared.uuid})
    assert _client(client, world.outsider).get(shared_url).status_code == 200


def test_create_a_plan_with_its_steps(client, world, english):
    activity = make_node(org=world.et_a1, node_type="activity", code="URG", name="Urgences")
    data = {"top": str(world.ght_a.uuid), "organization": str(world.et_a1.uuid),
            "code": "pcra-urg", "title": "PCRA urgences", "activities": [str(activity.uuid)],
            "scenarios": ["si_indisponible", "personnel"],
            "trigger_criteria": "DPI en panne", "trigger_authority": "Chef de service",
            **_steps([{"ORDER": "2", "phase": "degraded", "who": "IDE", "action": "Papier"},
                      {"ORDER": "1", "phase": "degraded", "who": "Cadre",
                       "action": "Classeur", "when": "T+0"},
                      {"ORDER": "", "phase": "degraded", "who": "", "action": ""},
                      {"ORDER": "3", "phase": "return", "who": "Cadre",
                       "action": "Ressaisie"}])}
    assert _client(client, world.member).post(reverse("plans:plan_create"), data
                                              ).status_code == 403
    response = _client(client, world.owner).post(reverse("plans:plan_create"), data)
    plan = ContinuityPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:plan_detail", kwargs={"uuid": plan.uuid})
    assert list(plan.steps.values_list("phase", "position", "action")) == [
        ("degraded", 1, "Classeur"), ("degraded", 2, "Papier"), ("return", 1, "Ressaisie")]
    assert plan.establishments.get() == world.et_a1
    assert plan.scenarios == ["si_indisponible", "personnel"]


def test_a_refused_plan_changes_nothing(client, world):
    activity = make_node(org=world.et_a1, node_type="activity", code="URG")
    data = {"top": str(world.ght_a.uuid), "organization": str(world.et_a1.uuid),
            "code": "p", "title": "P", "activities": [str(activity.uuid)],
            "scenarios": ["site"],
            **_steps([{"ORDER": "1", "phase": "degraded", "who": "", "action": "x"}])}
    response = _client(client, world.owner).post(reverse("plans:plan_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"scenarios": [
        "Un PCRA couvre au moins le scénario « système d’information indisponible » "
        "(CaRE D2)."]}
    assert ContinuityPlan.objects.count() == 0


def test_workflow_by_role(client, world, english):
    plan = ready_plan(world)

    def act(user, action, target=None):
        target = target or plan
        return _client(client, user).post(reverse("plans:plan_action", kwargs={
            "uuid": target.uuid, "action": action}))

    assert act(world.member, "submit").status_code == 403
    assert act(world.outsider, "submit").status_code == 404
    assert act(world.owner, "submit").status_code == 302
    assert act(world.owner, "approve").status_code == 403  # an editor does not approve
    assert act(world.ght_admin, "approve").status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    edit = _client(client, world.owner).get(reverse("plans:plan_edit",
                                                    kwargs={"uuid": plan.uuid}))
    assert edit.status_code == 302  # approved: back to the page, with a message
    assert act(world.owner, "new_version").status_code == 302
    draft = ContinuityPlan.objects.get(version=2)
    page = _client(client, world.owner).get(reverse("plans:plan_detail",
                                                    kwargs={"uuid": draft.uuid}))
    assert [v.version for v in page.context["versions"]] == [2, 1]
    assert act(world.owner, "delete", draft).status_code == 302
    assert list(ContinuityPlan.objects.values_list("version", flat=True)) == [1]
    assert act(world.owner, "delete").status_code == 302  # refused: an approved version
    assert ContinuityPlan.objects.filter(pk=plan.pk).exists()
    assert act(world.owner, "explode").status_code == 404


def test_docx_reopens_with_the_plan(client, world):
    from docx import Document

    plan = ready_plan(world)
    approve(plan, world.ght_admin)
    response = _client(client, world.member).get(reverse("plans:plan_docx",
                                                         kwargs={"uuid": plan.uuid}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pcra-urg-v1.docx"'
    doc = Document(io.BytesIO(response.content))
    assert doc.core_properties.title == "PCRA urg"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Critères de déclenchement", "Qui déclenche et décide",
                            "Mode dégradé"]
    steps = doc.tables[1]
    assert [c.text for c in steps.rows[1].cells] == [
        "1", "T+15 min", "Cadre de santé", "Sortir le classeur de crise", "Poste de soins", ""]
    assert _client(client, world.outsider).get(reverse(
        "plans:plan_docx", kwargs={"uuid": plan.uuid})).status_code == 404


def test_binder_pdf(client, world, tmp_path):
    plan = ready_plan(world, title="PCRA des urgences")
    approve(plan, world.ght_admin)
    services.reflex_defaults(top=world.ght_a, language="en")
    url = f"{reverse('plans:binder_pdf')}?organization={world.et_a1.uuid}"
    response = _client(client, world.member).get(url)
    assert response.status_code == 200
    path = tmp_path / "binder.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert "PCRA des urgences" in text and "First hour of a ransomware attack" in text
    assert len(pages) >= 5  # cover, contents, sheets, directory, plans, PRI
    assert all(re.search(rf"\b{n}\s*/\s*{len(pages)}\s*$", page.rstrip())
               for n, page in enumerate(pages, start=1))
    version = selectors.binder(organization=world.et_a1).content_hash[:12]
    assert all(f"Version {version} · imprimé le" in page for page in pages)
    assert _client(client, world.outsider).get(url).status_code == 404


def test_reflex_sheets_and_contacts_pages(client, world, english):
    top = world.ght_a
    assert _client(client, world.owner).post(reverse("plans:sheet_defaults"),
                                             {"top": str(top.uuid)}).status_code == 403
    assert _client(client, world.ght_admin).post(reverse("plans:sheet_defaults"),
                                                 {"top": str(top.uuid)}).status_code == 302
    sheet = ReflexSheet.objects.get(code="rancongiciel-premiere-heure")
    page = _client(client, world.member).get(reverse("plans:sheet_detail",
                                                     kwargs={"uuid": sheet.uuid}))
    assert page.status_code == 200 and not page.context["can_edit"]
    assert _client(client, world.stranger).get(reverse(
        "plans:sheet_detail", kwargs={"uuid": sheet.uuid})).status_code == 404
    response = _client(client, world.owner).post(
        f"{reverse('plans:contact_create')}?top={top.uuid}",
        {"organization": str(world.et_a1.uuid), "name": "Cadre de garde",
         "mobile": "06 39 98 00 01", "position": "1", "crisis_role": "Coordination"})
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.organization == world.et_a1
    listing = _client(client, world.member).get(f"{reverse('plans:contact_list')}?top={top.uuid}")
    assert [c.name for c in listing.context["cell"]] == ["Cadre de garde"]
    assert listing.context["editable"] == set()
    assert _client(client, world.outsider).get(reverse(
        "plans:contact_edit", kwargs={"uuid": contact.uuid})).status_code == 404


def test_index_query_count(client, world, django_assert_max_num_queries):
    for n in range(5):
        approve(ready_plan(world, f"p{n}"), world.ght_admin)
    _client(client, world.ght_admin)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("plans:index")).status_code == 200
