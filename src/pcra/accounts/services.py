"""Writes to user accounts and memberships: keyword-only, atomic, audited (through the model
signals: the audit log records every membership and user change, never a password).

Who may call them is the views' business (the administrator role on the organization); these
functions keep the meaning: a known role, one membership per user and organization, and an
organization never left without an administrator.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pcra.accounts.models import Membership, Role, User

#: letters and digits that cannot be mistaken for one another when read aloud or copied
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language the user prefers (applied at each login)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Unknown language.")]})
    user.language = language
    user.save(update_fields=["language"])
    return user


def one_time_password() -> str:
    """A random password of 4 groups of 5 characters (about 115 bits), e.g. ``aB3kd-…``."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(5))
                    for _j in range(4))


@transaction.atomic
def user_create(*, username: str, first_name: str = "", last_name: str = "",
                email: str = "") -> tuple[User, str]:
    """Create an account with a random one-time password and return it with the password.

    Only its hash is stored; the caller shows the password once to the administrator, who
    hands it over. The account has no role until a membership gives it one.
    """
    user = User(username=(username or "").strip(), first_name=(first_name or "").strip(),
                last_name=(last_name or "").strip(),
                email=User.objects.normalize_email((email or "").strip()))
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if "username" not in errors and User.objects.filter(
            username__iexact=user.username).exists():
        errors["username"] = [str(User._meta.get_field("username").error_messages["unique"])]
    if errors:
        raise ValidationError(errors)
    password = one_time_password()
    user.set_password(password)
    user.save()
    return user, password


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role %(role)s.") % {"role": role}]})


def _other_admins(membership: Membership) -> list[int]:
    """Ids of the other administrator memberships covering the membership's organization
    (on it or above it), locked until the end of the transaction."""
    org = membership.organization
    covering = {i for i in (org.pk, org.parent_id, org.root_id) if i is not None}
    locked = list(Membership.objects.select_for_update()
                  .filter(organization_id__in=covering, role=Role.ADMIN)
                  .values_list("pk", flat=True))
    return [pk for pk in locked if pk != membership.pk]


def _last_admin_message(membership: Membership) -> str:
    return _("%(org)s would be left without any administrator: give the administrator role to "
             "someone else first (a role on an organization above it also counts).") % {
        "org": membership.organization.code}


@transaction.atomic
def membership_add(*, organization, user: User, role: str) -> Membership:
    """Give ``user`` the ``role`` on ``organization`` (and so on everything below it)."""
    _check_role(role)
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"user": [
            _("%(user)s is already a member of %(org)s: change their role instead.")
            % {"user": user.get_username(), "org": organization.code}]})
    return Membership.objects.create(user=user, organization=organization, role=role)


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Change the role of a membership; the last administrator cannot step down."""
    _check_role(role)
    if role == membership.role:
        return membership
    if membership.role == Role.ADMIN and not _other_admins(membership):
        raise ValidationError({"role": [_last_admin_message(membership)]})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """End a membership; the last administrator of an organization cannot be removed."""
    if membership.role == Role.ADMIN and not _other_admins(membership):
        raise ValidationError(_last_admin_message(membership))
    membership.delete()
