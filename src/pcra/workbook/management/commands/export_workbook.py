"""``pcra export_workbook PATH [--ght CODE] [--csv] [--template]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.workbook.services import ExportError, workbook_export, workbook_template


class Command(BaseCommand):
    help = ("Export a GHT's workbook as .xlsx (or a folder of CSV files), or write the empty "
            "template with --template.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="an .xlsx file, or a folder for CSV files")
        parser.add_argument("--ght", metavar="CODE", help="the GHT to export (when several)")
        parser.add_argument("--csv", action="store_true",
                            help="write a folder of CSV files, one per sheet")
        parser.add_argument("--template", action="store_true",
                            help="write the empty template (headers, help, drop-down lists)")

    def handle(self, *args, path: str, ght: str | None, csv: bool, template: bool, **options):
        if template:
            workbook_template(path=path)
            self.stdout.write(_("Template written to %(path)s.") % {"path": path})
            return
        try:
            written = workbook_export(path=path, ght_code=ght, csv=True if csv else None)
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Workbook written to %(path)s.") % {"path": str(written)})
