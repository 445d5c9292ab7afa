"""How plan times are written: minutes after the start of the crisis, as a reader of a runbook
wants them ("45 min", "3 h 15", "2 d 4 h")."""

from __future__ import annotations

from django.utils.translation import gettext as _


def minutes_text(minutes: int | None) -> str:
    if minutes is None:
        return ""
    minutes = int(minutes)
    if minutes < 60:
        return _("%(m)s min") % {"m": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        if rest:
            return _("%(h)s h %(m)02d") % {"h": hours, "m": rest}
        return _("%(h)s h") % {"h": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    return _("%(d)s d") % {"d": days}
