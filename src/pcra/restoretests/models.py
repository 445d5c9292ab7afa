"""Restore tests (DESIGN §4.5 "0", CaRE O4): a backup restored for real, measured, kept as
evidence.

* ``Agent``: a restore-test runner installed in a backup zone (``pcra agent``); it calls the
  server over HTTPS with its bearer token (only the SHA-256 is stored) and opens no port.
* ``RestoreTestDefinition``: what to test on one copy, how deeply (level 1 engine check, 2
  restore + verification of every file, 3 + an application probe; functional sign-off by the
  business referent on top), on which scope (the whole snapshot or a sample), how often, where
  (the worker, or an agent).
* ``RestoreTestRun``: one execution, queued → running → passed / failed / cancelled, with its
  live progress, its measurements and its evidence (the JSON report and its SHA-256).
* ``Signoff``: the business referent's functional validation of a passed run.

Scoping follows the copy's data asset (its node's establishment, or the GHT for a shared node);
agents belong to one organization and only run tests of what is under it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


def _copy_scope_org(copy) -> int | None:
    node = copy.data_asset.node
    return node.organization_id or node.top_id


class Level(models.IntegerChoices):
    CHECK = 1, _("1 – engine integrity check")
    RESTORE = 2, _("2 – restore and verification of every file")
    PROBE = 3, _("3 – restore, verification and application probe")


class Scope(models.TextChoices):
    FULL = "full", _("Whole snapshot")
    SAMPLE = "sample", _("Sample of files")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_STATES = (RunState.PASSED, RunState.FAILED, RunState.CANCELLED)


class Decision(models.TextChoices):
    VALIDATED = "validated", _("Validated")
    REFUSED = "refused", _("Refused")


@audit.register(fingerprint=("token_hash",))
class Agent(models.Model):
    """A restore-test runner in a backup zone. It serves one organization and what is below it.
    Only the token's SHA-256 is stored; the token is shown once, at registration."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="+")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("location"), max_length=200, blank=True,
                                   help_text=_("Where it runs (backup zone, site)."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_version = models.CharField(_("version"), max_length=40, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("restore-test agent")
        verbose_name_plural = _("restore-test agents")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="agent_name_unique_in_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def audit_organization_id(self) -> int | None:
        return self.organization_id


@audit.register
class RestoreTestDefinition(models.Model):
    """What to test on one copy, how, how often and where."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    copy = models.ForeignKey("backups.BackupCopy", verbose_name=_("copy"),
                             on_delete=models.CASCADE, related_name="restore_tests")
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices,
                                             default=Level.RESTORE)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices,
                             default=Scope.FULL)
    sample_files = models.PositiveIntegerField(_("sample: files"), null=True, blank=True)
    sample_percent = models.DecimalField(_("sample: % of the files"), max_digits=5,
                                         decimal_places=2, null=True, blank=True)
    snapshot = models.CharField(_("snapshot"), max_length=200, blank=True,
                                help_text=_("Empty = the newest."))
    probe_command = models.CharField(
        _("probe command"), max_length=1000, blank=True,
        help_text=_("Level 3: a command run against the restored data, without a shell; "
                    "{sandbox} is replaced by the restored data's directory. Example: "
                    "sqlite3 {sandbox}/var/lib/app/app.db 'PRAGMA integrity_check'"))
    probe_expect = models.CharField(
        _("expected probe output"), max_length=200, blank=True,
        help_text=_("A regular expression its output must match (for example ^ok$)."))
    probe_timeout_seconds = models.PositiveIntegerField(_("probe timeout (s)"), default=300)
    timeout_seconds = models.PositiveIntegerField(_("test timeout (s)"), default=4 * 3600)
    interval_days = models.PositiveIntegerField(
        _("every (days)"), null=True, blank=True, help_text=_("Empty = on demand only."))
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, editable=False)
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="definitions",
                              help_text=_("Empty = the pcra worker runs the test."))
    functional_signoff = models.BooleanField(
        _("functional validation"), default=False,
        help_text=_("A passed test also waits for the business referent's validation."))
    referent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("business referent"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("restore-test definition")
        verbose_name_plural = _("restore-test definitions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["copy", "name"], name="restore_test_name_unique"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=3),
                                   name="restore_test_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.copy} / {self.name}"

    def audit_organization_id(self) -> int | None:
        return _copy_scope_org(self.copy)


@audit.register(exclude=("phase", "bytes_done", "bytes_total", "files_done", "files_total",
                         "heartbeat_at", "lease_expires_at", "report_json"))
class RestoreTestRun(models.Model):
    """One execution of a restore test and its evidence.

    ``report_json`` is the evidence record exactly as served (canonical JSON) and
    ``report_sha256`` its digest; both are written once, when the run ends."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    copy = models.ForeignKey("backups.BackupCopy", verbose_name=_("copy"),
                             on_delete=models.CASCADE, related_name="restore_runs")
    definition = models.ForeignKey(RestoreTestDefinition, verbose_name=_("definition"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="runs")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    #: the test parameters (snapshot, sample, probe, timeouts; never the secret)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(_("status"), max_length=10, choices=RunState.choices,
                              default=RunState.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(_("cancellation requested"), default=False)
    # live progress
    phase = models.CharField(_("phase"), max_length=12, blank=True)
    bytes_done = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    files_done = models.BigIntegerField(default=0)
    files_total = models.BigIntegerField(default=0)
    # results
    snapshot_id = models.CharField(_("snapshot"), max_length=200, blank=True)
    snapshot_time = models.DateTimeField(_("snapshot taken"), null=True, blank=True)
    snapshot_bytes = models.BigIntegerField(_("snapshot size (bytes)"), null=True, blank=True)
    snapshot_files = models.BigIntegerField(_("files in the snapshot"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    restore_seconds = models.FloatField(_("restore and verification (s)"), null=True,
                                        blank=True)
    bytes_restored = models.BigIntegerField(_("bytes restored"), default=0)
    files_restored = models.BigIntegerField(_("files restored"), default=0)
    files_verified = models.BigIntegerField(_("files verified"), default=0)
    throughput = models.FloatField(_("throughput (bytes/s)"), null=True, blank=True)
    extrapolated_full_seconds = models.FloatField(_("full restore (s, extrapolated)"),
                                                  null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=24, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    report_json = models.TextField(_("evidence (JSON)"), blank=True, editable=False)
    report_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True,
                                     editable=False)
    verification = models.OneToOneField("backups.Verification", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="restore_run")

    class Meta:
        verbose_name = _("restore test")
        verbose_name_plural = _("restore tests")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "agent"]),
                   models.Index(fields=["copy", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.copy} {self.status} @ {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATES

    @property
    def fraction(self) -> float | None:
        """Overall progress 0..1 (the runner's phases weighted), None when unknown."""
        if self.status in FINISHED_STATES:
            return 1.0
        if self.status != RunState.RUNNING or not self.phase:
            return 0.0 if self.status == RunState.QUEUED else None
        from pcra.restoretests.runner import Progress

        return Progress(phase=self.phase, bytes_done=self.bytes_done,
                        bytes_total=self.bytes_total, files_done=self.files_done,
                        files_total=self.files_total).fraction

    def audit_organization_id(self) -> int | None:
        return _copy_scope_org(self.copy)


@audit.register
class Signoff(models.Model):
    """The business referent's functional validation of a passed restore test (level 4)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    run = models.OneToOneField(RestoreTestRun, on_delete=models.CASCADE, related_name="signoff")
    referent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("business referent"),
                                 on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)

    class Meta:
        verbose_name = _("functional validation")
        verbose_name_plural = _("functional validations")

    def __str__(self) -> str:
        return f"{self.run} {self.decision}"

    def audit_organization_id(self) -> int | None:
        return _copy_scope_org(self.run.copy)
