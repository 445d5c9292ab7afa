"""The backup sheets: Sauvegardes (one row per copy of a data asset) and Verifications (past
integrity checks and restore tests, as evidence).

Sauvegardes: a row is keyed by (Donnée, Copie). Donnée is the code of an application or a
component of the GHT; its data asset is created on first use (``data_asset_ensure``) and the
copy is created or updated in place (``copy_create`` / ``copy_update``). The checks are those of
the copy form (``backups.services.copy_rules`` and the model's field validation), run on data
loaded once per import. Hardening yes/no cells are nullable: an empty cell means *unknown*,
never *no*. The workbook never carries a repository password: a column that looks like one
refuses the sheet (``pcra set_copy_secret`` stores passwords, encrypted).

Verifications: one row per verification done outside pcra. The copy must exist, in the
database or on the same workbook's Sauvegardes sheet (applied just before). A row whose copy,
date (to the second), type and result match a stored verification is skipped, so re-importing
an export adds nothing. Durations are minutes (stored as seconds), volumes Go = 10^9 bytes;
the rows are checked with ``verification_record``'s rules and written in bulk (source
*workbook*, the whole copy).

Rights: as on the node sheets, a row that changes something needs a write role on the node's
establishment (the GHT for a shared node); a node, supplier or infrastructure the importer may
not see is reported exactly like an unknown code.
"""

from __future__ import annotations

import copy as copy_module
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.backups.models import (
    DRIVEN_ENGINES,
    BackupCopy,
    BackupInfrastructure,
    DataAsset,
    Source,
    Verification,
    VerificationKind,
)
from pcra.backups.services import (
    copy_create,
    copy_rules,
    copy_update,
    data_asset_ensure,
    data_asset_rules,
    verification_rules,
)
from pcra.core import audit
from pcra.core.models import AuditAction
from pcra.inventory.models import ComponentKind, Node, NodeType
from pcra.workbook import values
from pcra.workbook.handlers.base import (
    ExportScope,
    ExportTable,
    SheetHandler,
    column_labels,
    field_errors,
    record_change,
)
from pcra.workbook.handlers.nodes import node_state, owner_may_read
from pcra.workbook.importer import NOTICE, ImportContext, Row, SheetInput, SheetReport
from pcra.workbook.spec import Column, Kind

#: how far back the export of the Verifications sheet goes
EXPORT_DAYS = 365
BATCH = 1000
#: 1 Go, as the Verifications sheet counts it (10^9 bytes, not 2^30)
GO = 10**9

Key = tuple[str, str]  # (Donnée, Copie)

_PASSWORD_HEADER = re.compile(
    r"pass ?words?|passwd|pwd|pass ?phrase|mots? ?de ?passe|\bmdp\b|\bsecrets?\b|\bpass\b"
    r"|encryption key|cles? de chiffrement|\btoken\b")


def looks_like_password(header: object) -> bool:
    """Does a header name a password, a passphrase or another secret?"""
    return bool(_PASSWORD_HEADER.search(values.fold(header)))


#: the drop-down of an :class:`OptionalBoolColumn` (an empty cell is the third answer)
OPTIONAL_BOOL_CHOICES = [("oui", "oui"), ("non", "non")]


@dataclass(frozen=True)
class OptionalBoolColumn(Column):
    """A yes/no column whose empty cell means *unknown* (None), not *no*. Declared as a
    choice of oui/non for the template's drop-down; read as a yes/no cell (oui/non, yes/no,
    1/0, x)."""

    kind: str = Kind.CHOICE
    choices: Any = field(default_factory=lambda: OPTIONAL_BOOL_CHOICES)

    def parse(self, raw: object) -> object:
        if values.is_empty(raw):
            return None
        return values.parse_bool(raw)


def aware(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A cell's date as an aware datetime: a date is midnight, a naive time is local time
    (``TIME_ZONE``), both rounded to the second."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value.microsecond:
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    return value


def to_second(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(microsecond=0)


def local_cell(value: dt.datetime | None) -> dt.date | dt.datetime | None:
    """An aware datetime as written in a cell: local time, to the second; a date at
    midnight."""
    if value is None:
        return None
    local = timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return local.date() if local.time() == dt.time(0) else local


def _same(before: object, after: object) -> bool:
    if isinstance(before, models.Model) or isinstance(after, models.Model):
        if before is None or after is None:
            return before is after
        return before is after or (before.pk is not None and before.pk == after.pk)
    if isinstance(before, dt.datetime) and isinstance(after, dt.datetime):
        return to_second(before) == to_second(after)
    return before == after


def _refuse_password_columns(ctx: ImportContext, data: SheetInput) -> None:
    found = [h for h in data.extra_headers if looks_like_password(h)]
    if not found:
        return
    ctx.issues = [issue for issue in ctx.issues if not (
        issue.level == NOTICE and issue.sheet == data.name and issue.row == 1
        and issue.column in found)]
    for header in found:
        ctx.error(data.name, 1, header, _(
            "The column %(header)s looks like a password: the workbook never carries "
            "passwords, so this sheet is refused. Remove the column and store each repository "
            "password, encrypted, with `pcra set_copy_secret DATA_ASSET COPY --password-file "
            "FILE` (or on the copy's page).") % {"header": header})


# --- what both sheets share ----------------------------------------------------------------------


class BackupState:
    """The GHT's data assets, copies and infrastructures, loaded once per import, and the
    copies the Sauvegardes sheet declares (for the Verifications sheet)."""

    def __init__(self, ctx: ImportContext):
        nodes = node_state(ctx)
        top_id = ctx.ght.pk
        self.assets: dict[int, DataAsset] = {}
        self.copies: dict[Key, BackupCopy] = {}
        self.infrastructures: dict[str, BackupInfrastructure] = {}
        #: (Donnée, Copie) → plan of the Sauvegardes row declaring it (None: row in error)
        self.declared: dict[Key, _CopyPlan | None] = {}
        #: the Sauvegardes sheet lacks a required column: its copies are unknown
        self.unreadable = False
        if top_id is None:
            return
        for infra in BackupInfrastructure.objects.filter(top_id=top_id):
            self.infrastructures[infra.code] = infra
        infra_by_id = {i.pk: i for i in self.infrastructures.values()}
        assets_by_id: dict[int, DataAsset] = {}
        for asset in DataAsset.objects.filter(node__top_id=top_id):
            node = nodes.by_id.get(asset.node_id)
            if node is None:  # pragma: no cover - assets follow their node's GHT
                continue
            asset.node = node
            self.assets[node.pk] = asset
            assets_by_id[asset.pk] = asset
        for backup in BackupCopy.objects.filter(data_asset__node__top_id=top_id):
            asset = assets_by_id.get(backup.data_asset_id)
            if asset is None:  # pragma: no cover
                continue
            backup.data_asset = asset
            if backup.supplier_id is not None and backup.supplier_id in nodes.by_id:
                backup.supplier = nodes.by_id[backup.supplier_id]
            if backup.infrastructure_id is not None and backup.infrastructure_id in infra_by_id:
                backup.infrastructure = infra_by_id[backup.infrastructure_id]
            self.copies[(asset.node.code, backup.name)] = backup


def backup_state(ctx: ImportContext) -> BackupState:
    found = ctx.state.get("backups")
    if found is None:
        found = BackupState(ctx)
        ctx.state["backups"] = found
    return found  # type: ignore[return-value]


def _unknown_node(code: str) -> str:
    return _("Unknown application or component %(code)s.") % {"code": code}


def resolve_node(ctx: ImportContext, data: SheetInput, row: Row) -> Node | None:
    """The node named by the Donnée cell, or None (the error is reported, or was already)."""
    code = row.values["data_asset"]
    nodes = node_state(ctx)
    node = nodes.by_code.get(code)
    if node is None or not owner_may_read(ctx, node):
        ctx.error(data.name, row.number, data.header("data_asset"), _unknown_node(code))
        return None
    if node.pk is None and code not in nodes.rows:
        return None  # named on a node sheet that could not be read: already an error
    for message in data_asset_rules(node):
        ctx.error(data.name, row.number, data.header("data_asset"), message)
        return None
    return node


def _visible_in_export(access, organization_id: int | None, top_id: int) -> bool:
    return access is None or access.can_read(organization_id, top_id=top_id)


# --- Sauvegardes ---------------------------------------------------------------------------------


@dataclass
class _CopyPlan:
    row: Row
    key: Key
    node: Node
    existing: BackupCopy | None
    #: field name → value of the present columns (nodes and infrastructures as objects)
    fields: dict[str, object]
    changed: list[str] = field(default_factory=list)
    action: str = "unchanged"
    #: the saved copy, once applied
    saved: BackupCopy | None = None


_UNSET = object()
#: columns handled apart from the plain fields
_SPECIAL = frozenset({"data_asset", "name", "supplier", "infrastructure"})


class BackupCopyHandler(SheetHandler):
    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        self.plans: list[_CopyPlan] = []
        if data is None:
            return
        st = backup_state(ctx)
        _refuse_password_columns(ctx, data)
        if data.unusable:
            st.unreadable = True
            return
        rows: dict[Key, int] = {}
        for row in data.rows:
            code, name = row.values.get("data_asset"), row.values.get("name")
            if not code or not name:
                continue  # already reported (required value or unreadable cell)
            key = (code, name)
            if key in rows:
                ctx.error(data.name, row.number, data.header("name"),
                          _("Duplicate copy: %(copy)s of %(code)s is already on row %(row)d.")
                          % {"copy": name, "code": code, "row": rows[key]})
                continue
            rows[key] = row.number
            st.declared[key] = None
            node = resolve_node(ctx, data, row)
            if node is None:
                continue
            plan = self._plan(ctx, data, row, key, node, st)
            if plan is None:
                continue
            st.declared[key] = plan
            self._validate(ctx, data, plan)
            self._rights_and_changes(ctx, data, plan, report)
            self.plans.append(plan)

    def _plan(self, ctx, data, row, key, node, st: BackupState) -> _CopyPlan | None:
        existing = st.copies.get(key) if node.pk is not None else None
        fields: dict[str, object] = {}
        for column in self.sheet.columns:
            if column.key in _SPECIAL or not row.has(column.key):
                continue
            value = row.values[column.key]
            if column.key == "last_success":
                value = aware(value)  # type: ignore[arg-type]
            elif value is None or value == "":
                model_field = BackupCopy._meta.get_field(column.field_name)
                if not model_field.null:  # an empty cell gives the form's default
                    value = model_field.get_default()
            fields[column.field_name] = value
        for key_name in ("supplier", "infrastructure"):
            if row.has(key_name):
                found = self._reference(ctx, data, row, key_name, existing, st)
                if found is not _UNSET:
                    fields[key_name] = found
        return _CopyPlan(row=row, key=key, node=node, existing=existing, fields=fields)

    def _reference(self, ctx, data, row, key_name, existing, st: BackupState):
        """The supplier node or infrastructure of a cell; a value the importer may not see is
        accepted only when it is the copy's current one (their export masks it: an empty
        cell then keeps it)."""
        code = row.values[key_name]
        current = getattr(existing, key_name) if existing is not None and getattr(
            existing, f"{key_name}_id") is not None else None
        current_hidden = current is not None and not self._may_see(ctx, current)
        if not code:
            return current if current_hidden else None
        if key_name == "supplier":
            nodes = node_state(ctx)
            found = nodes.by_code.get(code)
            if found is not None and found.pk is None and code not in nodes.rows:
                row.bad.add(key_name)  # a node sheet that could not be read: already an error
                return _UNSET
            message = _("Unknown supplier %(code)s.") % {"code": code}
        else:
            found = st.infrastructures.get(code)
            message = _("Unknown backup infrastructure %(code)s.") % {"code": code}
        if found is not None and (found is current or self._may_see(ctx, found)):
            return found
        ctx.error(data.name, row.number, data.header(key_name), message)
        row.bad.add(key_name)
        return _UNSET

    @staticmethod
    def _may_see(ctx: ImportContext, obj) -> bool:
        if isinstance(obj, Node):
            return owner_may_read(ctx, obj)
        return ctx.may_read(obj.organization_id)

    def _validate(self, ctx: ImportContext, data: SheetInput, plan: _CopyPlan) -> None:
        """The copy form's rules (``copy_rules`` and the model's fields) on the imported
        state."""
        if plan.existing is not None:
            probe = copy_module.copy(plan.existing)
        else:
            probe = BackupCopy(name=plan.key[1])
        for name, value in plan.fields.items():
            setattr(probe, name, value)
        errors = copy_rules(probe, top_id=ctx.ght.pk)
        supplier = plan.fields.get("supplier")
        if isinstance(supplier, Node) and supplier.pk is None and (
                supplier.node_type != NodeType.COMPONENT or supplier.component_kind not in (
                    ComponentKind.SUPPLIER, ComponentKind.SAAS)):
            # a node of the same workbook: copy_rules only sees saved suppliers
            errors.setdefault("supplier", []).append(
                _("%(code)s is not a supplier or a SaaS service.") % {"code": supplier.code})
        bad_fields = [self.sheet.column(k).field_name for k in plan.row.bad
                      if k in data.headers]
        for name in bad_fields:
            errors.pop(name, None)
        exclude = ["data_asset", "uuid", "secret", "supplier", "infrastructure", *errors,
                   *bad_fields]
        for name, messages in field_errors(probe, exclude=exclude).items():
            errors.setdefault(name, []).extend(messages)
        for name, messages in errors.items():
            for message in messages:
                ctx.error(data.name, plan.row.number, data.header_for_field(name, "name"),
                          message)

    def _rights_and_changes(self, ctx: ImportContext, data: SheetInput, plan: _CopyPlan,
                            report: SheetReport | None) -> None:
        label = f"{plan.key[0]} / {plan.key[1]}"
        if plan.existing is None:
            plan.action = "created"
        else:
            plan.changed = [name for name, value in plan.fields.items()
                            if not _same(getattr(plan.existing, name), value)]
            if plan.changed:
                plan.action = "updated"
        if plan.action != "unchanged" and not ctx.may_write(plan.node.organization):
            ctx.error(data.name, plan.row.number, data.header("data_asset"),
                      ctx.write_denied(label, plan.node.organization))
        record_change(report, row=plan.row.number, key=label, action=plan.action,
                      fields=column_labels(data, plan.changed))

    # -- writing ----------------------------------------------------------------------------
    def apply(self, ctx: ImportContext) -> None:
        st = backup_state(ctx)
        for plan in self.plans:
            if plan.action == "unchanged":
                plan.saved = plan.existing
            elif plan.existing is None:
                asset = st.assets.get(plan.node.pk)
                if asset is None:
                    asset = data_asset_ensure(node=plan.node)
                    asset.node = plan.node
                    st.assets[plan.node.pk] = asset
                plan.saved = copy_create(data_asset=asset, name=plan.key[1], **plan.fields)
            else:
                plan.saved = copy_update(copy=plan.existing,
                                         **{name: plan.fields[name] for name in plan.changed})

    # -- export -----------------------------------------------------------------------------
    def export(self, scope: ExportScope) -> ExportTable:
        from pcra.accounts.access import access_for

        ght = scope.ght
        if scope.user is None:
            access = None
            qs = BackupCopy.objects.select_related("data_asset__node", "infrastructure",
                                                   "supplier")
        else:
            from pcra.backups.selectors import copies_visible_to

            access = access_for(scope.user)
            qs = copies_visible_to(user=scope.user)
        copies = sorted(qs.filter(data_asset__node__top_id=ght.pk),
                        key=lambda c: (c.data_asset.node.code, c.name))
        records = []
        for backup in copies:
            record: dict[str, object] = {"data_asset": backup.data_asset.node.code}
            for column in self.sheet.columns:
                if column.key in ("data_asset", "supplier", "infrastructure"):
                    continue
                value = getattr(backup, column.field_name)
                record[column.key] = local_cell(value) if column.key == "last_success" else value
            supplier, infra = backup.supplier, backup.infrastructure
            if supplier is not None and _visible_in_export(access, supplier.organization_id,
                                                           supplier.top_id):
                record["supplier"] = supplier.code
            if infra is not None and _visible_in_export(access, infra.organization_id,
                                                        infra.top_id):
                record["infrastructure"] = infra.code
            records.append(record)
        return self.table(records)


# --- Verifications -------------------------------------------------------------------------------


@dataclass
class _VerificationPlan:
    row: Row
    key: Key
    node: Node
    #: the stored copy, or None when it is created by the Sauvegardes sheet
    existing: BackupCopy | None
    performed_at: dt.datetime
    kind: str
    result: str
    error_count: int
    duration_seconds: float | None
    size_bytes: int | None
    notes: str
    skipped: bool = False
    #: the refusal of a hand-entered integrity check of a copy pcra reads itself; it only
    #: applies to rows not already stored (an export of the engine's checks re-imports as is)
    engine_only: str = ""


class VerificationHandler(SheetHandler):
    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        self.plans: list[_VerificationPlan] = []
        if data is None:
            return
        _refuse_password_columns(ctx, data)
        if data.unusable:
            return
        st = backup_state(ctx)
        seen: dict[tuple, int] = {}
        for row in data.rows:
            code, name = row.values.get("data_asset"), row.values.get("copy")
            date = row.values.get("date")
            kind, result = row.values.get("kind"), row.values.get("result")
            if not code or not name:
                continue  # already reported
            node = resolve_node(ctx, data, row)
            if node is None:
                continue
            key = (code, name)
            existing = st.copies.get(key) if node.pk is not None else None
            if existing is None and key not in st.declared:
                if not st.unreadable:
                    ctx.error(data.name, row.number, data.header("copy"), _(
                        "%(code)s has no copy named %(copy)s: declare it on the Sauvegardes "
                        "sheet (or the copy's form) first.") % {"code": code, "copy": name})
                continue
            if not date or not kind or not result:
                continue  # already reported
            declared_plan = st.declared.get(key)
            engine = (declared_plan.fields.get("engine") if declared_plan is not None else None) \
                or (existing.engine if existing is not None else None)
            plan = self._plan(ctx, data, row, key, node, existing, engine)
            if plan is None:
                continue
            identity = (key, to_second(plan.performed_at), plan.kind, plan.result)
            if identity in seen:
                ctx.error(data.name, row.number, data.header("date"), _(
                    "Duplicate verification: the same one is already on row %(row)d.")
                    % {"row": seen[identity]})
                continue
            seen[identity] = row.number
            self.plans.append(plan)
        self._skip_known(ctx)
        for plan in self.plans:
            if plan.engine_only and not plan.skipped:
                ctx.error(data.name, plan.row.number, data.header("kind"), plan.engine_only)
            label = f"{plan.key[0]} / {plan.key[1]} {local_cell(plan.performed_at)}"
            action = "unchanged" if plan.skipped else "created"
            if action == "created" and not ctx.may_write(plan.node.organization):
                ctx.error(data.name, plan.row.number, data.header("data_asset"),
                          ctx.write_denied(f"{plan.key[0]} / {plan.key[1]}",
                                           plan.node.organization))
            record_change(report, row=plan.row.number, key=label, action=action, fields=[])

    def _plan(self, ctx, data, row, key, node, existing, engine) -> _VerificationPlan | None:
        """The verification of a row, checked with ``verification_record``'s rules (same
        messages) and the model's field validation."""
        performed_at = aware(row.values["date"])  # type: ignore[arg-type]
        error_count = row.values.get("errors")
        error_count = 0 if error_count is None else error_count
        result = row.values["result"]
        errors = verification_rules(
            result=result, error_count=None if "errors" in row.bad else error_count,
            performed_at=performed_at, kind=row.values["kind"],
            copy=BackupCopy(engine=engine) if engine else None)
        if "errors" in row.bad:
            errors.pop("error_count", None)
        engine_only = " ".join(errors.pop("kind", []))
        minutes = row.values.get("duration_minutes")
        size = row.values.get("size_gb")
        plan = _VerificationPlan(
            row=row, key=key, node=node, existing=existing, performed_at=performed_at,
            kind=row.values["kind"], result=result, error_count=error_count,
            duration_seconds=float(Decimal(minutes) * 60) if minutes is not None else None,
            size_bytes=int(Decimal(size) * GO) if size is not None else None,
            notes=row.values.get("notes") or "", engine_only=engine_only)
        probe = Verification(performed_at=performed_at, kind=plan.kind, result=plan.result,
                             error_count=plan.error_count,
                             duration_seconds=plan.duration_seconds,
                             size_bytes=plan.size_bytes, notes=plan.notes,
                             source=Source.WORKBOOK)
        bad_fields = [self.sheet.column(k).field_name for k in row.bad if k in data.headers]
        for name in bad_fields:
            errors.pop(name, None)
        exclude = ["copy", "uuid", *errors, *bad_fields]
        for name, messages in field_errors(probe, exclude=exclude).items():
            errors.setdefault(name, []).extend(messages)
        for name, messages in errors.items():
            for message in messages:
                ctx.error(data.name, row.number, data.header_for_field(name, "copy"), message)
        return None if errors else plan

    def _skip_known(self, ctx: ImportContext) -> None:
        """Mark the rows already stored (same copy, date to the second, type and result):
        one query over the GHT's verifications in the rows' time span."""
        stored = [p for p in self.plans if p.existing is not None]
        if not stored:
            return
        first = min(p.performed_at for p in stored) - dt.timedelta(seconds=1)
        last = max(p.performed_at for p in stored) + dt.timedelta(seconds=1)
        known = {
            (copy_id, to_second(at), kind, result)
            for copy_id, at, kind, result in Verification.objects.filter(
                copy__data_asset__node__top_id=ctx.ght.pk, performed_at__gte=first,
                performed_at__lte=last).values_list("copy_id", "performed_at", "kind", "result")}
        for plan in stored:
            if (plan.existing.pk, to_second(plan.performed_at), plan.kind,
                    plan.result) in known:
                plan.skipped = True

    # -- writing ----------------------------------------------------------------------------
    def apply(self, ctx: ImportContext) -> None:
        """Write the new rows in bulk, audited in bulk (``audit.record_many``): evidence files
        run to thousands of rows. Each row was checked with ``verification_record``'s rules
        and the model's field validation, and is written as ``verification_record`` writes
        it."""
        st = backup_state(ctx)
        created = []
        for plan in self.plans:
            if plan.skipped:
                continue
            target = plan.existing
            if target is None:
                declared = st.declared[plan.key]
                assert declared is not None and declared.saved is not None
                target = declared.saved
            created.append(Verification(
                copy=target, performed_at=plan.performed_at, kind=plan.kind,
                result=plan.result, error_count=plan.error_count,
                duration_seconds=plan.duration_seconds, size_bytes=plan.size_bytes,
                notes=plan.notes, source=Source.WORKBOOK))
        Verification.objects.bulk_create(created, batch_size=BATCH)
        audit.record_many([audit.Change(AuditAction.CREATE, v, None, audit.snapshot(v))
                           for v in created])

    # -- export -----------------------------------------------------------------------------
    def export(self, scope: ExportScope) -> ExportTable:
        """The verifications of the last :data:`EXPORT_DAYS` days, of every source, that the
        sheet can state faithfully: whole-copy checks that read the data (one slice of a
        rotation, or a check of the structure alone, would read back as a whole-copy
        verification). The integrity checks of restic and Borg copies are left out too: pcra
        reads them from the engine, and the sheet refuses them as hand-entered evidence."""
        if scope.user is None:
            qs = Verification.objects.select_related("copy__data_asset__node")
        else:
            from pcra.backups.selectors import verifications_visible_to

            qs = verifications_visible_to(user=scope.user)
        since = timezone.now() - dt.timedelta(days=EXPORT_DAYS)
        rows = sorted(qs.filter(copy__data_asset__node__top_id=scope.ght.pk,
                                performed_at__gte=since, slice_total__isnull=True,
                                reads_data=True)
                      .exclude(kind=VerificationKind.INTEGRITY,
                               copy__engine__in=DRIVEN_ENGINES),
                      key=lambda v: (v.copy.data_asset.node.code, v.copy.name, v.performed_at,
                                     v.kind, v.result))
        records = []
        for verification in rows:
            seconds = verification.duration_seconds
            size = verification.size_bytes
            records.append({
                "data_asset": verification.copy.data_asset.node.code,
                "copy": verification.copy.name,
                "date": local_cell(verification.performed_at),
                "kind": verification.kind,
                "result": verification.result,
                "errors": verification.error_count,
                "duration_minutes": (Decimal(repr(seconds)) / 60).quantize(Decimal("0.01"))
                if seconds is not None else None,
                "size_gb": (Decimal(size) / GO).quantize(Decimal("0.001"))
                if size is not None else None,
                "notes": verification.notes,
            })
        return self.table(records)
