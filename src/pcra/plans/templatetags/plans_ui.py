"""Labels of the plans' stored values (scenarios, phases, activity kinds, organization kinds),
for templates that render plain content (a plan's snapshot, a binder)."""

from __future__ import annotations

from django import template

from pcra.inventory.models import ActivityKind
from pcra.organizations.models import OrganizationKind
from pcra.plans.models import PlanScenario, PlanStatus, StepPhase

register = template.Library()


@register.filter
def scenario_label(value: str) -> str:
    return str(dict(PlanScenario.choices).get(value, value))


@register.filter
def phase_label(value: str) -> str:
    return str(dict(StepPhase.choices).get(value, value))


@register.filter
def kind_label(value: str) -> str:
    return str(dict(ActivityKind.choices).get(value, value))


@register.filter
def org_kind_label(value: str) -> str:
    return str(dict(OrganizationKind.choices).get(value, value))


@register.filter
def status_label(value: str) -> str:
    return str(dict(PlanStatus.choices).get(value, value))


@register.filter
def steps_of(steps: list[dict], phase: str) -> list[dict]:
    return [s for s in steps if s.get("phase") == phase]


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    from django.utils.formats import number_format

    # One decimal, truncated: 65.96 % must not read "66 %" beside "below the 66 % rule".
    tenths = int(float(value) * 1000) / 10
    return f"{number_format(tenths, 1)}\u00a0%"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def isodate(value):
    """A date or date-time kept as ISO text (in a snapshot) back as an object, so that the
    ``date`` filter writes it the reader's way; anything else unchanged."""
    import datetime as dt

    if not value or not isinstance(value, str):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10:
        return parsed.date()
    from django.utils import timezone

    return timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed


@register.simple_tag(takes_context=True)
def kit_freshness(context):
    """The newest offline kit of each organization the user reads, and whether the binder
    changed since (for the dashboard)."""
    from pcra.plans.selectors import kit_freshness as freshness

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return []
    return freshness(user=user)
