"""Plans for tests: a ready draft (steps, trigger) and its approval."""

from __future__ import annotations

from pcra.core.testing import make_node
from pcra.plans import services

STEPS = [
    {"phase": "degraded", "when": "T+15 min", "who": "Cadre de santé",
     "action": "Sortir le classeur de crise", "where": "Poste de soins", "how": ""},
    {"phase": "degraded", "when": "T+30 min", "who": "Médecins",
     "action": "Prescrire sur papier", "where": "", "how": "Ordonnances datées et signées"},
    {"phase": "return", "when": "Au retour", "who": "Cadre de santé",
     "action": "Ressaisir les prescriptions", "where": "", "how": ""},
]


def ready_plan(world, code="urg", kind="soins", org=None, title=None):
    org = org or world.et_a1
    activity = make_node(org=org if org.kind != "GHT" else world.et_a1, node_type="activity",
                         code=f"A-{code}", activity_kind=kind)
    plan = services.plan_create(
        top=world.ght_a, organization=None if org.kind == "GHT" else org, code=code,
        activities=[activity], title=title or f"PCRA {code}",
        trigger_criteria="DPI indisponible plus de 15 min",
        trigger_authority="Chef de service ; à défaut le cadre de garde")
    services.plan_set_steps(plan=plan, steps=STEPS)
    return plan


def approve(plan, user):
    services.plan_submit(plan=plan, user=user)
    return services.plan_approve(plan=plan, user=user)
