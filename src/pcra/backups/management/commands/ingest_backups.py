"""``pcra ingest_backups FILE --organization CODE [--format csv|jsonl] [--json]``.

Ingests job results, restore points and verifications of backup tools pcra does not drive
(docs/ingest.md). All or nothing: on any error, every error goes to stderr, nothing is written
and the exit code is 1.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pcra.backups.ingest import IngestError, ingest_file
from pcra.organizations.models import Organization


class Command(BaseCommand):
    help = ("Ingest job results, restore points and verifications (CSV or JSON lines, "
            "docs/ingest.md) for backup tools pcra does not drive. All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv, .jsonl or .ndjson file")
        parser.add_argument("--organization", required=True, metavar="CODE",
                            help="the GHT, or any organization of it (its GHT is used)")
        parser.add_argument("--format", choices=["csv", "jsonl"], dest="fmt",
                            help="the file's format (default: from its name)")
        parser.add_argument("--json", action="store_true",
                            help='print {"jobs", "restore_points", "verifications", '
                                 '"duplicates", "sha256"}')

    def handle(self, *args, file: str, organization: str, fmt: str | None, json: bool,
               **options):
        org = Organization.objects.filter(code=organization).first()
        if org is None:
            raise CommandError(_("Unknown organization: %(code)s.") % {"code": organization},
                               returncode=1)
        progress = None if json else self._progress
        try:
            batch = ingest_file(path=Path(file), top=org, fmt=fmt, progress=progress)
        except IngestError as exc:
            for message in exc.errors:
                self.stderr.write(_("error: %(message)s") % {"message": message})
            raise CommandError(ngettext("%(count)d error: nothing was written.",
                                        "%(count)d errors: nothing was written.", exc.count)
                               % {"count": exc.count}, returncode=1) from exc
        if json:
            self.stdout.write(_dumps({"jobs": batch.jobs, "restore_points": batch.points,
                                      "verifications": batch.verifications,
                                      "duplicates": batch.duplicates, "sha256": batch.sha256}))
            return
        top = org if org.root_id is None else org.root
        self.stdout.write(_("%(file)s ingested into %(ght)s (SHA-256 %(sha256)s):")
                          % {"file": batch.filename, "ght": top.code, "sha256": batch.sha256})
        self.stdout.write(_("  jobs: %(n)d") % {"n": batch.jobs})
        self.stdout.write(_("  restore points: %(n)d") % {"n": batch.points})
        self.stdout.write(_("  verifications: %(n)d") % {"n": batch.verifications})
        self.stdout.write(_("  already known (ignored): %(n)d") % {"n": batch.duplicates})

    def _progress(self, lines: int) -> None:
        self.stderr.write(_("%(lines)s lines read…") % {"lines": f"{lines:,}"})


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
