"""GHT, legal entities (EJ) and establishments (ET) (DESIGN §4.1)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit
from pcra.organizations.finess import FinessError, validate_finess


class OrganizationKind(models.TextChoices):
    GHT = "GHT", _("GHT (hospital group)")
    EJ = "EJ", _("Legal entity (EJ)")
    ET = "ET", _("Establishment (ET)")


def finess_message(exc: FinessError) -> str:
    """The translated message of a :class:`FinessError`."""
    messages = {
        "empty": _("FINESS number is empty"),
        "length": _("FINESS number '%(number)s' must have 9 characters, not %(length)d"),
        "shape": _("FINESS number '%(number)s' must be 9 digits (or 2A/2B then 7 digits)"),
        "key": _("FINESS number '%(number)s' has a wrong check digit"),
    }
    return str(messages[exc.code]) % exc.params


#: which kind of parent each kind accepts (None = may have no parent)
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    OrganizationKind.GHT: {None},
    OrganizationKind.EJ: {None, OrganizationKind.GHT},
    OrganizationKind.ET: {OrganizationKind.EJ},
}


@audit.register
class Organization(models.Model):
    """A GHT, a legal entity (EJ) or an establishment (ET).

    A GHT groups EJ; an EJ has ET; an EJ outside any GHT is its own root. ``root`` is the top
    of the hierarchy (the GHT, or the EJ outside a GHT), empty for the top itself: graph nodes
    and their codes are scoped to it (``top_id``).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("code"), max_length=50, unique=True,
                            help_text=_("Stable key chosen by the organization."))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=3, choices=OrganizationKind.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    root = models.ForeignKey("self", verbose_name=_("top organization"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+", editable=False,
                             help_text=_("Empty for a top organization (GHT, or EJ outside a "
                                         "GHT); else the top of its hierarchy."))
    finess = models.CharField(_("FINESS"), max_length=9, blank=True,
                              help_text=_("9 characters, the last a Luhn check digit. "
                                          "Required for EJ and ET."))
    activity_weight = models.DecimalField(
        _("activity weight"), max_digits=14, decimal_places=2, default=0,
        # xgettext:no-python-format
        help_text=_("Beds, stays or budget share, for the CaRE 66 % coverage rule."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(activity_weight__gte=0),
                                   name="org_activity_weight_positive"),
            models.CheckConstraint(condition=models.Q(kind="GHT") | ~models.Q(finess=""),
                                   name="org_finess_required_for_ej_et"),
            models.UniqueConstraint(fields=["finess"], condition=~models.Q(finess=""),
                                    name="org_finess_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def save(self, *args, **kwargs):
        # root is stored for fast scoping: null for a top organization, else the parent's top.
        self.root_id = self.parent.top_id if self.parent is not None else None
        super().save(*args, **kwargs)

    def audit_organization_id(self) -> int | None:
        return self.pk

    def rule_errors(self) -> dict[str, list[str]]:
        """The meaning rules that need no database (the parent may be unsaved), per field.

        Shared by :meth:`clean` (web forms, services) and the workbook import. Normalizes the
        FINESS number in passing.
        """
        errors: dict[str, list[str]] = {}
        parent_kind = self.parent.kind if self.parent is not None else None
        if self.kind and parent_kind not in ALLOWED_PARENTS.get(self.kind, set()):
            if self.kind == OrganizationKind.ET:
                message = _("An establishment (ET) must belong to a legal entity (EJ).")
            elif self.kind == OrganizationKind.EJ:
                message = _("A legal entity's parent must be a GHT, or none.")
            else:
                message = _("A GHT has no parent.")
            errors["parent"] = [message]
        self.finess = (self.finess or "").strip()
        if self.kind in (OrganizationKind.EJ, OrganizationKind.ET) or self.finess:
            try:
                self.finess = validate_finess(self.finess)
            except FinessError as exc:
                errors["finess"] = [finess_message(exc)]
        if self.activity_weight is not None and self.activity_weight < 0:
            errors["activity_weight"] = [_("Must be zero or more.")]
        return {field: [str(m) for m in messages] for field, messages in errors.items()}

    def clean(self) -> None:
        errors = self.rule_errors()
        if errors:
            raise ValidationError(errors)

    @property
    def top_id(self) -> int:
        """Id of the top of the hierarchy (GHT, or EJ outside a GHT): ``root`` or itself."""
        return self.root_id or self.pk
