"""`pcra seed_demo [--scale N [--seed S] [--replace]] [--json]`.

Without ``--scale``: the demo GHT (``GHT-VDS``), created or brought back to its definition in
place; safe to run again. It comes with its BIA campaign: most BIAs signed off (by the demo
account ``direction.demo``, which cannot log in), some submitted or in draft, a few missing,
and one campaign per legal entity. With ``--scale N``: the synthetic GHT ``SYN-N`` of N
establishments for load tests, every activity with a BIA (mostly signed off); an existing one
is left alone unless ``--replace``.

``--json`` prints ``{"ght", "status", "seconds", "totals", "bia", "created", "updated",
"deleted"}`` where ``bia`` counts the activities by status of their current BIA version
(``signed_off``, ``submitted``, ``draft``, ``missing``) and the GHT's ``campaigns``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.demo import services, synthetic
from pcra.inventory.models import Node, NodeType
from pcra.inventory.selectors import load_graph


def _scale(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= synthetic.MAX_SCALE:
        raise argparse.ArgumentTypeError(
            _("must be a whole number from 1 to %(max)d") % {"max": synthetic.MAX_SCALE})
    return number


def _counts_text(totals: dict[str, int]) -> str:
    return _("%(organizations)d organizations, %(activities)d activities, %(applications)d "
             "applications, %(components)d components, %(dependencies)d dependencies") % totals


def _bia_text(bia: dict[str, int]) -> str:
    return _("BIA: %(signed_off)d signed off, %(submitted)d submitted, %(draft)d in draft, "
             "%(missing)d activities without BIA; %(campaigns)d BIA campaigns.") % bia


class Command(BaseCommand):
    help = ("Load the demo GHT (safe to run again); with --scale N, a synthetic GHT of N "
            "establishments for load tests.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=_scale, metavar="N",
                            help=f"generate the synthetic GHT SYN-N of N establishments "
                                 f"(1 to {synthetic.MAX_SCALE})")
        parser.add_argument("--seed", type=int, default=None, metavar="S",
                            help="random seed of the synthetic GHT (default 1)")
        parser.add_argument("--replace", action="store_true",
                            help="delete an existing synthetic GHT SYN-N (audited) and "
                                 "generate it again")
        parser.add_argument("--no-backups", action="store_true",
                            help="skip the demo's real restic and Borg repositories")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        scale = options["scale"]
        if scale is None and (options["seed"] is not None or options["replace"]):
            raise CommandError(_("--seed and --replace only apply with --scale."))
        started = time.perf_counter()
        try:
            if scale is None:
                result = services.demo_seed(backups=not options["no_backups"])
            else:
                result = services.synthetic_seed(
                    scale=scale, seed=1 if options["seed"] is None else options["seed"],
                    replace=options["replace"], progress=self._progress())
        except services.SeedError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        elapsed = time.perf_counter() - started
        totals = result.totals()
        bia = result.bia_totals()
        changes = sum(result.created.values()) + sum(result.updated.values())
        status = result.status
        if status == "updated" and changes == 0:
            status = "unchanged"
        if options["json"]:
            self.stdout.write(json.dumps({
                "ght": result.ght.code, "status": status, "seconds": round(elapsed, 3),
                "totals": totals, "bia": bia, "created": dict(result.created),
                "updated": dict(result.updated), "deleted": dict(result.deleted),
                "backups": result.backups},
                sort_keys=True))
            return
        values = {"code": result.ght.code, "name": result.ght.name,
                  "counts": _counts_text(totals), "seconds": elapsed, "n": changes}
        messages = {
            "created": _("Created %(code)s – %(name)s in %(seconds).1f s: %(counts)s."),
            "replaced": _("Replaced %(code)s – %(name)s in %(seconds).1f s: %(counts)s."),
            "updated": _("Updated %(code)s – %(name)s in place (%(n)d changes): %(counts)s."),
            "unchanged": _("%(code)s – %(name)s is already loaded and up to date: "
                           "%(counts)s. Nothing changed."),
            "exists": _("%(code)s – %(name)s already exists: %(counts)s. Nothing changed; "
                        "use --replace to generate it again."),
        }
        self.stdout.write(messages[status] % values)
        if scale is None:
            self._describe_single_points_of_failure(result.ght)
        if result.backups:
            self.stdout.write(_("Backups: %(data_assets)d data assets, %(copies)d copies, read "
                                "from real restic and Borg repositories.") % result.backups)
        self.stdout.write(_bia_text(bia))
        if scale is None:
            self._describe_plans(result.ght)

    def _describe_plans(self, ght) -> None:
        from pcra.plans.models import Contact, ContinuityPlan, PlanStatus, ReflexSheet
        from pcra.plans.selectors import coverage_of_top

        cover = coverage_of_top(top_id=ght.pk)
        self.stdout.write(
            _("Continuity plans: %(plans)d approved, %(sheets)d reflex sheets, %(contacts)d "
              "contacts in the crisis directory; activity covered for CaRE D2: %(share)s.") % {
                "plans": ContinuityPlan.objects.filter(top=ght,
                                                       status=PlanStatus.APPROVED).count(),
                "sheets": ReflexSheet.objects.filter(top=ght).count(),
                "contacts": Contact.objects.filter(top=ght).count(),
                "share": (f"{float(cover.share) * 100:.0f} %" if cover.share is not None
                          else "?")})

    def _describe_single_points_of_failure(self, ght) -> None:
        graph = load_graph(top_id=ght.pk)
        nodes = dict(Node.objects.filter(top=ght).values_list("id", "code"))
        activities = set(Node.objects.filter(top=ght, node_type=NodeType.ACTIVITY)
                         .values_list("id", flat=True))
        spof = graph.single_points_of_failure(set(nodes) - activities)
        hit = set().union(*spof.values()) if spof else set()
        protected = sorted(nodes[a] for a in activities - hit)
        self.stdout.write(
            _("%(n)d single points of failure (applications and components whose loss alone "
              "stops an activity); activities that survive any single loss: %(protected)s.")
            % {"n": len(spof), "protected": ", ".join(protected) or _("none")})

    def _progress(self):
        """A one-line progress report on a terminal; silent otherwise."""
        if not sys.stderr.isatty():
            return None

        def report(label: str, done: int, total: int) -> None:
            sys.stderr.write(f"\r{label}: {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        return report
