"""Users and their memberships: one role per organization, inherited down the hierarchy."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


class User(AbstractUser):
    """A person using pcra. Access comes only from memberships (and ``is_superuser``)."""

    language = models.CharField(_("language"), max_length=5, blank=True,
                                choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


# Login times stay out of the audit log; a password change shows as a new digest of the hash.
audit.register(User, exclude=("last_login",), fingerprint=("password",))


class Role(models.TextChoices):
    """Roles, from the most to the least powerful."""

    ADMIN = "admin", _("Administrator")
    EDITOR = "editor", _("Editor")
    AUDITOR = "auditor", _("Auditor (read-only, audit log)")
    VIEWER = "viewer", _("Viewer (read-only)")


#: roles that may create, change and delete the organization's data
WRITE_ROLES = frozenset({Role.ADMIN, Role.EDITOR})
#: roles that may read the audit log
AUDIT_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
ROLE_RANK = {Role.VIEWER: 0, Role.AUDITOR: 1, Role.EDITOR: 2, Role.ADMIN: 3}


@audit.register
class Membership(models.Model):
    """``user`` has ``role`` on ``organization`` and on everything below it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("organization"),
                                     on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organization"],
                                               name="membership_unique_user_org")]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization.code} ({self.get_role_display()})"

    def audit_organization_id(self) -> int | None:
        return self.organization_id
