"""How the backups app writes durations for people (pages, alert messages, e-mails)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pcra.core.crud import format_number


def duration_text(hours: float | None) -> str:
    """An age or an RPO, readable: "12 s", "35 min", "4 h", "3,5 d"; empty when unknown."""
    if hours is None:
        return ""
    if hours < 1 / 60:
        return _("%(n)s s") % {"n": max(0, round(hours * 3600))}
    if hours < 1:
        return _("%(n)s min") % {"n": max(0, round(hours * 60))}
    if hours < 72:
        return _("%(n)s h") % {"n": format_number(round(hours, 1 if hours < 10 else 0))}
    return _("%(n)s d") % {"n": format_number(round(hours / 24, 1 if hours < 240 else 0))}
