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


def organization_ids_below(top_id: int, roots) -> set[int]:
    """The ids of the organizations ``roots`` of a hierarchy and of every one under them (one
    query, however deep)."""
    children: dict[int, list[int]] = {}
    for pk, parent in Organization.objects.filter(root_id=top_id).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found: set[int] = set()
    stack = [org.pk for org in roots]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def chosen_top(*, user, wanted: str | None) -> Organization | None:
    """The GHT a page is about: the one whose uuid is ``wanted`` among the user's, else the
    user's first by code; None when the user has none, or ``wanted`` is not one of them."""
    tops = list(tops_visible_to(user=user).order_by("code"))
    if not wanted:
        return tops[0] if tops else None
    return next((top for top in tops if str(top.uuid) == wanted), None)
