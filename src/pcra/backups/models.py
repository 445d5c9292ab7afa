"""Backups (DESIGN §4.5, CaRE O2/O3): data assets, their copies, what the engines say of them.

* ``DataAsset``: the data of one application or component (one per node) that must be backed up.
* ``BackupInfrastructure``: a backup server or zone, with its ANSSI hardening properties.
* ``BackupCopy``: one copy of a data asset (a restic or Borg repository, a Veeam job, a NAS
  snapshot…), with the properties of the workbook's ``Sauvegardes`` sheet, its repository
  password encrypted at rest (``pcra.core.secrets``) and its collection/verification schedule.
* ``RestorePoint``: a snapshot or archive collected from the engine, or ingested.
* ``BackupJob``: the result of one backup job (ingested from tools pcra does not drive).
* ``Verification``: an integrity check (possibly one slice of a rotation) or a restore test.
* ``CollectionRun``: the history of every collection and verification pcra ran.
* ``Alert``: what supervision raised; acknowledged and resolved by people.
* ``MetricsToken``: a hashed bearer token for the Prometheus ``/metrics`` endpoint.

Scoping follows the data asset's node: its establishment, or the GHT when the node is shared.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


class Engine(models.TextChoices):
    RESTIC = "restic", "restic"
    BORG = "borg", "BorgBackup"
    VEEAM = "veeam", "Veeam"
    OTHER = "autre", _("Other")


#: engines pcra drives itself (the others report through the ingest or the workbook)
DRIVEN_ENGINES = (Engine.RESTIC, Engine.BORG)


class Media(models.TextChoices):
    DISK = "disque", _("Disk")
    NAS = "nas", _("NAS")
    OBJECT = "objet", _("Object storage")
    TAPE = "bande", _("Tape")
    CLOUD = "cloud", _("Cloud")
    REMOVABLE = "amovible", _("Removable media")


class Source(models.TextChoices):
    ENGINE = "engine", _("Collected from the engine")
    INGEST = "ingest", _("Ingested")
    WORKBOOK = "workbook", _("Workbook")
    RESTORE_TEST = "restore_test", _("Restore test")
    MANUAL = "manual", _("Entered by hand")


def _asset_scope_org(asset) -> int | None:
    node = asset.node
    return node.organization_id or node.top_id


@audit.register
class DataAsset(models.Model):
    """The data of an application or component that must be backed up (one per node).

    ``production_site`` is where the production data lives (default: the node's site); a copy
    on another site is off-site."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    node = models.OneToOneField("inventory.Node", verbose_name=_("application or component"),
                                on_delete=models.CASCADE, related_name="data_asset")
    production_site = models.CharField(_("production site"), max_length=200, blank=True,
                                       help_text=_("Empty = the site of the application or "
                                                   "component."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("data asset")
        verbose_name_plural = _("data assets")

    def __str__(self) -> str:
        return str(self.node.code)

    @property
    def code(self) -> str:
        return self.node.code

    @property
    def site(self) -> str:
        return self.production_site or self.node.site

    def audit_organization_id(self) -> int | None:
        return _asset_scope_org(self)


@audit.register
class BackupInfrastructure(models.Model):
    """A backup server or backup zone, judged against the ANSSI hardening rules ("Sauvegarde
    des SI – les fondamentaux", 2023). Unknown (empty) properties are never counted as met."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("establishment"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text=_("Empty = shared across the GHT."))
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    separate_auth = models.BooleanField(_("not joined to the production AD"), null=True,
                                        blank=True)
    admin_mfa = models.BooleanField(_("MFA for administrators"), null=True, blank=True)
    segmented = models.BooleanField(_("segmented network, quick isolation"), null=True,
                                    blank=True)
    named_admin_accounts = models.BooleanField(_("dedicated named administrator accounts"),
                                               null=True, blank=True)
    restore_streams = models.PositiveSmallIntegerField(
        _("restores at once"), null=True, blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("How many restores it can serve at the same time (network, disks, proxies, "
                    "licences): the recovery plan never runs more. Empty = not limited."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("backup infrastructure")
        verbose_name_plural = _("backup infrastructures")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["top", "code"],
                                               name="backup_infra_code_unique_in_top")]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def audit_organization_id(self) -> int | None:
        return self.organization_id or self.top_id


@audit.register(exclude=("next_collection_at", "next_verification_at", "verify_next_slice"),
                fingerprint=("secret",))
class BackupCopy(models.Model):
    """One copy of a data asset (a row of the ``Sauvegardes`` sheet).

    ``secret`` is the repository password encrypted with ``pcra.core.secrets`` (never shown,
    audited by digest only). Hardening booleans are empty when unknown; the copy's
    infrastructure fills what the copy leaves empty.

    Verification rotation: every ``verify_interval_hours`` one slice ``n/t`` of the repository
    (``t = verify_slices``) is read (restic ``check --read-data-subset=n/t``), so every pack is
    read once per ``t × interval``; Borg reads the whole repository each time.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    data_asset = models.ForeignKey(DataAsset, verbose_name=_("data asset"),
                                   on_delete=models.CASCADE, related_name="copies")
    name = models.CharField(_("copy"), max_length=100)
    engine = models.CharField(_("tool"), max_length=10, choices=Engine.choices)
    repository = models.CharField(_("repository"), max_length=500, blank=True,
                                  help_text=_("Repository URI or path (no secret here)."))
    media = models.CharField(_("media"), max_length=10, choices=Media.choices)
    site = models.CharField(_("site"), max_length=200, blank=True)
    infrastructure = models.ForeignKey(BackupInfrastructure, verbose_name=_("infrastructure"),
                                       null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="copies")
    supplier = models.ForeignKey("inventory.Node", verbose_name=_("supplier"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text=_("The supplier or SaaS holding this copy, if any."))
    offsite = models.BooleanField(_("off-site"), default=False)
    offline = models.BooleanField(_("offline"), default=False)
    immutable_days = models.PositiveIntegerField(_("immutable (days)"), default=0,
                                                 help_text=_("0 = mutable."))
    encrypted = models.BooleanField(_("encrypted"), null=True, blank=True)
    admin_mfa = models.BooleanField(_("MFA for administrators"), null=True, blank=True)
    separate_auth = models.BooleanField(_("separate authentication"), null=True, blank=True,
                                        help_text=_("Not the production AD."))
    segmented = models.BooleanField(_("segmented network"), null=True, blank=True)
    named_admin_accounts = models.BooleanField(_("dedicated named administrator accounts"),
                                               null=True, blank=True)
    frequency_hours = models.DecimalField(_("frequency (h)"), max_digits=8, decimal_places=2,
                                          null=True, blank=True)
    retention_days = models.PositiveIntegerField(_("retention (days)"), null=True, blank=True)
    declared_last_success = models.DateTimeField(
        _("last success (declared)"), null=True, blank=True,
        help_text=_("For copies without a connector."))
    secret = models.TextField(_("repository password (encrypted)"), blank=True, editable=False)
    supervised = models.BooleanField(_("supervised"), default=True,
                                     help_text=_("Collected, verified and alerted on."))
    collect_interval_hours = models.DecimalField(_("collection every (h)"), max_digits=8,
                                                 decimal_places=2, default=1)
    verify_interval_hours = models.DecimalField(_("verification every (h)"), max_digits=8,
                                                decimal_places=2, default=24)
    verify_slices = models.PositiveSmallIntegerField(
        _("verification slices"), default=7,
        help_text=_("The data is read in this many slices, one per verification run."))
    verify_next_slice = models.PositiveSmallIntegerField(default=1, editable=False)
    next_collection_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_verification_at = models.DateTimeField(null=True, blank=True, editable=False)
    engine_details = models.JSONField(_("engine details"), default=dict, blank=True,
                                      editable=False)
    repository_changed_at = models.DateTimeField(
        _("repository changed"), null=True, blank=True, editable=False,
        help_text=_("What was read of an earlier repository no longer counts."))
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("backup copy")
        verbose_name_plural = _("backup copies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["data_asset", "name"],
                                    name="backup_copy_name_unique_in_asset"),
            models.CheckConstraint(condition=models.Q(verify_slices__gte=1),
                                   name="backup_copy_slices_positive"),
            models.CheckConstraint(condition=models.Q(collect_interval_hours__gt=0)
                                   & models.Q(verify_interval_hours__gt=0),
                                   name="backup_copy_intervals_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.data_asset.code} / {self.name}"

    @property
    def is_driven(self) -> bool:
        return self.engine in DRIVEN_ENGINES

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)

    def audit_organization_id(self) -> int | None:
        return _asset_scope_org(self.data_asset)


class RestorePoint(models.Model):
    """A restore point (restic snapshot, Borg archive, Veeam restore point…). ``gone_at`` is
    set when the engine no longer lists it (pruned): history is kept."""

    # No index of its own: the unique (copy, external_id) and the (copy, taken_at) indexes lead
    # with it (one index less to update per ingested row).
    copy = models.ForeignKey(BackupCopy, on_delete=models.CASCADE, related_name="points",
                             db_index=False)
    external_id = models.CharField(_("identifier"), max_length=200)
    taken_at = models.DateTimeField(_("taken at"))
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    file_count = models.BigIntegerField(_("files"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    collected_at = models.DateTimeField(_("collected"), auto_now_add=True)
    gone_at = models.DateTimeField(_("no longer listed since"), null=True, blank=True)

    class Meta:
        verbose_name = _("restore point")
        verbose_name_plural = _("restore points")
        ordering = ["-taken_at"]
        constraints = [models.UniqueConstraint(fields=["copy", "external_id"],
                                               name="restore_point_unique_in_copy")]
        indexes = [models.Index(fields=["copy", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.copy} @ {self.taken_at:%Y-%m-%d %H:%M}"


class JobStatus(models.TextChoices):
    SUCCESS = "success", _("Success")
    WARNING = "warning", _("Warning")
    FAILED = "failed", _("Failed")


class BackupJob(models.Model):
    """The result of one backup job. A failed job is not a restore point; a successful job is
    not a verification (DESIGN §4.5)."""

    copy = models.ForeignKey(BackupCopy, on_delete=models.CASCADE, related_name="jobs",
                             db_index=False)  # the composite indexes lead with it
    external_id = models.CharField(_("identifier"), max_length=200)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"))
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices)
    bytes = models.BigIntegerField(_("bytes"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)

    class Meta:
        verbose_name = _("backup job")
        verbose_name_plural = _("backup jobs")
        ordering = ["-ended_at"]
        constraints = [models.UniqueConstraint(fields=["copy", "external_id"],
                                               name="backup_job_unique_in_copy")]
        indexes = [models.Index(fields=["copy", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.copy} {self.status} @ {self.ended_at:%Y-%m-%d %H:%M}"


class VerificationKind(models.TextChoices):
    INTEGRITY = "integrite", _("Integrity check")
    RESTORE = "restauration", _("Restore test")


class VerificationResult(models.TextChoices):
    OK = "ok", _("OK")
    FAILED = "echec", _("Failed")


@audit.register(exclude=("output",))
class Verification(models.Model):
    """An integrity check or a restore test of a copy, as evidence.

    ``slice_number``/``slice_total`` are set when only one slice ``n/t`` of the data was read;
    both empty = the whole copy. ``reads_data`` says whether the data itself was read (a check of
    the structure alone does not)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    copy = models.ForeignKey(BackupCopy, on_delete=models.CASCADE,
                             related_name="verifications")
    performed_at = models.DateTimeField(_("date"))
    kind = models.CharField(_("type"), max_length=12, choices=VerificationKind.choices)
    result = models.CharField(_("result"), max_length=5, choices=VerificationResult.choices)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    size_bytes = models.BigIntegerField(_("volume (bytes)"), null=True, blank=True)
    slice_number = models.PositiveSmallIntegerField(_("slice"), null=True, blank=True)
    slice_total = models.PositiveSmallIntegerField(_("slices"), null=True, blank=True)
    reads_data = models.BooleanField(_("data read"), default=True)
    errors = models.JSONField(_("error messages"), default=list, blank=True)
    notes = models.TextField(_("comment"), blank=True)
    output = models.TextField(_("engine output"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-performed_at"]
        indexes = [models.Index(fields=["copy", "performed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(slice_number__isnull=True) & models.Q(slice_total__isnull=True))
                | (models.Q(slice_number__gte=1) & models.Q(slice_total__gte=models.F("slice_number"))),
                name="verification_slice_valid"),
            models.CheckConstraint(
                condition=~models.Q(result="echec") | models.Q(error_count__gte=1),
                name="verification_failed_has_errors"),
        ]

    def __str__(self) -> str:
        return f"{self.copy} {self.kind} {self.result} @ {self.performed_at:%Y-%m-%d %H:%M}"

    def audit_organization_id(self) -> int | None:
        return _asset_scope_org(self.copy.data_asset)


class RunKind(models.TextChoices):
    COLLECT = "collect", _("Collection")
    VERIFY = "verify", _("Verification")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    OK = "ok", _("OK")
    FAILED = "failed", _("Failed")


#: what each engine error code means, for people (the engine's own message follows it)
ENGINE_ERROR_LABELS = {
    "wrong_password": _("password refused"),
    "repository_not_found": _("repository not found"),
    "repository_locked": _("repository locked by another process"),
    "unreachable": _("repository unreachable"),
    "permission_denied": _("permission denied"),
    "timeout": _("timed out"),
    "engine_missing": _("backup tool not installed"),
    "garbled_output": _("unreadable answer from the tool"),
    "failed": _("the tool failed"),
}


class CollectionRun(models.Model):
    """One collection or verification pcra ran against an engine (history kept)."""

    copy = models.ForeignKey(BackupCopy, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(_("type"), max_length=8, choices=RunKind.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error = models.TextField(_("error"), blank=True)
    new_points = models.PositiveIntegerField(_("new restore points"), default=0)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("collection run")
        verbose_name_plural = _("collection runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["copy", "kind", "started_at"])]

    def __str__(self) -> str:
        return f"{self.copy} {self.kind} {self.status} @ {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def error_label(self) -> str:
        return str(ENGINE_ERROR_LABELS.get(self.error_code, self.error_code))


class AlertKind(models.TextChoices):
    RPO_BREACH = "rpo_breach", _("RPO breach")
    BACKUP_FAILED = "backup_failed", _("Failed backup")
    BACKUP_MISSING = "backup_missing", _("Missing backup")
    VERIFICATION_FAILED = "verification_failed", _("Failed verification")
    VERIFICATION_OVERDUE = "verification_overdue", _("Verification overdue")
    COLLECTION_FAILED = "collection_failed", _("Collection failed")
    RESTORE_TEST_FAILED = "restore_failed", _("Failed restore test")
    RESTORE_TEST_OVERDUE = "restore_overdue", _("Restore test overdue")


class Severity(models.TextChoices):
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


# The message is left out of the audit: it carries ages ("50 h") that change at every pass;
# the lifecycle (opened, severity, acknowledged, resolved, escalated) is what is audited.
@audit.register(exclude=("last_seen_at", "notified_at", "message"))
class Alert(models.Model):
    """A supervision alert on a data asset (and one of its copies). At most one open alert per
    (asset, copy, kind); it is resolved automatically when the condition clears, or by hand.
    ``escalated_at`` is set when it stays unresolved for ``PCRA_ALERT_ESCALATION_DAYS``
    (CaRE O3.d)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    data_asset = models.ForeignKey(DataAsset, verbose_name=_("data asset"),
                                   on_delete=models.CASCADE, related_name="alerts")
    copy = models.ForeignKey(BackupCopy, verbose_name=_("copy"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("type"), max_length=24, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    message = models.TextField(_("message"))
    opened_at = models.DateTimeField(_("opened"))
    last_seen_at = models.DateTimeField(_("last seen"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+",
                                        verbose_name=_("acknowledged by"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("resolved by"))
    resolution = models.TextField(_("resolution"), blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at"]
        constraints = [
            # Two partial constraints rather than NULLS NOT DISTINCT, which SQLite lacks.
            models.UniqueConstraint(fields=["data_asset", "copy", "kind"],
                                    condition=models.Q(resolved_at__isnull=True,
                                                       copy__isnull=False),
                                    name="alert_one_open_per_copy"),
            models.UniqueConstraint(fields=["data_asset", "kind"],
                                    condition=models.Q(resolved_at__isnull=True,
                                                       copy__isnull=True),
                                    name="alert_one_open_per_asset"),
        ]
        indexes = [models.Index(fields=["resolved_at", "opened_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.data_asset}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def audit_organization_id(self) -> int | None:
        return _asset_scope_org(self.data_asset)


@audit.register(fingerprint=("token_hash",))
class MetricsToken(models.Model):
    """A bearer token for ``/metrics`` (Prometheus), scoped to one organization and what is
    below it. Only its SHA-256 is stored; the token is shown once, at creation."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="+")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("metrics token")
        verbose_name_plural = _("metrics tokens")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def audit_organization_id(self) -> int | None:
        return self.organization_id


@audit.register
class IngestBatch(models.Model):
    """One file of job results, restore points and verifications ingested for the tools pcra
    does not drive (docs/ingest.md). Its audit entry records the file's digest and counts; the
    rows themselves (possibly millions) are not audited one by one."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    fmt = models.CharField(_("format"), max_length=8)
    jobs = models.PositiveIntegerField(_("jobs"), default=0)
    points = models.PositiveIntegerField(_("restore points"), default=0)
    verifications = models.PositiveIntegerField(_("verifications"), default=0)
    duplicates = models.PositiveIntegerField(_("already known"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("ingested"), auto_now_add=True)

    class Meta:
        verbose_name = _("ingested file")
        verbose_name_plural = _("ingested files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    def audit_organization_id(self) -> int | None:
        return self.top_id
