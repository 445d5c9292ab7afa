"""Who may see and change what (DESIGN §5).

Access is computed once per request from the user's memberships: a role on an organization
covers it and everything below it (a GHT role covers its EJ and ET). Selectors in every app
filter with :func:`access_for`; views never query models unscoped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pcra.accounts.models import AUDIT_ROLES, ROLE_RANK, WRITE_ROLES, Role


@dataclass
class Access:
    """What one user may reach. ``roles`` maps organization id -> effective role."""

    is_superuser: bool = False
    roles: dict[int, str] = field(default_factory=dict)
    #: top organizations (GHT, or EJ outside a GHT) in which the user sees something
    top_ids: set[int] = field(default_factory=set)
    #: top organizations on which the user holds a role on the top itself
    top_roles: dict[int, str] = field(default_factory=dict)

    @property
    def organization_ids(self) -> set[int]:
        return set(self.roles)

    def role_on(self, organization_id: int | None, *, top_id: int | None = None) -> str | None:
        """Effective role on an organization; ``None`` organization means shared at the top."""
        if self.is_superuser:
            return Role.ADMIN
        if organization_id is None:
            return self.top_roles.get(top_id) if top_id is not None else None
        return self.roles.get(organization_id)

    def can_read(self, organization_id: int | None, *, top_id: int | None = None) -> bool:
        if self.is_superuser:
            return True
        if organization_id is None:
            return top_id in self.top_ids
        return organization_id in self.roles

    def can_write(self, organization_id: int | None, *, top_id: int | None = None) -> bool:
        return self.role_on(organization_id, top_id=top_id) in WRITE_ROLES

    def can_read_audit(self, organization_id: int) -> bool:
        return self.role_on(organization_id) in AUDIT_ROLES

    def writable_organization_ids(self) -> set[int]:
        return {org for org, role in self.roles.items() if role in WRITE_ROLES}

    @property
    def can_write_anything(self) -> bool:
        return self.is_superuser or bool(self.writable_organization_ids())


def _compute(user) -> Access:
    from pcra.organizations.models import Organization

    if user is None or not user.is_authenticated or not user.is_active:
        return Access()
    if user.is_superuser:
        ids = dict(Organization.objects.values_list("id", "root_id"))
        return Access(is_superuser=True, roles={i: Role.ADMIN for i in ids},
                      top_ids={r or i for i, r in ids.items()},
                      top_roles={i: Role.ADMIN for i, r in ids.items() if r is None})
    memberships = list(user.memberships.values_list("organization_id", "role"))
    if not memberships:
        return Access()
    tree = list(Organization.objects.values_list("id", "parent_id", "root_id"))
    children: dict[int, list[int]] = {}
    top_of: dict[int, int] = {}
    for org_id, parent_id, root_id in tree:
        children.setdefault(parent_id, []).append(org_id)
        top_of[org_id] = root_id or org_id
    roles: dict[int, str] = {}
    # Strongest role wins where two memberships cover the same organization.
    for org_id, role in sorted(memberships, key=lambda m: ROLE_RANK.get(m[1], -1)):
        stack = [org_id]
        while stack:
            current = stack.pop()
            roles[current] = role
            stack.extend(children.get(current, []))
    top_ids = {top_of[o] for o in roles if o in top_of}
    top_roles = {o: r for o, r in roles.items() if top_of.get(o) == o}
    return Access(roles=roles, top_ids=top_ids, top_roles=top_roles)


def access_for(user) -> Access:
    """The user's :class:`Access`, cached on the user object for the request."""
    cached = getattr(user, "_pcra_access", None)
    if cached is None:
        cached = _compute(user)
        if user is not None:
            try:
                user._pcra_access = cached
            except AttributeError:  # pragma: no cover - AnonymousUser is a plain object
                pass
    return cached


def reset_access(user) -> None:
    if hasattr(user, "_pcra_access"):
        del user._pcra_access
