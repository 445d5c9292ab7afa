"""``pcra set_copy_secret DATA_ASSET COPY --password-file FILE``: store a repository password,
encrypted at rest (the key stays outside the database)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.backups import services
from pcra.backups.commandline import find_copy, organization_from


class Command(BaseCommand):
    help = "Store the repository password of a backup copy, encrypted at rest."

    def add_arguments(self, parser):
        parser.add_argument("data_asset", help="Code of the application or component.")
        parser.add_argument("copy", help="Name of the copy.")
        parser.add_argument("--password-file", required=True,
                            help="File holding the password on its first line ('-': stdin).")
        parser.add_argument("--organization", help="GHT or establishment (when codes repeat).")

    def handle(self, *args, data_asset, copy, password_file, organization, **options):
        import sys

        target = find_copy(data_asset, copy, organization_from(organization))
        try:
            text = sys.stdin.read() if password_file == "-" else Path(password_file).read_text()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s")
                               % {"file": password_file, "error": exc.strerror}) from exc
        password = text.split("\n", 1)[0].rstrip("\r")
        try:
            services.copy_set_secret(copy=target, password=password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(_("Password stored, encrypted, for %(copy)s.") % {"copy": target})
