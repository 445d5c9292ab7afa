"""Building backed-up assets for the backups tests (copies reported by tools pcra does not drive:
their restore points and verifications are rows, as the ingest or the workbook leave them)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pcra.backups import services
from pcra.backups.models import RestorePoint, Source, Verification
from pcra.core.testing import make_node


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def asset(org, code: str, **node_fields):
    node = make_node(org=org, node_type="component", code=code, **node_fields)
    return services.data_asset_ensure(node=node, production_site="SITE-A")


def copy(data_asset, name: str, *, media="nas", point_hours: float | None = 2.0,
         verified_hours: float | None = 1.0, verified_ok: bool = True,
         restore_test_days: float | None = None, **fields):
    """A copy with one restore point ``point_hours`` old and one whole verification
    ``verified_hours`` old (after the point by default, so that the point is verified)."""
    fields.setdefault("engine", "veeam")
    fields.setdefault("frequency_hours", 24)
    made = services.copy_create(data_asset=data_asset, name=name, media=media, **fields)
    if point_hours is not None:
        RestorePoint.objects.create(copy=made, external_id=f"{name}-1",
                                    taken_at=hours_ago(point_hours), source=Source.INGEST)
    if verified_hours is not None:
        Verification.objects.create(copy=made, performed_at=hours_ago(verified_hours),
                                    kind="integrite", result="ok" if verified_ok else "echec",
                                    error_count=0 if verified_ok else 2, source=Source.INGEST)
    if restore_test_days is not None:
        Verification.objects.create(copy=made, performed_at=hours_ago(restore_test_days * 24),
                                    kind="restauration", result="ok", source=Source.INGEST)
    return made


def healthy_asset(org, code: str):
    """An asset meeting all of 3-2-1-1-0."""
    data_asset = asset(org, code)
    copy(data_asset, "nas", media="nas", site="SITE-A", restore_test_days=5)
    copy(data_asset, "tape", media="bande", site="SITE-B", offline=True)
    return data_asset
