"""The demo GHT's recovery plan: its recovery teams, the standard scenarios, and — with the
demo's backups and restore tests, whose measured durations it uses — the computed plan of a
ransomware attack on the whole IS (so that the pages have something to show)."""

from __future__ import annotations

from pcra.organizations.models import Organization
from pcra.recovery import services
from pcra.recovery.models import PlanState, RecoveryTeam, Scenario

#: the demo's teams and how many restores each runs at once
TEAMS = {"DSI": (2, "Applications (équipe applicative de la DSI)"),
         "Système": (2, "Serveurs, virtualisation, stockage, annuaire"),
         "Réseau": (1, "Réseau et sécurité périmétrique"),
         "Applicatif": (1, "Référents applicatifs"),
         "Bases de données": (1, "Administrateurs de bases de données"),
         "Biomédical": (1, "Ingénierie biomédicale"),
         "Services techniques": (1, "Climatisation, énergie, bâtiment"),
         "Fournisseur": (2, "Support des éditeurs et prestataires")}


def seed_recovery(top: Organization, *, plan: bool) -> dict:
    made = 0
    existing = set(RecoveryTeam.objects.filter(top=top).values_list("name", flat=True))
    for name, (capacity, description) in TEAMS.items():
        if name not in existing:
            services.team_create(top=top, name=name, capacity=capacity, description=description)
            made += 1
    scenarios = services.scenario_defaults(top=top)
    computed = None
    ransomware = Scenario.objects.filter(top=top, code="rancongiciel").first()
    if plan and ransomware is not None and not ransomware.plans.filter(
            state=PlanState.DONE).exists():
        computed = services.plan_compute(services.plan_request(
            scenario=ransomware, time_limit_seconds=10, enqueue=False))
    return {"teams": made, "scenarios": len(scenarios),
            "plan": computed.state if computed is not None else None}
