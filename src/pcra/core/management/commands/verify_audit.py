"""`pcra verify_audit`: recompute the audit chain and name the first broken entry."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.core.audit import verify_chain


class Command(BaseCommand):
    help = "Check the hash chain of the audit log; exit 1 naming the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        result = verify_chain()
        if options["json"]:
            self.stdout.write(json.dumps({"ok": result.ok, "checked": result.checked,
                                          "first_broken_id": result.first_broken_id,
                                          "reason": result.reason}))
            if not result.ok:
                raise SystemExit(1)
            return
        if result.ok:
            self.stdout.write(_("Audit log intact: %(n)d entries checked.") % {"n": result.checked})
            return
        raise CommandError(_("Audit log broken at entry #%(id)s: %(reason)s")
                           % {"id": result.first_broken_id, "reason": result.reason})
