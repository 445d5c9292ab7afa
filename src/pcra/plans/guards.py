"""What the plans refuse elsewhere: deleting an activity a current plan covers, or an
organization that plans belong to or apply to (approved versions are evidence)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from pcra.plans.models import ContinuityPlan, PlanStatus

CURRENT = (PlanStatus.DRAFT, PlanStatus.REVIEW, PlanStatus.APPROVED)


def activity_delete_guard(node) -> str | None:
    """A node covered by a plan in draft, in review or approved stays until a new version of
    the plan leaves it out (superseded versions keep their copy in their snapshot)."""
    codes = sorted(set(ContinuityPlan.objects.filter(activities=node, status__in=CURRENT)
                       .values_list("code", flat=True)))
    if not codes:
        return None
    return _("%(code)s is covered by the continuity plans %(plans)s: leave it out of a new "
             "version of them first.") % {"code": node.code, "plans": ", ".join(codes)}


def organization_delete_refusal(organization) -> str | None:
    """An organization that owns plans, or that plans apply to, is kept with them."""
    codes = sorted(set(ContinuityPlan.objects.filter(
        Q(organization=organization) | Q(establishments=organization))
        .values_list("code", flat=True)))
    if not codes:
        return None
    return _("%(code)s has continuity plans, or is named in them: %(plans)s.") % {
        "code": organization.code, "plans": ", ".join(codes)}
