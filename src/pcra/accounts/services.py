"""Writes to user accounts: atomic and audited (through the model signals)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pcra.accounts.models import User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language the user prefers (applied at each login)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Unknown language.")]})
    user.language = language
    user.save(update_fields=["language"])
    return user
