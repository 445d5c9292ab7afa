"""Regressions from the review of the plans app: races, links an editor cannot see, clear
files on the kit's medium, evidence kept, text documents cannot hold, contact-tree cycles,
what one establishment's kit names, strings in CSS."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pcra.inventory.services import node_delete
from pcra.organizations.services import organization_delete
from pcra.plans import documents, selectors, services
from pcra.plans.models import Contact, ContinuityPlan, PlanStatus
from pcra.plans.tests.factories import approve, ready_plan

pytestmark = pytest.mark.django_db


def test_one_open_and_one_approved_version_per_plan(world):
    plan = ready_plan(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContinuityPlan.objects.create(top=world.ght_a, code=plan.code, version=2,
                                      title="second draft")
    approve(plan, world.ght_admin)
    draft = services.plan_new_version(plan=plan)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContinuityPlan.objects.filter(pk=draft.pk).update(
            status=PlanStatus.APPROVED, approved_at=timezone.now(), content_hash="x")


def test_editing_keeps_links_the_editor_cannot_see(client, world):
    # A contact of ET-A2 linked (by a GHT administrator) to a plan of ET-A1: ET-A1's editor
    # does not see it, and saving the plan must not drop it.
    plan_a1 = ready_plan(world, "a1")
    hidden = services.contact_create(top=world.ght_a, organization=world.et_a2,
                                     name="Cadre A2", phone="01")
    services.plan_update(plan=plan_a1, contacts=[hidden])
    client.force_login(world.owner)
    activity = plan_a1.activities.get()
    response = client.post(reverse("plans:plan_edit", kwargs={"uuid": plan_a1.uuid}), {
        "title": "PCRA a1", "activities": [str(activity.uuid)],
        "scenarios": ["si_indisponible"], "trigger_criteria": "x", "trigger_authority": "y",
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000", "steps-0-phase": "degraded", "steps-0-who": "IDE",
        "steps-0-action": "Papier", "steps-0-ORDER": "1"})
    assert response.status_code == 302
    assert list(plan_a1.contacts.all()) == [hidden]
    # The same for a caller in the contact tree.
    mine = services.contact_create(top=world.ght_a, organization=world.et_a1, name="IDE A1",
                                   phone="02", alerted_by=hidden)
    response = client.post(f"{reverse('plans:contact_edit', kwargs={'uuid': mine.uuid})}", {
        "organization": str(world.et_a1.uuid), "name": "IDE A1", "phone": "03",
        "position": "0", "alerted_by": ""})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.phone, mine.alerted_by) == ("03", hidden)


def test_encrypted_kit_never_writes_clear_files_to_its_medium(world, tmp_path, monkeypatch):
    approve(ready_plan(world), world.ght_admin)
    seen = []
    encrypt = documents._encrypt

    def watching(folder, archive, passphrase):
        seen.extend(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
        encrypt(folder, archive, passphrase)

    monkeypatch.setattr(documents, "_encrypt", watching)
    result = documents.write_kit(out_dir=tmp_path, organization=world.et_a1,
                                 passphrase="a long enough passphrase")
    assert seen == []  # nothing on the medium while the clear files exist
    assert sorted(p.name for p in tmp_path.iterdir()) == [result.path.name,
                                                          f"{result.path.name}.sha256"]
    # The same second again: a second name, the first archive kept.
    moment = timezone.now() + dt.timedelta(days=1)  # a second no other export used
    first = documents.write_kit(out_dir=tmp_path, organization=world.et_a1,
                                passphrase="a long enough passphrase", now=moment)
    second = documents.write_kit(out_dir=tmp_path, organization=world.et_a1,
                                 passphrase="a long enough passphrase", now=moment)
    assert second.path.name == first.path.name.replace(".7z", "-2.7z")
    assert len(list(tmp_path.iterdir())) == 6


def test_evidence_is_kept(world, english):
    plan = ready_plan(world)
    activity = plan.activities.get()
    services.plan_update(plan=plan, establishments=[world.et_a1])
    shared = ready_plan(world, "shared", org=world.ej_a)
    services.plan_update(plan=shared, establishments=[world.et_a2])
    approve(plan, world.ght_admin)
    with pytest.raises(ValidationError, match="covered by the continuity plans urg"):
        node_delete(node=activity)
    with pytest.raises(ValidationError, match="is named in them: shared"):
        organization_delete(organization=world.et_a2)  # it owns nothing but is in a plan
    # Coverage follows what was approved, not later edits of the activity.
    from pcra.inventory.services import node_update

    node_update(node=activity, activity_kind="administratif")
    cover = selectors.coverage_of_top(top_id=world.ght_a.pk)
    assert cover.categories["soins"] == ["urg"] and cover.categories["administratif"] == []


def test_a_plan_without_activity_cannot_be_submitted(world, english):
    plan = ready_plan(world)
    plan.activities.clear()
    with pytest.raises(ValidationError, match="at least one activity"):
        services.plan_submit(plan=plan, user=world.owner)


def test_text_documents_cannot_hold_is_cleaned(client, world):
    from docx import Document

    plan = ready_plan(world)
    services.plan_update(plan=plan, manager="Dr X\x0bchef\x01 de service")
    services.plan_set_steps(plan=plan, steps=[{"phase": "degraded", "who": "IDE\x1b",
                                               "action": "Papier\x0cencore"}])
    plan.refresh_from_db()
    assert plan.manager == "Dr X\nchef de service"
    client.force_login(world.member)
    response = client.get(reverse("plans:plan_docx", kwargs={"uuid": plan.uuid}))
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    assert doc.tables[1].rows[1].cells[3].text == "Papierencore"


def test_a_cycle_in_the_contact_tree_hides_nobody(client, world):
    a = services.contact_create(top=world.ght_a, name="A", phone="1")
    b = services.contact_create(top=world.ght_a, name="B", phone="2", alerted_by=a)
    Contact.objects.filter(pk=a.pk).update(alerted_by=b)  # as two edits at once could
    client.force_login(world.ght_admin)
    tree = client.get(reverse("plans:contact_list")).context["tree"]
    assert sorted(c.name for _depth, c in tree) == ["A", "B"]
    binder = selectors.binder(organization=world.ght_a)
    assert sorted(c["name"] for _depth, c in documents._tree(binder.contacts)) == ["A", "B"]


def test_one_establishments_kit_does_not_name_anothers_systems(world):
    from pcra.recovery.models import PlanState, PlanTask, RecoveryPlan, Scenario

    scenario = Scenario.objects.create(top=world.ght_a, code="r", name="Rançongiciel",
                                       kind="ransomware")
    plan = RecoveryPlan.objects.create(top=world.ght_a, scenario=scenario, scenario_name="R",
                                       state=PlanState.DONE, finished_at=timezone.now(),
                                       makespan_minutes=120)
    for code, org, shared in (("SRV-A1", world.et_a1, False), ("SRV-A2", world.et_a2, False),
                              ("AD", None, True)):
        PlanTask.objects.create(plan=plan, code=code, name=code, node_type="component",
                                organization=org, shared=shared, kind="restore", team="DSI",
                                duration_minutes=60, start_minutes=0, end_minutes=60)
    [pri] = selectors.binder(organization=world.et_a1).recovery
    assert sorted(s["name"] for s in pri["teams"][0]["steps"]) == ["", "AD – AD",
                                                                   "SRV-A1 – SRV-A1"]
    [whole] = selectors.binder(organization=world.ght_a).recovery
    assert sorted(s["name"] for s in whole["teams"][0]["steps"]) == [
        "AD – AD", "SRV-A1 – SRV-A1", "SRV-A2 – SRV-A2"]


def test_strings_in_the_pdf_css_are_escaped_for_css():
    assert documents.css_string('ET&A1\\ "x" </style>') == (
        'ET\\26 A1\\5c  \\22 x\\22  \\3c /style\\3e ')


def test_binder_with_a_malformed_organization_is_not_found(client, world):
    client.force_login(world.member)
    assert client.get(f"{reverse('plans:binder_pdf')}?organization=nope").status_code == 404
    response = client.get(reverse("plans:binder_pdf"))  # the member's own establishment
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="classeur-crise-ET-A1.pdf"'


def test_deleting_uses_the_current_status(world, english):
    plan = ready_plan(world)
    stale = ContinuityPlan.objects.get(pk=plan.pk)
    approve(plan, world.ght_admin)
    with pytest.raises(ValidationError, match="Only a draft can be deleted"):
        services.plan_delete(plan=stale)
    assert ContinuityPlan.objects.filter(pk=plan.pk).exists()
