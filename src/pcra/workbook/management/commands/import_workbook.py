"""``pcra import_workbook PATH [--dry-run] [--ght CODE] [--json]``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.workbook.importer import ImportReport
from pcra.workbook.services import workbook_import


def summary_lines(report: ImportReport) -> list[str]:
    lines = []
    for sheet in report.sheets:
        lines.append(_("%(sheet)s: %(created)d created, %(updated)d updated, %(unchanged)d "
                       "unchanged") % {"sheet": sheet.label, "created": sheet.created,
                                       "updated": sheet.updated, "unchanged": sheet.unchanged})
    return lines


class Command(BaseCommand):
    help = ("Import a workbook (.xlsx, or a folder or .zip of CSV files): organizations, "
            "activities, applications, components, dependencies. All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="an .xlsx file, a folder of CSV files, a .zip or a .csv")
        parser.add_argument("--dry-run", action="store_true",
                            help="check and show what would change, write nothing")
        parser.add_argument("--ght", metavar="CODE",
                            help="the GHT the workbook is about (when it does not say)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, path: str, dry_run: bool, ght: str | None, json: bool, **options):
        report = workbook_import(path=path, ght_code=ght, dry_run=dry_run)
        if json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            for issue in report.notices:
                self.stdout.write(_("notice: %(issue)s") % {"issue": issue})
            if report.ok:
                for line in summary_lines(report):
                    self.stdout.write(line)
                if dry_run:
                    self.stdout.write(_("Dry run: nothing was written."))
                else:
                    self.stdout.write(self.style.SUCCESS(_("Imported into %(ght)s.")
                                                         % {"ght": report.ght}))
            for issue in report.errors:
                self.stderr.write(_("error: %(issue)s") % {"issue": issue})
        if not report.ok:
            raise CommandError(_("%(count)d error(s): nothing was changed.")
                               % {"count": len(report.errors)}, returncode=1)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
