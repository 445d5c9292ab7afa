"""The recovery plan (DESIGN §4.6-4.7): scenarios, recovery teams, and the computed schedules.

* ``RecoveryTeam``: a team (or a restore stream) of a GHT and how many restores it runs at
  once. Nodes name their team in ``Node.recovery_team``; a name without a team here counts as
  a team of capacity 1 (flagged in the plan).
* ``Scenario``: what is lost — a ransomware attack on the whole IS or on some establishments,
  the loss of a site, the failure of a supplier, or a hand-picked set of nodes.
* ``RecoveryPlan``: one computation of a scenario's schedule, queued → running → done /
  failed, with its parameters, the exact problem solved (JSON) and the solver's figures; its
  ``PlanTask`` rows hold, per node to bring back, the start and end in minutes after the
  beginning of the crisis, the team, why it starts then, and the same node in the plan made by
  hand-made priority groups.

Scoping: scenarios and plans belong to an organization (an establishment, or the GHT for
``organization`` empty); a plan's tasks are shown by name only to users who may see their node.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


class ScenarioKind(models.TextChoices):
    RANSOMWARE = "ransomware", _("Cyberattack / ransomware")
    SITE = "site", _("Loss of a site")
    SUPPLIER = "supplier", _("Failure of a supplier")
    CUSTOM = "custom", _("Hand-picked nodes")


class PlanState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Computing")
    DONE = "done", _("Computed")
    FAILED = "failed", _("Failed")


FINISHED_PLAN_STATES = (PlanState.DONE, PlanState.FAILED)


class TaskKind(models.TextChoices):
    RESTORE = "restore", _("Restore")
    EXTERNAL = "external", _("Wait for an outside party")
    MILESTONE = "milestone", _("Back when what it needs is back")


@audit.register
class RecoveryTeam(models.Model):
    """A recovery team (or restore stream) of a GHT: how many restores it runs at once."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100,
                            help_text=_("As written in the “recovery team” of the nodes."))
    capacity = models.PositiveSmallIntegerField(
        _("restores at once"), default=1,
        help_text=_("How many restores this team runs at the same time (people, streams)."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("recovery team")
        verbose_name_plural = _("recovery teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["top", "name"], name="recovery_team_unique_name"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1),
                                   name="recovery_team_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_organization_id(self) -> int | None:
        return self.top_id


@audit.register
class Scenario(models.Model):
    """What is lost. ``organization`` empty: a scenario of the whole GHT."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("organization"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
        help_text=_("Empty = a scenario of the whole GHT."))
    code = models.SlugField(_("code"), max_length=64,
                            help_text=_("Short name used by the command line."))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=ScenarioKind.choices)
    description = models.TextField(_("description"), blank=True)
    scope = models.ManyToManyField(
        "organizations.Organization", verbose_name=_("establishments hit"), blank=True,
        related_name="+",
        help_text=_("Ransomware: the establishments whose IS is encrypted (none = all)."))
    site = models.CharField(_("site"), max_length=200, blank=True,
                            help_text=_("Loss of a site: the code of the site component, or the "
                                        "site written on the components."))
    supplier = models.ForeignKey("inventory.Node", verbose_name=_("supplier"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    nodes = models.ManyToManyField("inventory.Node", verbose_name=_("nodes lost"), blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["top", "code"], name="scenario_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_organization_id(self) -> int | None:
        return self.organization_id or self.top_id


@audit.register
class RecoveryPlan(models.Model):
    """One computed schedule of a scenario (kept: a plan is evidence of what was planned)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("organization"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(Scenario, verbose_name=_("scenario"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="plans")
    scenario_name = models.CharField(_("scenario"), max_length=200)
    state = models.CharField(_("state"), max_length=8, choices=PlanState.choices,
                             default=PlanState.QUEUED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Parameters
    time_limit_seconds = models.PositiveIntegerField(_("time limit (s)"), default=10)
    seed = models.PositiveIntegerField(_("seed"), default=0)
    team_capacity = models.PositiveSmallIntegerField(
        _("restores at once per team"), null=True, blank=True,
        help_text=_("Empty = the capacity declared for each team."))
    # Progress
    progress_phase = models.CharField(max_length=20, blank=True)
    progress = models.FloatField(default=0.0)
    # Results
    solver_status = models.CharField(_("solution"), max_length=10, blank=True)
    method = models.CharField(_("method"), max_length=20, blank=True)
    makespan_minutes = models.PositiveIntegerField(_("everything back after (min)"), null=True,
                                                   blank=True)
    lower_bound_minutes = models.PositiveIntegerField(_("lower bound (min)"), null=True,
                                                      blank=True)
    weighted_lateness = models.PositiveBigIntegerField(_("business impact"), null=True,
                                                       blank=True)
    groups_makespan_minutes = models.PositiveIntegerField(null=True, blank=True)
    groups_weighted_lateness = models.PositiveBigIntegerField(null=True, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    problem_json = models.TextField(blank=True, help_text=_("The exact problem solved."))
    notes = models.JSONField(default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("recovery plan")
        verbose_name_plural = _("recovery plans")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["scenario", "state", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.scenario_name} ({self.requested_at:%Y-%m-%d %H:%M})"

    def audit_organization_id(self) -> int | None:
        return self.organization_id or self.top_id

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_PLAN_STATES

    @property
    def method_label(self) -> str:
        """Who found the schedule, for people (``method`` is the solver's word for it)."""
        return str(METHOD_LABELS.get(self.method, self.method))


#: The solver's ``Schedule.method`` values, for people.
METHOD_LABELS = {
    "cp-sat": _("CP-SAT solver"),
    "genetic": _("genetic algorithm"),
    "priority-rule": _("priority rules"),
    "groups": _("hand-made groups"),
}
#: A plan's progress phases (``services.plan_compute``, then ``scheduler.solve``'s), for people.
PHASE_LABELS = {
    "solve": _("solving"),
    "validating": _("checking the problem"),
    "priority-rules": METHOD_LABELS["priority-rule"],
    "genetic": METHOD_LABELS["genetic"],
    "cp-sat": METHOD_LABELS["cp-sat"],
    "done": _("schedule found"),
    "compare": _("plan by hand-made groups"),
    "save": _("saving"),
}


class PlanTask(models.Model):
    """One node to bring back in a plan (written once, with the plan's results)."""

    plan = models.ForeignKey(RecoveryPlan, on_delete=models.CASCADE, related_name="tasks")
    node = models.ForeignKey("inventory.Node", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    # Copies: the plan stays readable when the node changes or goes.
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    node_type = models.CharField(max_length=12)
    organization = models.ForeignKey("organizations.Organization", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=TaskKind.choices)
    team = models.CharField(max_length=100, blank=True)
    #: the backup infrastructure the restore reads from, when it limits restores at once
    stream = models.CharField(max_length=64, blank=True)
    #: the node was shared by the GHT (no establishment) when the plan was computed; a task
    #: whose establishment is deleted later is not mistaken for a shared one
    shared = models.BooleanField(default=False)
    duration_minutes = models.PositiveIntegerField()
    duration_source = models.CharField(max_length=10, blank=True)
    start_minutes = models.PositiveIntegerField()
    end_minutes = models.PositiveIntegerField()
    due_minutes = models.PositiveIntegerField(null=True, blank=True)
    weight = models.PositiveIntegerField(default=0)
    priority_group = models.PositiveSmallIntegerField(null=True, blank=True)
    groups_start_minutes = models.PositiveIntegerField(null=True, blank=True)
    groups_end_minutes = models.PositiveIntegerField(null=True, blank=True)
    #: why it starts then: {"kind": "start"|"release"|"predecessor"|"resource"|"choice", ...}
    reason = models.JSONField(default=dict, blank=True)
    #: codes of the tasks it waits for
    waits_for = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["start_minutes", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="plan_task_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.start_minutes}–{self.end_minutes}"

    @property
    def lateness_minutes(self) -> int | None:
        if self.due_minutes is None:
            return None
        return max(0, self.end_minutes - self.due_minutes)
