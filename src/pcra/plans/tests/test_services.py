"""The plans' workflow, steps, contacts, reflex sheets and coverage (services and selectors)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.core.testing import make_node, make_org
from pcra.plans import selectors, services
from pcra.plans.models import ContinuityPlan, PlanStatus, StepPhase
from pcra.plans.tests.factories import approve, ready_plan

pytestmark = pytest.mark.django_db

_ready_plan = ready_plan
_approve = approve


def test_workflow_freezes_what_was_approved(world, english):
    plan = _ready_plan(world)
    assert plan.establishments.get() == world.et_a1  # the activity's establishment by default
    assert plan.scenarios == ["si_indisponible"]
    services.plan_submit(plan=plan, user=world.owner)
    with pytest.raises(ValidationError, match="only a draft can be changed"):
        services.plan_update(plan=plan, title="Autre")
    services.plan_approve(plan=plan, user=world.ght_admin)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.approved_by_name == "ghtadmin"
    assert [s["action"] for s in plan.snapshot["steps"]] == [
        "Sortir le classeur de crise", "Prescrire sur papier", "Ressaisir les prescriptions"]
    assert plan.content_hash == services.content_hash(plan.snapshot)
    with pytest.raises(ValidationError, match="only a draft can be changed"):
        services.plan_set_steps(plan=plan, steps=[])

    draft = services.plan_new_version(plan=plan)
    assert (draft.version, draft.status, draft.steps.count()) == (2, PlanStatus.DRAFT, 3)
    with pytest.raises(ValidationError, match="still draft"):
        services.plan_new_version(plan=plan)
    services.plan_update(plan=draft, title="PCRA urg (révisé)", change_summary="Nouveau cadre")
    _approve(draft, world.ght_admin)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUPERSEDED  # still readable, no longer in the binder
    assert plan.snapshot["title"] == "PCRA urg"
    assert list(selectors.approved_versions(ContinuityPlan.objects.all())) == [draft]
    assert list(selectors.current_versions(ContinuityPlan.objects.all())) == [draft]
    assert verify_chain().ok


def test_submit_needs_the_essential_parts(world, english):
    activity = make_node(org=world.et_a1, node_type="activity", code="A1")
    plan = services.plan_create(top=world.ght_a, organization=world.et_a1, code="p",
                                activities=[activity], title="P")
    with pytest.raises(ValidationError) as exc:
        services.plan_submit(plan=plan, user=world.owner)
    assert exc.value.messages == [
        "Before review, the plan needs: the degraded-mode steps, the return to normal, who "
        "triggers and decides, the triggering criteria."]
    assert ContinuityPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_plan_checks(world, english):
    a1 = make_node(org=world.et_a1, node_type="activity", code="A1")
    other = make_node(org=world.et_b1, node_type="activity", code="B1")
    app = make_node(org=world.et_a1, node_type="application", code="APP")
    with pytest.raises(ValidationError) as exc:
        services.plan_create(top=world.ght_a, organization=world.et_a1, code="p",
                             activities=[other, app], title=" ", scenarios=["site"],
                             establishments=[world.et_a2])
    assert exc.value.message_dict == {
        "title": ["Give the plan a title."],
        "scenarios": ["A PCRA covers at least the scenario “information system unavailable” "
                      "(CaRE D2)."],
        "activities": ["B1 is not an activity of this GHT.",
                       "APP is not an activity of this GHT."],
        "establishments": ["ET-A2 is not under the plan's organization."]}
    services.plan_create(top=world.ght_a, organization=world.et_a1, code="p", activities=[a1],
                         title="P", scenarios=["site", "si_indisponible", "site"])
    assert ContinuityPlan.objects.get().scenarios == ["si_indisponible", "site"]
    with pytest.raises(ValidationError, match="already has a plan p"):
        services.plan_create(top=world.ght_a, organization=None, code="p", activities=[a1],
                             title="Q")
    with pytest.raises(ValidationError, match="Step 1: say who does it"):
        services.plan_set_steps(plan=ContinuityPlan.objects.get(),
                                steps=[{"phase": "degraded", "action": "x"}])
    assert ContinuityPlan.objects.get().steps.count() == 0


def test_steps_are_ordered_per_phase_and_audited(world):
    plan = _ready_plan(world)
    rows = list(plan.steps.values_list("phase", "position", "action"))
    assert rows == [(StepPhase.DEGRADED, 1, "Sortir le classeur de crise"),
                    (StepPhase.DEGRADED, 2, "Prescrire sur papier"),
                    (StepPhase.RETURN, 1, "Ressaisir les prescriptions")]
    assert AuditEntry.objects.filter(model="plans.planstep", action="create").count() == 3


def test_relations_are_audited(world):
    plan = _ready_plan(world)
    services.plan_update(plan=plan, establishments=[world.et_a1])
    entries = AuditEntry.objects.filter(model="plans.continuityplan", action="update")
    assert entries.count() == 1  # the creation's links; an unchanged set writes nothing
    assert entries.get().payload["after"]["activities"] == ["A-urg"]


def test_contact_tree_refuses_a_cycle(world, english):
    boss = services.contact_create(top=world.ght_a, name="Directrice", mobile="06 00 00 00 01",
                                   crisis_role="Directrice de crise")
    deputy = services.contact_create(top=world.ght_a, name="Adjoint", mobile="06 00 00 00 02",
                                     alerted_by=boss)
    with pytest.raises(ValidationError) as exc:
        services.contact_update(contact=boss, alerted_by=deputy)
    assert exc.value.message_dict == {"alerted_by": [
        "The contact tree would go round in a circle: Directrice → Adjoint → Directrice."]}
    with pytest.raises(ValidationError, match="at least one way to reach"):
        services.contact_create(top=world.ght_a, name="Sans numéro")
    services.contact_delete(contact=boss)
    deputy.refresh_from_db()
    assert deputy.alerted_by is None


def test_reflex_defaults_are_created_once_in_the_language(world):
    made = services.reflex_defaults(top=world.ght_a, language="fr")
    assert [s.code for s in made] == ["rancongiciel-premiere-heure", "perte-dpi",
                                      "perte-telephonie", "perte-reseau",
                                      "ouverture-cellule-crise"]
    first = made[0]
    assert first.title == "Première heure d'une attaque par rançongiciel"
    assert "Ne pas éteindre" in first.steps.first().action
    assert services.reflex_defaults(top=world.ght_a, language="fr") == []
    english_sheets = services.reflex_defaults(top=world.ght_b, language="en")
    assert english_sheets[1].title == "Loss of the electronic patient record"


def test_coverage_counts_leaf_entities_with_the_three_categories(world):
    et_a1, et_a2 = world.et_a1, world.et_a2
    et_a1.activity_weight, et_a2.activity_weight = Decimal(70), Decimal(30)
    et_a1.save()
    et_a2.save()
    care = _ready_plan(world, "care", "soins")
    admin = _ready_plan(world, "admin", "administratif", org=world.ej_a)
    services.plan_update(plan=admin, establishments=[world.ej_a])  # both establishments
    tech = _ready_plan(world, "tech", "plateau_technique")
    for plan in (care, admin):
        _approve(plan, world.ght_admin)
    result = selectors.coverage_of_top(top_id=world.ght_a.pk)
    assert [(row.entity.code, row.missing) for row in result.entities] == [
        ("ET-A1", ["plateau_technique"]),
        ("ET-A2", ["soins", "plateau_technique"])]
    assert result.share == 0
    assert result.missing_categories == ["plateau_technique"]
    _approve(tech, world.ght_admin)  # a draft did not count; approved, ET-A1 is covered
    result = selectors.coverage_of_top(top_id=world.ght_a.pk)
    assert [row.covered for row in result.entities] == [True, False]
    assert result.share == Decimal("0.7")
    assert result.meets_rule
    assert result.categories == {"soins": ["care"], "administratif": ["admin"],
                                 "plateau_technique": ["tech"]}


def test_coverage_without_weights_is_unknown(world):
    ght = make_org(kind="GHT", code="GHT-Z")
    ej = make_org(kind="EJ", code="EJ-Z", parent=ght, weight=0)
    make_org(kind="ET", code="ET-Z", parent=ej, weight=0)
    result = selectors.coverage_of_top(top_id=ght.pk)
    assert (result.share, result.meets_rule) == (None, False)


def test_binder_holds_the_approved_plans_that_apply(world):
    care = _ready_plan(world, "care", "soins")
    _approve(care, world.ght_admin)
    _ready_plan(world, "draft-only", "soins")
    other = _ready_plan(world, "other", "soins", org=world.et_a2)
    _approve(other, world.ght_admin)
    services.reflex_defaults(top=world.ght_a, language="fr")
    services.contact_create(top=world.ght_a, organization=world.et_a2, name="Cadre A2",
                            phone="01")
    services.contact_create(top=world.ght_a, name="Directrice", phone="02")
    a1 = selectors.binder(organization=world.et_a1)
    assert [p["code"] for p in a1.plans] == ["care"]
    assert [c["name"] for c in a1.contacts] == ["Directrice"]
    assert len(a1.reflex_sheets) == 5
    whole = selectors.binder(organization=world.ght_a)
    assert [p["code"] for p in whole.plans] == ["care", "other"]
    assert [c["name"] for c in whole.contacts] == ["Cadre A2", "Directrice"]
    # The hash follows the content: a new approved version changes it, a draft does not.
    before = a1.content_hash
    draft = services.plan_new_version(plan=care)
    assert selectors.binder(organization=world.et_a1).content_hash == before
    services.plan_submit(plan=draft, user=world.owner)
    services.plan_approve(plan=draft, user=world.ght_admin)
    assert selectors.binder(organization=world.et_a1).content_hash != before
