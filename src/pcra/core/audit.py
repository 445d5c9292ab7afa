"""Writing and verifying the audit log.

Audited models are registered with :func:`register`; their creates, updates and deletes are
recorded by signal handlers (``pcra.core.signals``), so no write path can forget them. Bulk
writes (demo seeding, workbook import) call :func:`record_many` explicitly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.core.actor import current_actor
from pcra.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
#: bookkeeping columns that change on every save and say nothing about the change
ALWAYS_EXCLUDED = frozenset({"updated_at"})
_registry: dict[type[models.Model], tuple[str, ...]] = {}


_fingerprinted: dict[type[models.Model], tuple[str, ...]] = {}


def register(model: type[models.Model] | None = None, *, exclude: Iterable[str] = (),
             fingerprint: Iterable[str] = ()):
    """Audit every create, update and delete of ``model`` (usable as a class decorator, bare
    or with arguments: ``@audit.register(exclude=("output",))``).

    ``exclude``: fields left out; ``fingerprint``: secret fields (a password hash) recorded
    only as a short digest, so that their change shows without their value."""
    if model is None:
        return lambda cls: register(cls, exclude=exclude, fingerprint=fingerprint)
    _registry[model] = tuple(exclude)
    _fingerprinted[model] = tuple(fingerprint)
    return model


def is_audited(model: type[models.Model]) -> bool:
    return model in _registry


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(instance: models.Model) -> dict:
    """The audited state of an object: every concrete field, foreign keys as ids."""
    exclude = set(_registry.get(type(instance), ())) | ALWAYS_EXCLUDED
    out = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = field.value_from_object(instance)
        if field.name in _fingerprinted.get(type(instance), ()):
            out[field.attname] = (hashlib.sha256(str(value).encode()).hexdigest()[:12]
                                  if value else "")
            continue
        try:
            value = field.to_python(value)  # e.g. an int given to a DecimalField → Decimal
        except Exception:  # noqa: BLE001 - keep the raw value; validation is not our job here
            pass
        out[field.attname] = _jsonable(value)
    return out


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, data: str) -> str:
    return hashlib.sha256((prev_hash + data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    action: str
    instance: models.Model
    before: dict | None
    after: dict | None


def _organization_of(instance: models.Model) -> int | None:
    getter = getattr(instance, "audit_organization_id", None)
    if callable(getter):
        return getter()
    return None


def record_many(changes: Iterable[Change]) -> int:
    """Append entries for ``changes`` to the chain, in order, inside one transaction."""
    changes = list(changes)
    if not changes:
        return 0
    actor = current_actor()
    now = timezone.now()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        prev = head.last_hash
        entries = []
        for change in changes:
            inst = change.instance
            model_label = inst._meta.label_lower
            object_id = str(getattr(inst, "uuid", None) or inst.pk)
            org_id = _organization_of(inst)
            data_dict = {
                "timestamp": now.isoformat(),
                "actor_id": actor.user_id,
                "actor": actor.label,
                "action": change.action,
                "model": model_label,
                "object_id": object_id,
                "object": str(inst)[:300],
                "organization_id": org_id,
                "before": change.before,
                "after": change.after,
            }
            data = canonical(data_dict)
            digest = chain_hash(prev, data)
            entries.append(
                AuditEntry(
                    timestamp=now, actor_id=actor.user_id, actor_label=actor.label[:200],
                    action=change.action, model=model_label, object_id=object_id,
                    object_repr=str(inst)[:300], organization_id=org_id, data=data,
                    prev_hash=prev, hash=digest,
                )
            )
            prev = digest
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
        head.last_hash = prev
        head.count = head.count + len(entries)
        head.save(update_fields=["last_hash", "count"])
    return len(entries)


def record(action: str, instance: models.Model, *, before: dict | None,
           after: dict | None) -> None:
    record_many([Change(action, instance, before, after)])


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def verify_chain(*, chunk_size: int = 2000) -> VerifyResult:
    """Recompute the chain from the first entry; name the first entry that does not hold."""
    # Ids may have gaps (a rolled-back transaction consumes PostgreSQL sequence numbers); the
    # chain itself (prev_hash links) and the head's count are what prove nothing was removed.
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:chunk_size])
        if not batch:
            break
        for entry in batch:
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.id,
                                    _("entry #%(id)d does not follow the previous entry (an entry before it was "
                                      "changed, inserted or removed)") % {"id": entry.id})
            if chain_hash(prev, entry.data) != entry.hash:
                return VerifyResult(False, checked, entry.id,
                                    _("entry #%(id)d was modified (hash mismatch)") % {"id": entry.id})
            try:
                payload = json.loads(entry.data)
            except ValueError:
                return VerifyResult(False, checked, entry.id,
                                    _("entry #%(id)d holds unreadable data") % {"id": entry.id})
            columns = {
                "action": entry.action, "model": entry.model, "object_id": entry.object_id,
                "actor": entry.actor_label, "actor_id": entry.actor_id,
                "organization_id": entry.organization_id, "object": entry.object_repr,
                "timestamp": entry.timestamp.isoformat() if entry.timestamp else None,
            }
            for key, value in columns.items():
                if payload.get(key) != value:
                    return VerifyResult(False, checked, entry.id,
                                        _("entry #%(id)d: column %(column)s differs from its hashed data")
                                        % {"id": entry.id, "column": key})
            prev = entry.hash
            checked += 1
            last_id = entry.id
    head = AuditHead.objects.filter(id=1).first()
    head_hash = head.last_hash if head else GENESIS
    head_count = head.count if head else 0
    if head_hash != prev or head_count != checked:
        return VerifyResult(False, checked, (last_id + 1) if checked else 1,
                            _("the chain ends after %(checked)d entries but %(written)d were written: "
                              "entries were removed from the end")
                            % {"checked": checked, "written": head_count})
    return VerifyResult(True, checked)
