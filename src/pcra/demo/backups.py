"""The demo's backups: small *real* restic and Borg repositories under
``PCRA_DATA_DIR/demo-repos``, collected and verified by pcra like any other, so that a newcomer
sees real telemetry and real verdicts, good and bad:

* ``DB-ORA-1`` (the DPI's Oracle base): a restic copy on the NAS of the secondary room and an
  offline Borg copy on removable disks, both read without error, a restore test on record:
  3-2-1-1-0 holds.
* ``DB-PACS``: a restic copy whose pack was damaged on purpose (the verification finds it,
  the "0" fails) and an immutable Borg copy.
* ``DB-SIL``: one restic copy whose stored password is wrong (the collection fails, clearly).
* ``DB-GEF-HDS``: a Veeam copy at the HDS host, reported through the generic ingest, whose last
  job failed.
* ``DB-EAI``: a NAS snapshot declared by hand, never verified.

Repositories are made once and reused when the demo is seeded again (their passwords are kept
next to them, mode 600, like a backup operator's files); copies are brought back to their
definition in place.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets as pysecrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from pcra.backups import samples, services, supervision
from pcra.backups.models import (
    BackupCopy,
    BackupInfrastructure,
    BackupJob,
    DataAsset,
    JobStatus,
    RestorePoint,
    Source,
)
from pcra.inventory.models import Node

INFRA = {"code": "BKP-ADM", "name": "Serveur de sauvegarde SRV-BKP (zone d'administration)",
         "separate_auth": True, "admin_mfa": False, "segmented": True,
         "named_admin_accounts": True, "restore_streams": 2,
         "notes": "Hors du domaine AD de production ; MFA des administrateurs prévue au T2."}


def _password(repo_dir: Path, name: str) -> str:
    path = repo_dir / f"{name}.password"
    if path.exists():
        return path.read_text().strip()
    value = pysecrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _restic(repo_dir: Path, name: str, *, corrupt: bool = False) -> tuple[Path, str]:
    path = repo_dir / name
    password = _password(repo_dir, name)
    if not (path / "config").exists():
        source = samples.make_files(repo_dir / f"{name}-source", count=24, size=6000,
                                    seed=len(name))
        now = timezone.now()
        samples.make_restic_repo(path, password, source=source, snapshots=3,
                                 times=[now - dt.timedelta(hours=h) for h in (50, 26, 2)])
        if corrupt:
            samples.flip_byte(max(samples.restic_pack_files(path),
                                  key=lambda p: p.stat().st_size))
    return path, password


def _borg(repo_dir: Path, name: str) -> tuple[Path, str]:
    path = repo_dir / name
    password = _password(repo_dir, name)
    if not (path / "config").exists():
        source = samples.make_files(repo_dir / f"{name}-source", count=16, size=5000,
                                    seed=len(name) + 7)
        now = timezone.now()
        samples.make_borg_repo(path, password, source=source, archives=2,
                               times=[now - dt.timedelta(hours=h) for h in (30, 6)])
    return path, password


def _copy(asset: DataAsset, name: str, **fields) -> BackupCopy:
    existing = BackupCopy.objects.filter(data_asset=asset, name=name).first()
    if existing is None:
        return services.copy_create(data_asset=asset, name=name, **fields)
    return services.copy_update(copy=existing, **fields)


def seed_backups(top, nodes: dict[str, Node], *, repo_dir: Path | None = None) -> dict[str, int]:
    """Create (or bring back) the demo's backups, collect and verify them; returns counts."""
    repo_dir = repo_dir or Path(settings.DATA_DIR) / "demo-repos"
    repo_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(repo_dir, 0o700)
    infra = BackupInfrastructure.objects.filter(top=top, code=INFRA["code"]).first()
    if infra is None:
        infra = services.infrastructure_create(top=top, **INFRA)
    now = timezone.now()

    def asset(code: str) -> DataAsset:
        return services.data_asset_ensure(node=nodes[code])

    dpi = asset("DB-ORA-1")
    path, password = _restic(repo_dir, "dpi-restic")
    nas = _copy(dpi, "NAS salle secondaire", engine="restic", repository=str(path), media="nas",
                site="SITE-DC2", infrastructure=infra, frequency_hours=24, retention_days=35,
                verify_slices=4, verify_interval_hours=24)
    services.copy_set_secret(copy=nas, password=password)
    path, password = _borg(repo_dir, "dpi-borg")
    usb = _copy(dpi, "Disques amovibles hors ligne", engine="borg", repository=str(path),
                media="amovible", site="SITE-LRM", offline=True, infrastructure=infra,
                frequency_hours=168, retention_days=90)
    services.copy_set_secret(copy=usb, password=password)

    pacs = asset("DB-PACS")
    path, password = _restic(repo_dir, "pacs-restic", corrupt=True)
    pacs_disk = _copy(pacs, "Disques salle principale", engine="restic", repository=str(path),
                      media="disque", site="SITE-DC1", infrastructure=infra, frequency_hours=24,
                      verify_slices=1)
    services.copy_set_secret(copy=pacs_disk, password=password)
    path, password = _borg(repo_dir, "pacs-borg")
    pacs_immu = _copy(pacs, "Stockage immuable", engine="borg", repository=str(path),
                      media="objet", site="SITE-DC2", immutable_days=30, infrastructure=infra,
                      frequency_hours=24)
    services.copy_set_secret(copy=pacs_immu, password=password)

    sil = asset("DB-SIL")
    path, _password_unused = _restic(repo_dir, "sil-restic")
    sil_copy = _copy(sil, "NAS salle secondaire", engine="restic", repository=str(path),
                     media="nas", site="SITE-DC2", infrastructure=infra, frequency_hours=24)
    services.copy_set_secret(copy=sil_copy, password="ancien-mot-de-passe")

    gef = asset("DB-GEF-HDS")
    veeam = _copy(gef, "Veeam hébergeur HDS", engine="veeam", repository="veeam://valcloud/gef",
                  media="cloud", site="SITE-HDS", supplier=nodes["SUP-VALCLOUD"],
                  encrypted=True, frequency_hours=24, retention_days=30)
    for days, status, message in ((3, JobStatus.SUCCESS, ""), (2, JobStatus.SUCCESS, ""),
                                  (1, JobStatus.FAILED, "Quota du référentiel atteint")):
        ended = (now - dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        BackupJob.objects.get_or_create(
            copy=veeam, external_id=f"demo-job-{days}",
            defaults={"ended_at": ended, "started_at": ended - dt.timedelta(minutes=40),
                      "status": status, "message": message, "source": Source.INGEST})
        if status == JobStatus.SUCCESS:
            RestorePoint.objects.get_or_create(
                copy=veeam, external_id=f"demo-point-{days}",
                defaults={"taken_at": ended, "source": Source.INGEST})

    eai = asset("DB-EAI")
    _copy(eai, "Instantané NAS", engine="autre", repository="nas-dc1:/vol/eai", media="nas",
          site="SITE-DC1", frequency_hours=24,
          declared_last_success=now - dt.timedelta(days=3))

    driven = [nas, usb, pacs_disk, pacs_immu, sil_copy]
    for copy in driven:
        services.collect_copy(copy=copy)
        services.verify_copy(copy=copy, full=True)
    _restore_tests(nas, pacs_disk)
    assets = [dpi, pacs, sil, gef, eai]
    supervision.alerts_refresh(assets=assets, notify=False)
    return {"data_assets": len(assets),
            "copies": BackupCopy.objects.filter(data_asset__in=assets).count()}


def _restore_tests(dpi_nas: BackupCopy, pacs_disk: BackupCopy) -> None:
    """Real restore tests of the demo repositories (once): the DPI's restic copy restored and
    every file verified (it passes: the "0" holds on evidence), and the PACS copy with its
    damaged pack (it fails, and says which file and which pack)."""
    from pcra.restoretests import services as restore_tests
    from pcra.restoretests.models import RestoreTestDefinition

    for copy, name, fields in (
            (dpi_nas, "Restauration complète mensuelle", {"interval_days": 30}),
            (pacs_disk, "Restauration complète trimestrielle", {"interval_days": 90})):
        definition = RestoreTestDefinition.objects.filter(copy=copy, name=name).first()
        if definition is None:
            definition = restore_tests.definition_create(copy=copy, name=name, level=2,
                                                         scope="full", **fields)
        if not definition.runs.exists():
            run = restore_tests.run_request(copy=copy, definition=definition, enqueue=False)
            restore_tests.execute_run(run)
