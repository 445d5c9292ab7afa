"""Template filters of the recovery pages."""

from django import template

from pcra.recovery.display import minutes_text

register = template.Library()


@register.filter
def plan_time(minutes) -> str:
    """Minutes after the start of the crisis, as a runbook reads them ("3 h 15")."""
    return minutes_text(minutes)
