"""System checks run at start-up."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

WEAK_PREFIXES = ("dev", "insecure", "changeme", "django-insecure")


@register(Tags.security, deploy=False)
def secret_key_check(app_configs, **kwargs):
    """Refuse to run without DEBUG on a development or too short secret key."""
    key = settings.SECRET_KEY or ""
    if settings.DEBUG:
        return []
    if len(key) < 32 or key.lower().startswith(WEAK_PREFIXES):
        return [Error(
            "PCRA_SECRET_KEY is a development or too short secret.",
            hint="Unset PCRA_SECRET_KEY to let pcra generate one in PCRA_DATA_DIR, or set a "
                 "random value of at least 32 characters.",
            id="pcra.E001",
        )]
    return []
