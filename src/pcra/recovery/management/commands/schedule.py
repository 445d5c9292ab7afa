"""``pcra schedule FILE [--time-limit S] [--seed N] [--json]``: the general scheduling engine on
a PSPLIB ``.sm`` file or a JSON problem (docs/schedule-format.md). Prints the schedule (JSON
with ``--json``: makespan, status, lower bound, every task's start and end); every schedule is
checked feasible before it is printed. Exit status 0 when a schedule was found, 1 when the
file is not a valid problem (the error names the line or the JSON path)."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Schedule a PSPLIB .sm file or a JSON problem (resource-constrained project)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A PSPLIB .sm file or a JSON problem.")
        parser.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                            help="Seconds the solver may take (default 10).")
        parser.add_argument("--seed", type=int, default=0,
                            help="Seed (the same seed gives the same schedule).")
        parser.add_argument("--json", action="store_true", help="Print the schedule as JSON.")

    def handle(self, *args, file, time_limit, seed, json: bool, **options):
        from pcra.recovery.scheduler.checker import violations
        from pcra.recovery.scheduler.formats import read_problem
        from pcra.recovery.scheduler.model import MAX_SEED, ProblemError
        from pcra.recovery.scheduler.solve import solve

        if not 0 < time_limit <= 3600:
            raise CommandError(_("The time limit is more than 0 and at most 3600 seconds."))
        if not 0 <= seed <= MAX_SEED:
            raise CommandError(_("The seed is a whole number from 0 to %(max)s.")
                               % {"max": MAX_SEED})
        try:
            problem = read_problem(file)
            schedule = solve(problem, time_limit=time_limit, seed=seed)
        except ProblemError as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        wrong = violations(problem, schedule.starts)
        if wrong:  # never print an infeasible schedule as a result
            raise CommandError(_("The schedule found is not feasible: %(why)s")
                               % {"why": "; ".join(wrong[:5])})
        data = schedule.to_dict()
        if json:
            self.stdout.write(_dumps(data))
            return
        self.stdout.write(_("%(name)s: makespan %(makespan)s (%(status)s, lower bound "
                            "%(bound)s, %(method)s, %(tasks)s tasks)") % {
            "name": problem.name or file, "makespan": data["makespan"],
            "status": data["status"], "bound": data["lower_bound"], "method": data["method"],
            "tasks": len(data["tasks"])})
        if data["weighted_lateness"]:
            self.stdout.write(_("weighted lateness %(value)s") % {
                "value": data["weighted_lateness"]})
        if not data["reproducible"]:
            self.stdout.write(_("stopped by the time limit before the solver's own work limit: "
                                "another run with the same seed may give another schedule"))
        for task in sorted(data["tasks"], key=lambda t: (t["start"], t["id"])):
            self.stdout.write(f"  {task['id']:>12}  {task['start']:>8} → {task['end']:<8}")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
