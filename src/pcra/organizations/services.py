"""Writes to organizations: validated, atomic, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pcra.organizations.models import Organization


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
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def organization_create(**fields) -> Organization:
    org = Organization(**fields)
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
def organization_update(*, organization: Organization, **fields) -> Organization:
    from pcra.inventory.models import Node

    old_top = organization.top_id
    for name, value in fields.items():
        setattr(organization, name, value)
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
def organization_delete(*, organization: Organization) -> None:
    from pcra.inventory.models import Node

    if organization.children.exists():
        raise ValidationError(_("%(code)s still has organizations below it.")
                              % {"code": organization.code})
    if Node.objects.filter(organization=organization).exists() or (
        organization.root_id is None and Node.objects.filter(top=organization).exists()
    ):
        raise ValidationError(_("%(code)s still owns activities, applications or components.")
                              % {"code": organization.code})
    organization.memberships.all().delete()
    organization.delete()
