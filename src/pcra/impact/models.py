"""Business impact analysis (DESIGN §4.3): scales per GHT, versioned BIAs per activity,
impact levels per criterion and horizon, and BIA campaigns.

The rules themselves (DMIA, required and achieved objectives) are in ``rules.py``, plain Python.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


@audit.register
class ImpactScale(models.Model):
    """The impact scale of a GHT (or of an EJ outside a GHT): its criteria, horizons, the level
    from which an impact is unacceptable, and the criticality classes derived from the DMIA."""

    top = models.OneToOneField("organizations.Organization", verbose_name=_("GHT"),
                               on_delete=models.PROTECT, related_name="impact_scale")
    threshold = models.PositiveSmallIntegerField(
        _("threshold level"), default=3,
        help_text=_("The DMIA is the earliest horizon at which a criterion reaches this level."))
    criticality_classes = models.JSONField(
        _("criticality classes"), default=list, blank=True,
        help_text=_("Pairs [upper bound in hours or null, class]: a DMIA up to the bound falls "
                    "in the class."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("impact scale")
        verbose_name_plural = _("impact scales")
        constraints = [models.CheckConstraint(condition=models.Q(threshold__gte=1,
                                                                 threshold__lte=4),
                                              name="scale_threshold_1_4")]

    def __str__(self) -> str:
        return f"{self.top.code} ({_('threshold')} {self.threshold})"

    def audit_organization_id(self) -> int | None:
        return self.top_id


@audit.register
class ImpactCriterion(models.Model):
    """A criterion of a scale (patient safety, continuity of care…), with what each level
    means for it (shown in every cell of the BIA grid)."""

    scale = models.ForeignKey(ImpactScale, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    level_descriptions = models.JSONField(
        _("level descriptions"), default=list, blank=True,
        help_text=_("Five texts: what levels 0 to 4 mean for this criterion."))

    class Meta:
        verbose_name = _("impact criterion")
        verbose_name_plural = _("impact criteria")
        ordering = ["position", "code"]
        constraints = [models.UniqueConstraint(fields=["scale", "code"],
                                               name="criterion_code_unique_in_scale")]

    def __str__(self) -> str:
        return self.label

    def audit_organization_id(self) -> int | None:
        return self.scale.top_id


@audit.register
class ImpactHorizon(models.Model):
    """A point in time after the start of an interruption (1 h, 4 h, 24 h…)."""

    scale = models.ForeignKey(ImpactScale, on_delete=models.CASCADE, related_name="horizons")
    code = models.SlugField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=40)
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("impact horizon")
        verbose_name_plural = _("impact horizons")
        ordering = ["hours"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "code"], name="horizon_code_unique_in_scale"),
            models.UniqueConstraint(fields=["scale", "hours"],
                                    name="horizon_hours_unique_in_scale"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="horizon_hours_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    def audit_organization_id(self) -> int | None:
        return self.scale.top_id


class BiaStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SIGNED_OFF = "signed_off", _("Signed off")


@audit.register
class BusinessImpactAnalysis(models.Model):
    """One version of the BIA of an activity.

    Lifecycle: draft → submitted → signed off. A signed-off version is locked: its levels,
    and the activity's PDMA and declared DMIA, change only through a new version (a copy in
    draft). ``signoff`` keeps, at sign-off, exactly what was signed (levels, PDMA, DMIA).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    activity = models.ForeignKey("inventory.Node", verbose_name=_("activity"),
                                 on_delete=models.CASCADE, related_name="bias")
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=12, choices=BiaStatus.choices,
                              default=BiaStatus.DRAFT)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed off by"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    signed_off_by_name = models.CharField(_("signed off by (name)"), max_length=200, blank=True)
    signoff = models.JSONField(_("signed content"), null=True, blank=True)

    class Meta:
        verbose_name = _("business impact analysis")
        verbose_name_plural = _("business impact analyses")
        ordering = ["activity__code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "version"], name="bia_version_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="signed_off") | models.Q(signed_off_at__isnull=False),
                name="bia_signed_off_has_date"),
        ]

    def __str__(self) -> str:
        return f"BIA {self.activity.code} v{self.version} ({self.get_status_display()})"

    def audit_organization_id(self) -> int | None:
        return self.activity.organization_id or self.activity.top_id

    @property
    def is_locked(self) -> bool:
        return self.status != BiaStatus.DRAFT


@audit.register
class ImpactLevel(models.Model):
    """The impact level (0–4) of an interruption of the activity, for one criterion, at one
    horizon. A level holds until the next horizon."""

    bia = models.ForeignKey(BusinessImpactAnalysis, on_delete=models.CASCADE,
                            related_name="levels")
    criterion = models.ForeignKey(ImpactCriterion, verbose_name=_("criterion"),
                                  on_delete=models.PROTECT, related_name="+")
    horizon = models.ForeignKey(ImpactHorizon, verbose_name=_("horizon"),
                                on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))

    class Meta:
        verbose_name = _("impact level")
        verbose_name_plural = _("impact levels")
        constraints = [
            models.UniqueConstraint(fields=["bia", "criterion", "horizon"],
                                    name="impact_level_unique_cell"),
            models.CheckConstraint(condition=models.Q(level__lte=4), name="impact_level_0_4"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}/{self.horizon_id}={self.level}"

    def audit_organization_id(self) -> int | None:
        return self.bia.audit_organization_id()


@audit.register
class BiaCampaign(models.Model):
    """A BIA campaign: an establishment's (or a GHT's) drive to get every activity's BIA signed
    off by a due date."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="bia_campaigns")
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("start"))
    due_on = models.DateField(_("due date"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("BIA campaign")
        verbose_name_plural = _("BIA campaigns")
        ordering = ["-due_on", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(due_on__gte=models.F("starts_on")),
                                              name="campaign_due_after_start")]

    def __str__(self) -> str:
        return self.name

    def audit_organization_id(self) -> int | None:
        return self.organization_id
