"""Writes to organizations: validated, atomic, audited.

Who may change organizations is decided here, once, by :func:`organization_change_denied`;
the web pages and the workbook import both ask it. Services given an ``access`` enforce it
(raising ``PermissionDenied``); without one they act for the system (command line, demo).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pcra.accounts.access import Access
from pcra.accounts.models import Role
from pcra.organizations.models import ALLOWED_PARENTS, Organization

#: what :func:`organization_change_denied` is asked about
CREATE, CHANGE, MOVE, DELETE = "create", "change", "move", "delete"


def _is_admin_of(access: Access, organization: Organization | None) -> bool:
    """``access`` holds the administrator role on ``organization``.

    An organization not saved yet (created in the same workbook) is administered by whoever
    administers its first saved ancestor: the role on it will be inherited. ``None`` (above a
    top organization) is the superuser's alone.
    """
    seen: set[int] = set()
    while organization is not None and organization.pk is None and id(organization) not in seen:
        seen.add(id(organization))
        organization = organization.parent
    if organization is None or organization.pk is None:
        return access.is_superuser
    return access.role_on(organization.pk) == Role.ADMIN


def organization_change_denied(*, access: Access | None, action: str,
                               organization: Organization,
                               parent: Organization | None = None,
                               old_parent: Organization | None = None) -> str | None:
    """Why ``access`` may not do ``action`` to ``organization``, or None when it may.

    The one rule of the web pages and the workbook import (``access`` None = the command
    line, which may do everything):

    * ``create``: the administrator role on ``parent`` (the new organization's parent); a new
      top organization (GHT, or EJ without parent) needs a superuser;
    * ``change`` (its code, name, type, FINESS, weight): the administrator role on it;
    * ``move`` from ``old_parent`` to ``parent``: the administrator role on both; to or from
      the top of the hierarchy, a superuser;
    * ``delete``: the administrator role on its parent (as for creating it); a top
      organization, a superuser.
    """
    if access is None or access.is_superuser:
        return None
    code = organization.code
    if action == CREATE:
        if parent is None:
            if organization.kind == "GHT":
                return _("You may not create the GHT %(code)s.") % {"code": code}
            return _("You may not create %(code)s without a parent: only a superuser creates "
                     "a top organization.") % {"code": code}
        if not _is_admin_of(access, parent):
            return _("You may not create %(code)s below %(parent)s: that needs the "
                     "administrator role on %(parent)s.") % {"code": code, "parent": parent.code}
        return None
    if action == CHANGE:
        if not _is_admin_of(access, organization):
            return _("You may not change %(code)s: that needs the administrator role on "
                     "%(code)s.") % {"code": code}
        return None
    if action == MOVE:
        if parent is None or old_parent is None:
            return _("You may not move %(code)s: only a superuser moves an organization to or "
                     "from the top of the hierarchy.") % {"code": code}
        if not (_is_admin_of(access, old_parent) and _is_admin_of(access, parent)):
            return _("You may not move %(code)s from %(old)s to %(new)s: that needs the "
                     "administrator role on both.") % {"code": code, "old": old_parent.code,
                                                       "new": parent.code}
        return None
    if action == DELETE:
        current_parent = organization.parent
        if current_parent is None:
            return _("You may not delete %(code)s: only a superuser deletes a top "
                     "organization.") % {"code": code}
        if not _is_admin_of(access, current_parent):
            return _("You may not delete %(code)s: that needs the administrator role on "
                     "%(parent)s.") % {"code": code, "parent": current_parent.code}
        return None
    raise ValueError(f"unknown action {action!r}")


def organization_children_errors(organization: Organization,
                                 children: Iterable[Organization]) -> list[str]:
    """Why existing ``children`` could not stay below ``organization`` as it now is (its
    type may have changed): a GHT holds EJ, an EJ holds ET, an ET holds nothing.

    Shared by :func:`organization_validate` (web forms) and the workbook import."""
    misfits = [child for child in children
               if organization.kind not in ALLOWED_PARENTS.get(child.kind, set())]
    return [_("%(child)s (%(child_kind)s) cannot stay below a %(kind)s.")
            % {"child": child.code, "child_kind": child.kind, "kind": organization.kind}
            for child in sorted(misfits, key=lambda c: c.code)]


def organization_validate(org: Organization) -> None:
    errors: dict[str, list[str]] = {}
    try:
        org.full_clean(exclude=["root", "uuid"], validate_unique=False,
                       validate_constraints=False)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if org.code and Organization.objects.filter(code=org.code).exclude(pk=org.pk).exists():
        errors.setdefault("code", []).append(
            _("The code %(code)s is already used.") % {"code": org.code})
    if org.finess and Organization.objects.filter(finess=org.finess).exclude(pk=org.pk).exists():
        errors.setdefault("finess", []).append(
            _("The FINESS number %(f)s is already used.") % {"f": org.finess})
    if org.pk and org.parent_id:
        # A parent below the organization itself would make a loop.
        node, seen = org.parent, set()
        while node is not None and node.pk not in seen:
            if node.pk == org.pk:
                errors.setdefault("parent", []).append(
                    _("An organization cannot be placed below itself."))
                break
            seen.add(node.pk)
            node = node.parent
    if org.pk and org.kind and "kind" not in errors:
        # The organizations below it must still fit below its (possibly new) type.
        misfits = organization_children_errors(org, org.children.all())
        if misfits:
            errors.setdefault("kind", []).extend(misfits)
    if errors:
        raise ValidationError(errors)


def _deny(denied: str | None) -> None:
    if denied is not None:
        raise PermissionDenied(denied)


@transaction.atomic
def organization_create(*, access: Access | None = None, **fields) -> Organization:
    """Create an organization; with ``access``, only as :func:`organization_change_denied`
    allows (``PermissionDenied`` otherwise)."""
    org = Organization(**fields)
    _deny(organization_change_denied(access=access, action=CREATE, organization=org,
                                     parent=org.parent))
    organization_validate(org)
    org.save()
    return org


def _descendants(org: Organization) -> list[Organization]:
    out, stack = [], [org]
    while stack:
        current = stack.pop()
        for child in current.children.all():
            out.append(child)
            stack.append(child)
    return out


@transaction.atomic
def organization_update(*, organization: Organization, access: Access | None = None,
                        **fields) -> Organization:
    """Change an organization (and move its subtree with it); with ``access``, only as
    :func:`organization_change_denied` allows."""
    from pcra.inventory.models import Node

    old_top = organization.top_id
    old_parent = organization.parent
    _deny(organization_change_denied(access=access, action=CHANGE, organization=organization))
    for name, value in fields.items():
        setattr(organization, name, value)
    if organization.parent_id != (old_parent.pk if old_parent is not None else None):
        _deny(organization_change_denied(access=access, action=MOVE, organization=organization,
                                         parent=organization.parent, old_parent=old_parent))
    organization_validate(organization)
    new_top = organization.parent.top_id if organization.parent_id else organization.pk
    if new_top != old_top:
        moved = [organization, *_descendants(organization)]
        if Node.objects.filter(organization__in=moved).exists():
            raise ValidationError({"parent": [_(
                "This organization owns activities, applications or components: it cannot "
                "move to another GHT.")]})
    organization.save()
    for child in _descendants(organization):
        child.save()  # recomputes root
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization, access: Access | None = None) -> None:
    """Delete an organization with nothing below it and no nodes; with ``access``, only as
    :func:`organization_change_denied` allows."""
    from pcra.inventory.models import Node

    _deny(organization_change_denied(access=access, action=DELETE, organization=organization))
    if organization.children.exists():
        raise ValidationError(_("%(code)s still has organizations below it.")
                              % {"code": organization.code})
    if Node.objects.filter(organization=organization).exists() or (
        organization.root_id is None and Node.objects.filter(top=organization).exists()
    ):
        raise ValidationError(_("%(code)s still owns activities, applications or components.")
                              % {"code": organization.code})
    from pcra.plans.guards import organization_delete_refusal

    refusal = organization_delete_refusal(organization)
    if refusal:
        raise ValidationError(refusal)
    organization.memberships.all().delete()
    organization.delete()
