"""Reads of organizations, scoped by the user's memberships."""

from __future__ import annotations

from django.db.models import QuerySet

from pcra.accounts.access import access_for
from pcra.organizations.models import Organization


def organizations_visible_to(*, user) -> QuerySet[Organization]:
    access = access_for(user)
    qs = Organization.objects.select_related("parent")
    if access.is_superuser:
        return qs
    return qs.filter(id__in=access.organization_ids)


def tops_visible_to(*, user) -> QuerySet[Organization]:
    """The GHTs (or EJ outside a GHT) the user works in."""
    access = access_for(user)
    return Organization.objects.filter(id__in=access.top_ids, root__isnull=True)
