"""``pcra plan_recovery --scenario CODE [--teams N] [--time-limit S] [--seed N] [--json]``:
compute the recovery plan of a scenario now, in this process (progress on stderr), keep it, and
print it: when each activity is back against its DMIA, the schedule, the hand-made-groups plan
beside it. Exit status 0 when the plan was computed, 1 when it could not be."""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.backups.commandline import organization_from
from pcra.recovery import services
from pcra.recovery.display import minutes_text
from pcra.recovery.models import PHASE_LABELS, PlanState, Scenario


def find_scenario(code: str, organization) -> Scenario:
    """The scenario CODE (or named CODE) of the organization's GHT, or of the only GHT that has
    one. When none has it, the standard scenarios (``rancongiciel``, ``site-…``,
    ``fournisseur-…``) of the GHT are created first — of the organization's GHT, or of the only
    GHT there is."""
    from pcra.organizations.models import Organization

    tops = ([Organization.objects.get(pk=organization.top_id)] if organization is not None
            else list(Organization.objects.filter(root__isnull=True).order_by("code")))

    def matches() -> list[Scenario]:
        found = []
        for top in tops:
            scenarios = Scenario.objects.filter(top=top).select_related("top")
            match = scenarios.filter(code=code).first() or scenarios.filter(name=code).first()
            if match is not None:
                found.append(match)
        return found

    found = matches()
    if not found and len(tops) == 1:
        services.scenario_defaults(top=tops[0])
        found = matches()
    if not found:
        codes = sorted(set(Scenario.objects.filter(top__in=tops).values_list("code", flat=True)))
        hint = (_(" Several GHTs: choose one with --organization to create its standard "
                  "scenarios.") if len(tops) > 1 else "")
        raise CommandError(_("No scenario %(code)s (scenarios: %(codes)s).")
                           % {"code": code, "codes": ", ".join(codes) or "—"} + hint)
    if len(found) > 1:
        raise CommandError(_("Scenario %(code)s exists in several GHTs (%(tops)s): choose one "
                             "with --organization.")
                           % {"code": code, "tops": ", ".join(s.top.code for s in found)})
    return found[0]


class Command(BaseCommand):
    help = "Compute the recovery plan of a scenario now and print it."

    def add_arguments(self, parser):
        parser.add_argument("--scenario", required=True,
                            help="Code of the scenario (e.g. rancongiciel, site-<code>, "
                                 "fournisseur-<code>, or one you created).")
        parser.add_argument("--teams", type=int, metavar="N",
                            help="Restores each team runs at the same time (default: each "
                                 "team's declared capacity).")
        parser.add_argument("--time-limit", type=int, default=10, metavar="S",
                            help="Seconds the solver may take (default 10).")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the solver (the same "
                                                                "seed gives the same plan).")
        parser.add_argument("--organization", help="GHT or establishment of the scenario (when "
                                                   "its code exists in several GHTs).")
        parser.add_argument("--json", action="store_true", help="Print the plan as JSON.")

    def handle(self, *args, scenario, teams, time_limit, seed, organization, json: bool,
               **options):
        chosen = find_scenario(scenario, organization_from(organization))
        try:
            plan = services.plan_request(scenario=chosen, time_limit_seconds=time_limit,
                                         seed=seed, team_capacity=teams, enqueue=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        interactive = sys.stderr.isatty()
        shown = {"phase": ""}

        def progress(phase: str, fraction: float) -> None:
            phase = str(PHASE_LABELS.get(phase, phase))
            if interactive:
                sys.stderr.write(f"\r{phase:<32} {fraction * 100:5.1f} %")
                sys.stderr.flush()
            elif phase != shown["phase"]:
                shown["phase"] = phase
                sys.stderr.write(f"{phase}…\n")

        plan = services.plan_compute(plan, progress=progress)
        if interactive:
            sys.stderr.write("\r" + " " * 40 + "\r")
        data = services.plan_json(plan)
        if json:
            self.stdout.write(services.dumps(data))
        else:
            self.stdout.write(self._text(plan, data))
        if plan.state != PlanState.DONE:
            sys.exit(1)

    def _text(self, plan, data) -> str:
        if plan.state != PlanState.DONE:
            return _("The plan of %(scenario)s could not be computed: %(error)s") % {
                "scenario": plan.scenario_name, "error": plan.error}
        lines = [
            _("Recovery plan: %(scenario)s") % {"scenario": plan.scenario_name},
            _("everything back after %(time)s (lower bound %(bound)s; %(status)s, %(method)s)")
            % {"time": minutes_text(plan.makespan_minutes),
               "bound": minutes_text(plan.lower_bound_minutes),
               "status": _("optimal") if plan.solver_status == "optimal" else _("best found"),
               "method": plan.method_label},
            _("business impact %(impact)s; by hand-made priority groups: %(groups)s, everything "
              "back after %(gtime)s") % {
                "impact": plan.weighted_lateness, "groups": plan.groups_weighted_lateness,
                "gtime": minutes_text(plan.groups_makespan_minutes)},
            "",
        ]
        back = _("back after")
        for item in data["activities"]:
            due = minutes_text(item["due"]) if item["due"] is not None else "—"
            late = (_("late by %(time)s") % {"time": minutes_text(item["late"])}
                    if item["late"] else _("on time") if item["due"] is not None else "")
            lines.append(f"  {item['id']:<24} {back} {minutes_text(item['back']):>10}"
                         f"   DMIA {due:>8}   {late}")
        return "\n".join(lines)
