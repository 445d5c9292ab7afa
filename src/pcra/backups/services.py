"""Writes of the backups app: data assets, copies and their secrets, collection and verification
runs against the engines, verifications entered as evidence.

Forms check shape; :func:`copy_rules` checks meaning and is shared with the workbook import.
Engine work (``collect_copy``, ``verify_copy``) always leaves a ``CollectionRun`` behind, ok or
failed with the engine's clear error; a failed run changes no restore point and records no
verification (an unreadable repository is not a verified one).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.backups import engines
from pcra.backups.models import (
    DRIVEN_ENGINES,
    BackupCopy,
    BackupInfrastructure,
    CollectionRun,
    DataAsset,
    Engine,
    RestorePoint,
    RunKind,
    RunStatus,
    Source,
    Verification,
    VerificationKind,
    VerificationResult,
)
from pcra.core import secrets
from pcra.core.crud import assign_fields
from pcra.inventory.models import ComponentKind, Node, NodeType

#: copy fields a form or the workbook may set (the secret and the schedule state are separate)
COPY_FIELDS = (
    "name", "engine", "repository", "media", "site", "infrastructure", "supplier", "offsite",
    "offline", "immutable_days", "encrypted", "admin_mfa", "separate_auth", "segmented",
    "named_admin_accounts", "frequency_hours", "retention_days", "declared_last_success",
    "supervised", "collect_interval_hours", "verify_interval_hours", "verify_slices",
)


#: "scheme://user:password@host" in a repository address
_PASSWORD_IN_URL = re.compile(r"://[^/@:\s]*:[^/@\s]+@")


# --- Data assets ------------------------------------------------------------------------------


def data_asset_rules(node: Node) -> list[str]:
    if node.node_type == NodeType.ACTIVITY:
        return [_("%(code)s is an activity: only the data of an application or a component "
                  "is backed up.") % {"code": node.code}]
    return []


@transaction.atomic
def data_asset_ensure(*, node: Node, production_site: str | None = None) -> DataAsset:
    """The data asset of ``node``, created on first use."""
    errors = data_asset_rules(node)
    if errors:
        raise ValidationError(errors)
    asset = DataAsset.objects.filter(node=node).first()
    if asset is None:
        asset = DataAsset(node=node)
        asset.production_site = production_site or ""
        asset.save()
    elif production_site is not None and asset.production_site != production_site:
        asset.production_site = production_site
        asset.save()
    return asset


@transaction.atomic
def data_asset_update(*, data_asset: DataAsset, **fields) -> DataAsset:
    for name, value in fields.items():
        setattr(data_asset, name, value)
    data_asset.full_clean(exclude=["node", "uuid"])
    data_asset.save()
    return data_asset


@transaction.atomic
def data_asset_delete(*, data_asset: DataAsset) -> None:
    for copy in data_asset.copies.all():
        copy_delete(copy=copy)
    data_asset.alerts.all().delete()
    data_asset.delete()


# --- Copies -----------------------------------------------------------------------------------


def _window_hours() -> float:
    return settings.PCRA_BACKUP_VERIFICATION_WINDOW_DAYS * 24.0


def copy_rules(copy: BackupCopy, *, top_id: int) -> dict[str, list[str]]:
    """The meaning rules of a copy that need no query, per field (shared by the forms and the
    workbook import, so both say the same thing)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not (copy.name or "").strip():
        add("name", _("A copy needs a name."))
    if copy.engine in DRIVEN_ENGINES and not (copy.repository or "").strip():
        add("repository", _("pcra reads %(engine)s repositories itself: give the repository "
                            "path or URI.") % {"engine": copy.get_engine_display()})
    if copy.repository and _PASSWORD_IN_URL.search(copy.repository):
        add("repository", _("Do not put a password in the repository address; store it with "
                            "the copy's password instead."))
    if copy.supplier_id is not None:
        supplier = copy.supplier
        if supplier.top_id != top_id:
            add("supplier", _("This supplier belongs to another GHT."))
        elif supplier.node_type != NodeType.COMPONENT or supplier.component_kind not in (
                ComponentKind.SUPPLIER, ComponentKind.SAAS):
            add("supplier", _("%(code)s is not a supplier or a SaaS service.")
                % {"code": supplier.code})
    if copy.infrastructure_id is not None and copy.infrastructure.top_id != top_id:
        add("infrastructure", _("This infrastructure belongs to another GHT."))
    for name in ("frequency_hours", "collect_interval_hours", "verify_interval_hours"):
        value = getattr(copy, name)
        if value is not None and Decimal(value) <= 0:
            add(name, _("Must be more than zero."))
    if copy.engine in DRIVEN_ENGINES and copy.declared_last_success is not None:
        add("declared_last_success", _(
            "pcra reads the restore points of %(engine)s repositories itself: a declared last "
            "success is only for copies without a connector.")
            % {"engine": copy.get_engine_display()})
    if copy.verify_slices is not None and copy.verify_slices < 1:
        add("verify_slices", _("At least one slice."))
    elif (copy.engine == Engine.RESTIC and copy.verify_interval_hours
          and (copy.verify_slices + 1) * float(copy.verify_interval_hours) > _window_hours()):
        add("verify_slices", _(
            "With %(slices)s slices every %(hours)s h, a full read takes %(total)s days: it "
            "must fit in the %(window)s-day verification window with one run to spare. Use "
            "fewer slices or verify more often.") % {"slices": copy.verify_slices,
                         "hours": f"{float(copy.verify_interval_hours):g}",
                         "total": f"{copy.verify_slices * float(copy.verify_interval_hours) / 24:g}",
                         "window": settings.PCRA_BACKUP_VERIFICATION_WINDOW_DAYS})
    return errors


def copy_validate(copy: BackupCopy) -> None:
    top_id = copy.data_asset.node.top_id
    errors = copy_rules(copy, top_id=top_id)
    try:
        copy.full_clean(exclude=["data_asset", "uuid", "secret", *errors],
                        validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    duplicate = BackupCopy.objects.filter(data_asset_id=copy.data_asset_id,
                                          name=copy.name).exclude(pk=copy.pk)
    if copy.name and duplicate.exists():
        errors.setdefault("name", []).append(
            _("%(asset)s already has a copy named %(name)s.")
            % {"asset": copy.data_asset.code, "name": copy.name})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def copy_create(*, data_asset: DataAsset, **fields) -> BackupCopy:
    copy = BackupCopy(data_asset=data_asset)
    assign_fields(copy, fields, COPY_FIELDS)
    copy_validate(copy)
    copy.save()
    return copy


@transaction.atomic
def copy_update(*, copy: BackupCopy, **fields) -> BackupCopy:
    engine_before, repository_before = copy.engine, copy.repository
    assign_fields(copy, fields, COPY_FIELDS)
    moved = copy.pk is not None and (copy.engine != engine_before
                                     or copy.repository != repository_before)
    if moved:
        # Another repository: nothing read of the old one counts any more (its restore points
        # are kept as gone, its verifications as history).
        copy.engine_details = {}
        copy.next_collection_at = copy.next_verification_at = None
        copy.verify_next_slice = 1
        copy.repository_changed_at = timezone.now()
    if copy.verify_next_slice > copy.verify_slices:
        copy.verify_next_slice = 1
    copy_validate(copy)
    copy.save()
    if moved:
        copy.points.filter(gone_at__isnull=True).update(gone_at=copy.repository_changed_at)
    return copy


@transaction.atomic
def copy_delete(*, copy: BackupCopy) -> None:
    """Delete a copy with its telemetry; the audit log keeps its configuration and its
    verifications."""
    for verification in copy.verifications.all():
        verification.delete()
    copy.alerts.all().delete()
    copy.delete()


@transaction.atomic
def copy_set_secret(*, copy: BackupCopy, password: str) -> BackupCopy:
    """Store the repository password, encrypted at rest (``pcra.core.secrets``)."""
    if not password:
        raise ValidationError({"secret": [_("The password is empty.")]})
    if "\n" in password.rstrip("\n"):
        raise ValidationError({"secret": [_("The password must fit on one line.")]})
    copy.secret = secrets.encrypt(password.rstrip("\n"))
    copy.next_collection_at = copy.next_verification_at = None  # collect soon with it
    copy.save()
    return copy


def copy_password(copy: BackupCopy) -> str:
    if not copy.secret:
        raise engines.EngineError(
            "wrong_password",
            _("No password is stored for %(copy)s: store it with `pcra set_copy_secret` or the "
              "copy's page.") % {"copy": copy})
    try:
        return secrets.decrypt(copy.secret)
    except secrets.SecretError as exc:  # the key file, not the repository, is the problem
        raise engines.EngineError("failed", str(exc)) from exc


def copy_engine(copy: BackupCopy):
    """The engine adapter of a copy pcra drives (restic, Borg)."""
    if copy.engine not in DRIVEN_ENGINES:
        raise engines.EngineError(
            "failed", _("pcra does not drive %(engine)s: its results come through the ingest or "
                        "the workbook.") % {"engine": copy.get_engine_display()})
    return engines.engine_for(copy.engine, copy.repository, copy_password(copy),
                              timeout=float(settings.PCRA_BACKUP_ENGINE_TIMEOUT_SECONDS))


# --- Infrastructures --------------------------------------------------------------------------

INFRASTRUCTURE_FIELDS = ("code", "name", "organization", "separate_auth", "admin_mfa",
                         "segmented", "named_admin_accounts", "restore_streams", "notes")


def _infrastructure_validate(infra: BackupInfrastructure) -> None:
    errors: dict[str, list[str]] = {}
    if infra.organization_id is not None and infra.organization.top_id != infra.top_id:
        errors["organization"] = [_("This organization belongs to another GHT.")]
    try:
        infra.full_clean(exclude=["top", "uuid", *errors], validate_unique=False,
                         validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if infra.code and BackupInfrastructure.objects.filter(
            top_id=infra.top_id, code=infra.code).exclude(pk=infra.pk).exists():
        errors.setdefault("code", []).append(
            _("The code %(code)s is already used in this GHT.") % {"code": infra.code})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def infrastructure_create(*, top, **fields) -> BackupInfrastructure:
    infra = BackupInfrastructure(top_id=top.top_id)
    assign_fields(infra, fields, INFRASTRUCTURE_FIELDS)
    _infrastructure_validate(infra)
    infra.save()
    return infra


@transaction.atomic
def infrastructure_update(*, infrastructure: BackupInfrastructure, **fields):
    assign_fields(infrastructure, fields, INFRASTRUCTURE_FIELDS)
    _infrastructure_validate(infrastructure)
    infrastructure.save()
    return infrastructure


@transaction.atomic
def infrastructure_delete(*, infrastructure: BackupInfrastructure) -> None:
    if infrastructure.copies.exists():
        raise ValidationError(_("%(code)s still holds copies: move them first.")
                              % {"code": infrastructure.code})
    infrastructure.delete()


# --- Engine runs ------------------------------------------------------------------------------


def _start_run(copy: BackupCopy, kind: str, now: dt.datetime) -> CollectionRun:
    return CollectionRun.objects.create(copy=copy, kind=kind, started_at=now,
                                        status=RunStatus.RUNNING)


def _fail_run(run: CollectionRun, exc: engines.EngineError) -> CollectionRun:
    run.status = RunStatus.FAILED
    run.error_code = exc.code
    run.error = exc.message
    run.details = {"detail": exc.detail[:2000]} if exc.detail else {}
    run.finished_at = timezone.now()
    run.save()
    return run


def collect_copy(*, copy: BackupCopy, now: dt.datetime | None = None) -> CollectionRun:
    """Read the restore points of a copy from its engine (snapshots, archives) and what the
    engine says of the repository (encryption, size). Points no longer listed are kept, marked
    gone."""
    now = now or timezone.now()
    run = _start_run(copy, RunKind.COLLECT, now)
    BackupCopy.objects.filter(pk=copy.pk).update(
        next_collection_at=now + dt.timedelta(hours=float(copy.collect_interval_hours)))
    try:
        engine = copy_engine(copy)
        snapshots = engine.snapshots()
        info = engine.info()
    except engines.EngineError as exc:
        return _fail_run(run, exc)
    with transaction.atomic():
        known = dict(RestorePoint.objects.filter(copy=copy).values_list("external_id", "gone_at"))
        listed = {s.id for s in snapshots}
        new = [RestorePoint(copy=copy, external_id=s.id, taken_at=s.time, size_bytes=s.size_bytes,
                            file_count=s.file_count, label=s.name[:200], source=Source.ENGINE)
               for s in snapshots if s.id not in known]
        RestorePoint.objects.bulk_create(new, batch_size=1000)
        gone = [ext for ext, gone_at in known.items() if ext not in listed and gone_at is None]
        back = [ext for ext, gone_at in known.items() if ext in listed and gone_at is not None]
        if gone:
            RestorePoint.objects.filter(copy=copy, external_id__in=gone).update(gone_at=now)
        if back:
            RestorePoint.objects.filter(copy=copy, external_id__in=back).update(gone_at=None)
        details = {
            "encrypted": info.encrypted, "encryption": info.encryption,
            "total_size_bytes": info.total_size_bytes, "snapshot_count": info.snapshot_count,
            "collected_at": now.isoformat(),
        }
        BackupCopy.objects.filter(pk=copy.pk).update(engine_details=details)
        copy.engine_details = details
        run.status = RunStatus.OK
        run.new_points = len(new)
        run.details = {"listed": len(listed), "gone": len(gone)}
        run.finished_at = timezone.now()
        run.save()
    return run


def verify_copy(*, copy: BackupCopy, now: dt.datetime | None = None,
                full: bool = False) -> CollectionRun:
    """Read the next slice of the copy's data (restic ``check --read-data-subset=n/t``; Borg
    ``check --verify-data``, always whole) and record the verification, failed or not."""
    now = now or timezone.now()
    run = _start_run(copy, RunKind.VERIFY, now)
    BackupCopy.objects.filter(pk=copy.pk).update(
        next_verification_at=now + dt.timedelta(hours=float(copy.verify_interval_hours)))
    sliced = copy.engine == Engine.RESTIC and copy.verify_slices > 1 and not full
    slice_number = min(copy.verify_next_slice, copy.verify_slices) if sliced else None
    subset = (slice_number, copy.verify_slices) if sliced else None
    try:
        engine = copy_engine(copy)
        result = engine.check(subset=subset, read_data=True)
    except engines.EngineError as exc:
        return _fail_run(run, exc)
    with transaction.atomic():
        verification = Verification.objects.create(
            copy=copy, performed_at=now, kind=VerificationKind.INTEGRITY,
            result=VerificationResult.OK if result.ok else VerificationResult.FAILED,
            error_count=0 if result.ok else max(1, result.error_count),
            duration_seconds=result.duration_seconds,
            slice_number=subset[0] if subset else None, slice_total=subset[1] if subset else None,
            reads_data=result.read_data, errors=list(result.errors)[:50],
            output=result.output[:20000], source=Source.ENGINE)
        if sliced:
            copy.verify_next_slice = slice_number % copy.verify_slices + 1
            BackupCopy.objects.filter(pk=copy.pk).update(verify_next_slice=copy.verify_next_slice)
        run.status = RunStatus.OK
        run.details = {"verification": str(verification.uuid), "ok": result.ok,
                       "subset": f"{subset[0]}/{subset[1]}" if subset else "all"}
        run.finished_at = timezone.now()
        run.save()
    return run


def verification_rules(*, result: str, error_count: int | None,
                       performed_at: dt.datetime | None, kind: str | None = None,
                       copy: BackupCopy | None = None) -> dict[str, list[str]]:
    """The meaning rules of a verification entered as evidence, per field (shared by the form,
    the workbook import and :func:`verification_record`). The integrity of a restic or Borg
    copy is only ever read from the engine: a hand-entered "OK" must not hide damage it found."""
    errors: dict[str, list[str]] = {}
    if copy is not None and copy.is_driven and kind == VerificationKind.INTEGRITY:
        errors["kind"] = [_("pcra checks the integrity of %(engine)s repositories itself "
                            "(verify now, or wait for the rotation); only restore tests may be "
                            "recorded for this copy.") % {"engine": copy.get_engine_display()}]
    count = error_count or 0
    if result == VerificationResult.FAILED and count < 1:
        errors["error_count"] = [_("A failed verification has at least one error.")]
    if result == VerificationResult.OK and count > 0:
        errors["error_count"] = [_("A verification with errors is not OK.")]
    if performed_at is not None and performed_at > timezone.now() + dt.timedelta(minutes=5):
        errors["performed_at"] = [_("This date is in the future.")]
    return errors


@transaction.atomic
def verification_record(*, copy: BackupCopy, performed_at: dt.datetime, kind: str, result: str,
                        error_count: int = 0, duration_seconds: float | None = None,
                        size_bytes: int | None = None, notes: str = "",
                        source: str = Source.MANUAL) -> Verification:
    """A verification done outside pcra, entered as evidence (form, workbook)."""
    verification = Verification(copy=copy, performed_at=performed_at, kind=kind, result=result,
                                error_count=error_count, duration_seconds=duration_seconds,
                                size_bytes=size_bytes, notes=notes, source=source)
    errors = verification_rules(result=result, error_count=error_count,
                                performed_at=performed_at, kind=kind, copy=copy)
    if errors:
        raise ValidationError(errors)
    verification.full_clean(exclude=["copy", "uuid"])
    verification.save()
    return verification
