"""Background jobs of the backups app (django-tasks, run by ``pcra worker``): thin, they take
ids and call the services (CONVENTIONS 9)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from pcra.backups import services, supervision
from pcra.backups.models import BackupCopy, DataAsset


def _asset_of(copy_id: int):
    return DataAsset.objects.select_related("node").filter(copies__pk=copy_id)


def _on_copy(copy_id: int, service) -> str:
    """Run ``service`` on a copy (gone since it was queued: nothing to do), then refresh the
    alerts of its data asset."""
    copy = BackupCopy.objects.filter(pk=copy_id).select_related("data_asset__node").first()
    if copy is None:
        return "gone"
    run = service(copy=copy)
    supervision.alerts_refresh(assets=_asset_of(copy_id))
    return run.status


@task()
def collect_copy_task(copy_id: int) -> str:
    return _on_copy(copy_id, services.collect_copy)


@task()
def verify_copy_task(copy_id: int) -> str:
    return _on_copy(copy_id, services.verify_copy)


@task()
def refresh_alerts_task() -> int:
    result = supervision.alerts_refresh()
    return len(result.opened)


def schedule_due(now: dt.datetime | None = None) -> tuple[int, int]:
    """Enqueue the collections and verifications that are due (each copy once: its next date is
    moved forward in the same transaction, rows locked and skipped by concurrent schedulers on
    PostgreSQL). Returns (collections, verifications) enqueued."""
    now = now or timezone.now()
    collect, verify = supervision.copies_due(now)
    counts = []
    for qs, field, interval, job in ((collect, "next_collection_at", "collect_interval_hours",
                                      collect_copy_task),
                                     (verify, "next_verification_at", "verify_interval_hours",
                                      verify_copy_task)):
        with transaction.atomic():
            due = list(qs.select_for_update(skip_locked=True).values_list("pk", interval))
            for pk, hours in due:
                BackupCopy.objects.filter(pk=pk).update(
                    **{field: now + dt.timedelta(hours=float(hours))})
        for pk, _hours in due:
            job.enqueue(pk)
        counts.append(len(due))
    return counts[0], counts[1]
