"""``pcra export_kit OUT_DIR [--organization CODE] [--passphrase-file F] [--json]``: write the
offline crisis kit of an organization (its crisis binder as one self-contained HTML file, the
PDF and a MANIFEST of SHA-256 checksums; with a passphrase, one encrypted 7z archive instead)
and record it, so that the dashboard can say when the plans change afterwards.

Without ``--organization``, the kit of the only GHT there is. Exit status 0 when the kit was
written, 1 (with the reason) when it was not: nothing is then left in OUT_DIR."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.backups.commandline import organization_from
from pcra.organizations.models import Organization
from pcra.plans.documents import KitError, read_passphrase, write_kit
from pcra.plans.selectors import binder


class Command(BaseCommand):
    help = ("Write the offline crisis kit of an organization (HTML that opens without network "
            "or server, PDF, SHA-256 MANIFEST; encrypted 7z with a passphrase).")

    def add_arguments(self, parser):
        parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the kit into")
        parser.add_argument("--organization", metavar="CODE",
                            help="the GHT, legal entity or establishment (default: the only "
                                 "GHT)")
        parser.add_argument("--passphrase-file", metavar="F",
                            help="a file whose first line is the passphrase: the kit is then "
                                 "one encrypted 7z archive")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        organization = organization_from(options["organization"])
        if organization is None:
            tops = list(Organization.objects.filter(root__isnull=True).order_by("code"))
            if len(tops) != 1:
                raise CommandError(_("Say which organization with --organization: %(codes)s.")
                                   % {"codes": ", ".join(t.code for t in tops) or _("none")})
            organization = tops[0]
        passphrase = None
        try:
            if options["passphrase_file"]:
                passphrase = read_passphrase(Path(options["passphrase_file"]))
            if not options["json"]:
                self.stderr.write(_("Writing the crisis binder of %(code)s…")
                                  % {"code": organization.code})
            result = write_kit(out_dir=Path(options["out_dir"]), organization=organization,
                               passphrase=passphrase)
        except KitError as exc:
            raise CommandError(str(exc)) from exc
        content = binder(organization=organization)
        counts = {"plans": len(content.plans), "reflex_sheets": len(content.reflex_sheets),
                  "contacts": len(content.contacts), "recovery_plans": len(content.recovery)}
        if options["json"]:
            self.stdout.write(json.dumps({
                "organization": organization.code, "path": str(result.path),
                "encrypted": result.encrypted, "content_hash": result.content_hash,
                "files": result.files, **counts}, sort_keys=True))
            return
        self.stdout.write(_("Kit of %(code)s written to %(path)s%(encrypted)s: %(plans)d "
                            "approved plans, %(reflex_sheets)d reflex sheets, %(contacts)d "
                            "contacts, %(recovery_plans)d recovery plans.") % {
            "code": organization.code, "path": result.path,
            "encrypted": _(" (encrypted 7z archive)") if result.encrypted else "", **counts})
        for name, digest in result.files.items():
            self.stdout.write(f"  {digest}  {name}")
        if result.encrypted:
            self.stdout.write(_("Open it with 7-Zip (Windows), Keka or The Unarchiver (macOS) "
                                "or 7zz (Linux) and the passphrase; keep the passphrase "
                                "apart from the kit."))
        else:
            self.stdout.write(_("Check it with: cd %(path)s && sha256sum -c MANIFEST")
                              % {"path": result.path})
