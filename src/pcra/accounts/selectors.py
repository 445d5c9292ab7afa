"""Reads of memberships, scoped by the reader's administrator roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from pcra.accounts.access import access_for
from pcra.accounts.models import ROLE_RANK, Membership, Role


def memberships_managed_by(*, user) -> QuerySet[Membership]:
    """The memberships ``user`` may change: those on organizations they administer (a
    superuser: all of them)."""
    access = access_for(user)
    qs = Membership.objects.select_related("user", "organization")
    if access.is_superuser:
        return qs
    administered = [org for org, role in access.roles.items() if role == Role.ADMIN]
    return qs.filter(organization_id__in=administered)


@dataclass
class Members:
    """Who holds a role on an organization, as its administrators see it."""

    #: memberships on the organization itself (its administrators may change them)
    direct: list[Membership] = field(default_factory=list)
    #: memberships on the organizations above it, which cover it too (read-only here)
    inherited: list[Membership] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.direct) + len(self.inherited)


def organization_members(*, user, organization) -> Members | None:
    """The members of ``organization`` if ``user`` administers it, else None. One query.

    A direct membership whose user holds a stronger role from above carries that inherited
    membership as ``stronger`` (the strongest role wins), else ``stronger`` is None."""
    access = access_for(user)
    if access.role_on(organization.pk) != Role.ADMIN:
        return None
    above = [i for i in (organization.root_id, organization.parent_id) if i is not None]
    rows = list(Membership.objects.filter(organization_id__in=[organization.pk, *above])
                .select_related("user", "organization").order_by("user__username"))
    members = Members()
    depth = {org_id: index for index, org_id in enumerate(dict.fromkeys(above))}
    for m in rows:
        # an organization above is linked only for those who see it
        m.organization_visible = access.can_read(m.organization_id)
        if m.organization_id == organization.pk:
            members.direct.append(m)
        else:
            members.inherited.append(m)
    members.inherited.sort(key=lambda m: (depth.get(m.organization_id, 0), m.user.username))
    best: dict[int, Membership] = {}
    for m in members.inherited:
        if m.user_id not in best or ROLE_RANK[m.role] > ROLE_RANK[best[m.user_id].role]:
            best[m.user_id] = m
    for m in members.direct:
        above_m = best.get(m.user_id)
        m.stronger = above_m if above_m and ROLE_RANK[above_m.role] > ROLE_RANK[m.role] else None
    return members
