"""Continuity plans (DESIGN §3 ``plans``, CaRE D2 O1.c): what the teams do when the IS is down.

* ``ContinuityPlan``: one version of a PCRA (plan de continuité et de reprise d'activité) for
  one or several activities, applying to one or several establishments (a PCRA may serve
  establishments that share an IS when the degraded modes apply alike). Versions of the same
  plan share its ``code``; a version goes draft → review → approved, and an approved version
  is never changed: changing it starts a new draft version, and approving that one
  supersedes it. What was approved is kept as ``snapshot`` (with its SHA-256,
  ``content_hash``), so the binder and the offline kit print exactly what was approved.
* ``PlanStep``: the ordered steps of a plan's degraded mode and of its return to normal
  (when, who, does what, where, how).
* ``Contact``: the crisis directory of a GHT or an establishment: the crisis cell roster
  (``crisis_role``) and the contact tree (``alerted_by``: who calls whom), with out-of-band
  numbers for when the phones and the mail are down.
* ``ReflexSheet`` and ``ReflexStep``: the reflex sheets (first hour of a ransomware attack,
  loss of the patient record, of the phones, of the network…), shipped as editable defaults.
* ``KitExport``: each offline kit exported, with the hash of what it holds, so that the
  dashboard can say when the plans changed since.

Scoping: everything belongs to a GHT (``top``) and an organization (an EJ or ET; empty = the
whole GHT), read through selectors scoped by the user's memberships.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class PlanScenario(models.TextChoices):
    """The situations a PCRA covers (CaRE D2 O1.c: "IS unavailable" is mandatory)."""

    IS_DOWN = "si_indisponible", _("Information system unavailable")
    SITE = "site", _("Site unavailable")
    STAFF = "personnel", _("Staff unavailable")
    SUPPLIER = "fournisseur", _("Critical supplier unavailable")


class StepPhase(models.TextChoices):
    DEGRADED = "degraded", _("Degraded mode")
    RETURN = "return", _("Return to normal")


class _Owned(models.Model):
    """Common fields: the GHT, the owning organization (empty = the whole GHT), a public id."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("organization"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
        help_text=_("Empty = the whole GHT."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def audit_organization_id(self) -> int | None:
        return self.organization_id or self.top_id


@audit.register
class ContinuityPlan(_Owned):
    """One version of a PCRA. ``code`` names the plan across its versions."""

    code = models.SlugField(_("code"), max_length=64,
                            help_text=_("Short name of the plan, the same for all its versions."))
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.DRAFT, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    activities = models.ManyToManyField(
        "inventory.Node", verbose_name=_("activities"), related_name="continuity_plans",
        help_text=_("The activities this plan keeps going."))
    establishments = models.ManyToManyField(
        "organizations.Organization", verbose_name=_("establishments where it applies"),
        related_name="continuity_plans", blank=True,
        help_text=_("Several establishments sharing an IS may share one plan when the "
                    "degraded modes apply alike. Empty = the establishments of its "
                    "activities."))
    scenarios = models.JSONField(_("scenarios covered"), default=list)
    manager = models.CharField(_("plan manager"), max_length=200, blank=True,
                               help_text=_("Who keeps the plan up to date."))
    trigger_criteria = models.TextField(
        _("triggering criteria"), blank=True,
        help_text=_("When the degraded mode starts: which signs, after how long."))
    trigger_authority = models.TextField(
        _("who triggers and decides"), blank=True,
        help_text=_("Who may trigger the degraded mode, who decides the return to normal, "
                    "and who replaces them."))
    resources = models.TextField(
        _("resources to have ready"), blank=True,
        help_text=_("Paper forms, printed patient lists, stand-alone phones, where they are "
                    "kept and who checks them."))
    communication = models.TextField(
        _("communication"), blank=True,
        help_text=_("Who informs whom (teams, patients, partners, ARS), by which channel."))
    return_to_normal = models.TextField(
        _("return to normal"), blank=True,
        help_text=_("How the service goes back to the IS: re-entering what was written on "
                    "paper, checks, who closes the degraded mode."))
    review_due = models.DateField(_("next review"), null=True, blank=True)
    change_summary = models.TextField(_("changes in this version"), blank=True)
    contacts = models.ManyToManyField("plans.Contact", verbose_name=_("contacts"), blank=True,
                                      related_name="plans")
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_by_name = models.CharField(_("approved by (name)"), max_length=200, blank=True)
    snapshot = models.JSONField(_("approved content"), null=True, blank=True)
    content_hash = models.CharField(_("SHA-256 of the approved content"), max_length=64,
                                    blank=True)

    class Meta:
        verbose_name = _("continuity plan (PCRA)")
        verbose_name_plural = _("continuity plans (PCRA)")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["top", "code", "version"],
                                    name="continuity_plan_unique_version"),
            models.CheckConstraint(condition=models.Q(version__gte=1),
                                   name="continuity_plan_version_positive"),
            # One version in the works and one approved version per plan at a time (two
            # "new version" clicks at once cannot make two drafts).
            models.UniqueConstraint(fields=["top", "code"],
                                    condition=models.Q(status__in=["draft", "review"]),
                                    name="continuity_plan_one_open_version"),
            models.UniqueConstraint(fields=["top", "code"],
                                    condition=models.Q(status="approved"),
                                    name="continuity_plan_one_approved_version"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "superseded"])
                | (models.Q(approved_at__isnull=False) & ~models.Q(content_hash="")),
                name="continuity_plan_approved_has_content"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_locked(self) -> bool:
        """Only a draft can be changed."""
        return self.status != PlanStatus.DRAFT

    def scenario_labels(self) -> list[str]:
        labels = dict(PlanScenario.choices)
        return [str(labels.get(s, s)) for s in self.scenarios]


@audit.register
class PlanStep(models.Model):
    """One step of a plan's degraded mode or return to normal, in order."""

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="steps")
    phase = models.CharField(_("phase"), max_length=10, choices=StepPhase.choices,
                             default=StepPhase.DEGRADED)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    when = models.CharField(_("when"), max_length=200, blank=True)
    who = models.CharField(_("who"), max_length=200)
    action = models.TextField(_("does what"))
    where = models.CharField(_("where"), max_length=200, blank=True)
    how = models.TextField(_("how"), blank=True)

    class Meta:
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        ordering = ["plan", "phase", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.action[:60]}"

    def audit_organization_id(self) -> int | None:
        return self.plan.audit_organization_id()


@audit.register
class Contact(_Owned):
    """A person of the crisis directory. ``crisis_role`` non-empty: a member of the crisis
    cell. ``alerted_by``: who calls this person in the contact tree (empty: a root, alerted
    first)."""

    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(_("function"), max_length=200, blank=True)
    crisis_role = models.CharField(
        _("role in the crisis cell"), max_length=100, blank=True,
        help_text=_("E.g. crisis director, coordinator, log keeper, communication; empty = "
                    "not a member of the crisis cell."))
    phone = models.CharField(_("work phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    backup_phone = models.CharField(
        _("out-of-band phone"), max_length=40, blank=True,
        help_text=_("A number that works when the hospital's IS and phones are down: personal "
                    "mobile, analogue line, satellite phone."))
    email = models.EmailField(_("e-mail"), blank=True)
    backup_email = models.EmailField(
        _("out-of-band e-mail"), blank=True,
        help_text=_("An address outside the hospital's mail system."))
    alerted_by = models.ForeignKey(
        "self", verbose_name=_("alerted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="alerts",
        help_text=_("Who calls this person in the contact tree; empty = alerted first."))
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


@audit.register
class ReflexSheet(_Owned):
    """A reflex sheet: what to do, in order, in the first moments of a situation."""

    code = models.SlugField(_("code"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    situation = models.TextField(_("when to use it"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("reflex sheet")
        verbose_name_plural = _("reflex sheets")
        ordering = ["position", "title"]
        constraints = [models.UniqueConstraint(fields=["top", "code"],
                                               name="reflex_sheet_unique_code")]

    def __str__(self) -> str:
        return self.title


@audit.register
class ReflexStep(models.Model):
    sheet = models.ForeignKey(ReflexSheet, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    when = models.CharField(_("when"), max_length=100, blank=True)
    who = models.CharField(_("who"), max_length=200, blank=True)
    action = models.TextField(_("does what"))

    class Meta:
        verbose_name = _("reflex step")
        verbose_name_plural = _("reflex steps")
        ordering = ["sheet", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.action[:60]}"

    def audit_organization_id(self) -> int | None:
        return self.sheet.audit_organization_id()


@audit.register
class KitExport(models.Model):
    """One offline crisis kit exported: when, by whom, for which organization, what it held."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="+")
    created_at = models.DateTimeField(_("exported"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("exported by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    content_hash = models.CharField(_("SHA-256 of the content"), max_length=64)
    files = models.JSONField(_("files and their SHA-256"), default=dict)
    encrypted = models.BooleanField(_("encrypted"), default=False)
    location = models.CharField(_("written to"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("offline kit export")
        verbose_name_plural = _("offline kit exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"kit {self.organization_id} {self.created_at:%Y-%m-%d %H:%M}"

    def audit_organization_id(self) -> int | None:
        return self.organization_id
