"""``pcra report_backups [--organization CODE] [--json]``: 3-2-1-1-0 per data asset, each digit
with its reason, the achieved RPO per scenario against the required PDMA.

With ``--json``::

    {"data_assets": [{"code": "DPI-DB",
      "digits": {"three": {"ok": true, "reason": "..."}, "two": {...}, "one_offsite": {...},
                 "one_offline": {...}, "zero": {...}},
      "achieved_rpo_hours": {"nominal": 3.5, "ransomware": 26.0, "site:SITE-A": null},
      "required_rpo_hours": 24.0,
      "copies": [{"name", "engine", "media", "restore_points", "newest_point_age_hours",
                  "verified", "verified_share", "hardening": {rule: "ok"|"failed"|"unknown"}}]}]}
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pcra.backups import selectors
from pcra.backups.commandline import assets_of, organization_from, report_json


def _hours(value):
    return "—" if value is None else f"{value:.1f} h"


class Command(BaseCommand):
    help = "3-2-1-1-0 verdicts, with reasons, and achieved RPO per scenario of every data asset."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Only this GHT or establishment.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, organization, json: bool, **options):
        reports = selectors.asset_reports(assets_of(organization_from(organization)))
        if json:
            self.stdout.write(_json({"data_assets": [report_json(r) for r in reports]}))
            return
        for report in reports:
            marks = "".join(("✓" if v.ok else "✗") for v in report.digits.as_dict().values())
            self.stdout.write(f"{report.code}  3-2-1-1-0 {marks}  "
                              + _("RPO %(achieved)s / required %(required)s") % {
                                  "achieved": _hours(report.nominal_rpo_hours),
                                  "required": _hours(report.required_rpo_hours)})
            for key, verdict in report.digits.as_dict().items():
                self.stdout.write(f"    {key:<12} {'ok' if verdict.ok else '--'}  "
                                  f"{verdict.render(_)}")
            for key, hours in report.achieved_rpo.items():
                self.stdout.write(f"    RPO {key:<20} {_hours(hours)}")
        if not reports:
            self.stdout.write(_("No data asset."))


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
