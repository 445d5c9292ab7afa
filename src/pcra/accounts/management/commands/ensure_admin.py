"""`pcra ensure_admin`: create the first administrator if there is none, and print its login.

The password is random and kept (mode 600) in PCRA_DATA_DIR/admin_password.txt so that
`make run` can print it again; change it after the first login.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from pcra.accounts.models import Membership, Role, User
from pcra.organizations.models import Organization


class Command(BaseCommand):
    help = "Create the admin account if missing (admin of every top organization); print it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    @transaction.atomic
    def handle(self, *args, **options):
        username = options["username"]
        secret_file = settings.DATA_DIR / "admin_password.txt"
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username=username, password=password,
                                            is_staff=True, is_superuser=True)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
            self.stdout.write(f"Created the administrator account {username!r}.")
        for top in Organization.objects.filter(root__isnull=True):
            Membership.objects.get_or_create(user=user, organization=top,
                                             defaults={"role": Role.ADMIN})
        password = secret_file.read_text().strip() if secret_file.exists() else "(changed)"
        self.stdout.write(
            "\n  pcra is ready on http://127.0.0.1:8000/\n"
            f"  login: {username}\n  password: {password}\n"
            f"  (kept in {secret_file}; change it after the first login)\n")
