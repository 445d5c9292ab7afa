"""The demo's backups: real restic and Borg repositories, collected and verified, with the good
and bad verdicts the module promises; seeded again, nothing is duplicated."""

from __future__ import annotations

import pytest

from pcra.backups import selectors
from pcra.backups.models import Alert, BackupCopy, CollectionRun, DataAsset, RestorePoint
from pcra.demo.tests.helpers import seed
from pcra.restoretests.models import RestoreTestRun

pytestmark = pytest.mark.django_db


def test_demo_backups_show_real_telemetry_good_and_bad(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.LANGUAGE_CODE = "en"
    out = seed(backups=True)
    assert "Backups: 5 data assets, 7 copies" in out
    assert (tmp_path / "demo-repos" / "dpi-restic" / "config").exists()
    reports = {r.code: r for r in selectors.asset_reports(
        DataAsset.objects.select_related("node"))}
    assert set(reports) == {"DB-ORA-1", "DB-PACS", "DB-SIL", "DB-GEF-HDS", "DB-EAI"}
    digits = {code: tuple(v.ok for v in r.digits.as_dict().values())
              for code, r in reports.items()}
    assert digits["DB-ORA-1"] == (True, True, True, True, True)
    assert digits["DB-PACS"] == (True, True, True, True, False)
    assert digits["DB-SIL"] == (False, False, False, False, False)
    # Real snapshots: 3 restic snapshots and 2 Borg archives for the DPI.
    dpi_points = {c.copy.name: c.point_count for c in reports["DB-ORA-1"].copies}
    assert dpi_points == {"NAS salle secondaire": 3, "Disques amovibles hors ligne": 2}
    open_alerts = set(Alert.objects.filter(resolved_at__isnull=True)
                      .values_list("data_asset__node__code", "kind"))
    assert {("DB-PACS", "verification_failed"), ("DB-SIL", "collection_failed"),
            ("DB-GEF-HDS", "backup_failed"), ("DB-EAI", "verification_overdue")} <= open_alerts
    assert ("DB-ORA-1", "verification_failed") not in open_alerts
    # Real restore tests: the DPI's passed (the "0" holds on that evidence, and its restore
    # duration is measured), the PACS's found the damaged pack.
    runs = {r.copy.data_asset.code: r for r in RestoreTestRun.objects.select_related(
        "copy__data_asset__node")}
    assert (runs["DB-ORA-1"].status, runs["DB-PACS"].status) == ("passed", "failed")
    assert runs["DB-ORA-1"].files_verified > 0 and runs["DB-PACS"].error_code == "damaged"
    assert ("DB-PACS", "restore_failed") in open_alerts
    sil_run = CollectionRun.objects.filter(copy__data_asset__node__code="DB-SIL",
                                           kind="collect").latest("started_at")
    assert (sil_run.status, sil_run.error_code) == ("failed", "wrong_password")

    counts = (BackupCopy.objects.count(), RestorePoint.objects.count(),
              RestoreTestRun.objects.count())
    seed(backups=True)
    assert (BackupCopy.objects.count(), RestorePoint.objects.count(),
            RestoreTestRun.objects.count()) == counts
