"""A signed-off BIA locks the activity's PDMA and declared DMIA (DESIGN §4.3)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pcra.inventory.services import register_node_lock

#: activity fields that belong to the BIA
BIA_FIELDS = frozenset({"pdma_hours", "declared_dmia_hours", "declared_dmia_reason"})


def lock_message(*, code: str, version: int, status: str) -> str:
    """Why a submitted or signed-off BIA cannot change, and what to do instead."""
    if status == "submitted":
        return _("The BIA of %(code)s (version %(version)d) is submitted: return it to draft "
                 "to change it.") % {"code": code, "version": version}
    return _("The BIA of %(code)s (version %(version)d) is signed off: start a new version "
             "to change it.") % {"code": code, "version": version}


def signed_off_bia_lock(node, changed: set[str]) -> dict[str, list[str]]:
    """Refuse changes of BIA fields while the activity's latest BIA is submitted or signed off."""
    touched = changed & BIA_FIELDS
    if not touched or node.pk is None:
        return {}
    from pcra.impact.models import BiaStatus, BusinessImpactAnalysis

    latest = (BusinessImpactAnalysis.objects.filter(activity_id=node.pk)
              .order_by("-version").values_list("version", "status").first())
    if latest is None or latest[1] == BiaStatus.DRAFT:
        return {}
    message = lock_message(code=node.code, version=latest[0], status=latest[1])
    return {name: [message] for name in sorted(touched)}


register_node_lock(signed_off_bia_lock)
