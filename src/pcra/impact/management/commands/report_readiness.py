"""`pcra report_readiness [--ght CODE] [--json]`: required objectives and achieved RTO.

For every application and component of the GHT: the RTO and RPO the BIA requires of it
(DESIGN §4.4). For every activity: its required RTO (its effective DMIA), the RTO it achieves
given the nodes it needs, where that figure comes from and the gap (positive = late). The values
are those of ``pcra.impact.selectors.readiness_of_top`` (the readiness pages show the same).

With ``--json``::

    {"nodes": [{"code": "DPI", "kind": "application", "required_rto_hours": 4.0,
                "required_rpo_hours": 1.0}, ...],
     "activities": [{"code": "URG", "required_rto_hours": 4.0, "achieved_rto_hours": 18.0,
                     "achieved_source": "declared", "gap_hours": 14.0}, ...]}

Null where a value does not apply or is unknown; both lists sorted by code.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pcra.impact import rules, selectors
from pcra.impact.management.commands.report_bia import resolve
from pcra.inventory.models import NodeType


def readiness_report(ready: selectors.TopReadiness) -> dict:
    """The report as plain data (what ``--json`` prints)."""
    result = ready.result
    nodes, activities = [], []
    for node in sorted(ready.nodes.values(), key=lambda n: n.code):
        required = result.required.get(node.pk, rules.NO_REQUIREMENT)
        if node.node_type == NodeType.ACTIVITY:
            row = ready.bia.get(node.pk)
            achieved = result.achieved.get(node.pk)
            activities.append({
                "code": node.code,
                "required_rto_hours": row.dmia_hours if row is not None else None,
                "achieved_rto_hours": achieved.rto_hours if achieved is not None else None,
                "achieved_source": achieved.source if achieved is not None else rules.UNKNOWN,
                "gap_hours": result.gap(node.pk) if node.pk in result.required
                and node.pk in result.achieved else None,
            })
        else:
            kind = node.component_kind if node.node_type == NodeType.COMPONENT else node.node_type
            nodes.append({"code": node.code, "kind": kind,
                          "required_rto_hours": required.rto_hours,
                          "required_rpo_hours": required.rpo_hours})
    return {"nodes": nodes, "activities": activities}


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:g} h"


class Command(BaseCommand):
    help = ("Required RTO/RPO of every application and component of a GHT, and the required "
            "and achieved RTO of every activity with the gap.")

    def add_arguments(self, parser):
        parser.add_argument("--ght", metavar="CODE",
                            help="the GHT (needed when there are several)")
        parser.add_argument("--json", action="store_true",
                            help='print {"nodes": [...], "activities": [...]}')

    def handle(self, *args, **options):
        top, _organization = resolve((options["ght"] or "").strip() or None, None)
        report = readiness_report(selectors.readiness_of_top(top_id=top.pk))
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(_("Readiness of %(code)s – %(name)s") % {"code": top.code,
                                                                   "name": top.name})
        sources = {rules.DECLARED: _("declared"), rules.MEASURED: _("measured"),
                   rules.UNKNOWN: _("unknown")}
        self._table(_("Activities"), [_("Code"), _("Required RTO"), _("Achieved RTO"),
                                      _("Source"), _("Gap")],
                    [[a["code"], _hours(a["required_rto_hours"]),
                      _hours(a["achieved_rto_hours"]),
                      sources.get(a["achieved_source"], a["achieved_source"]),
                      _hours(a["gap_hours"])] for a in report["activities"]])
        self._table(_("Applications and components"),
                    [_("Code"), _("Type"), _("Required RTO"), _("Required RPO")],
                    [[n["code"], n["kind"], _hours(n["required_rto_hours"]),
                      _hours(n["required_rpo_hours"])] for n in report["nodes"]])
        late = sum(1 for a in report["activities"] if (a["gap_hours"] or 0) > 0)
        self.stdout.write(_("%(late)d of %(n)d activities late.")
                          % {"late": late, "n": len(report["activities"])})

    def _table(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        self.stdout.write("")
        self.stdout.write(title)
        if not rows:
            self.stdout.write(_("None."))
            return
        table = [header, *rows]
        widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
        for index, line in enumerate(table):
            self.stdout.write("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True))
                              .rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
