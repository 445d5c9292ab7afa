"""Collection and verification on real restic and Borg repositories made by the tests: restore
points collected, each access problem a clear failed run, a damaged pack found and the "0"
failing, the rotation reaching full coverage in t runs, the worker running the jobs."""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import tempfile
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pcra.backups import samples, selectors, services
from pcra.backups.models import Alert, CollectionRun, RestorePoint, Verification
from pcra.backups.tests.helpers import asset

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return samples.make_files(tmp_path_factory.mktemp("src") / "data", count=12, size=3000)


_TEMPLATES: dict[tuple[str, int], Path] = {}


def _template(engine: str, count: int, source: Path) -> Path:
    """Repositories are made once per test session and copied for each test (a restic command
    costs half a second of key derivation, `restic init` three)."""
    key = (engine, count)
    if key not in _TEMPLATES:
        root = Path(tempfile.mkdtemp(prefix="pcra-repo-templates-"))
        atexit.register(shutil.rmtree, root, True)
        path = root / f"{engine}-{count}"
        if engine == "restic":
            samples.make_restic_repo(path, PASSWORD, source=source, snapshots=count)
        else:
            samples.make_borg_repo(path, PASSWORD, source=source, archives=count)
        _TEMPLATES[key] = path
    return _TEMPLATES[key]


def _copy_of(engine: str, count: int, source: Path, target: Path) -> Path:
    shutil.copytree(_template(engine, count, source), target)
    return target


@pytest.fixture
def english_settings(settings, english):
    settings.LANGUAGE_CODE = "en"


def restic_copy(world, tmp_path, source, *, snapshots=2, code="DPI-DB", name="nas", **fields):
    repo = _copy_of("restic", snapshots, source, tmp_path / f"restic-{code}")
    data = asset(world.et_a1, code)
    copy = services.copy_create(data_asset=data, name=name, engine="restic", repository=str(repo),
                                media="nas", **fields)
    services.copy_set_secret(copy=copy, password=PASSWORD)
    return copy, repo


def borg_copy(world, tmp_path, source, *, code="PACS-DB", name="usb", **fields):
    repo = _copy_of("borg", 2, source, tmp_path / f"borg-{code}")
    data = asset(world.et_a1, code)
    copy = services.copy_create(data_asset=data, name=name, engine="borg", repository=str(repo),
                                media="amovible", **fields)
    services.copy_set_secret(copy=copy, password=PASSWORD)
    return copy, repo


def restic_ids(repo: Path) -> list[str]:
    out = subprocess.run(["restic", "-r", str(repo), "--no-cache", "snapshots", "--json"],
                         env={"RESTIC_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin",
                              "HOME": str(repo)},
                         capture_output=True, check=True, text=True).stdout
    return sorted(s["id"] for s in json.loads(out))


def data_pack(repo: Path) -> Path:
    """The largest pack: file contents (tree packs are small and read by every check)."""
    return max(samples.restic_pack_files(repo), key=lambda p: p.stat().st_size)


@pytest.mark.django_db
def test_restic_snapshots_collected(world, tmp_path, source):
    copy, repo = restic_copy(world, tmp_path, source, snapshots=3)
    run = services.collect_copy(copy=copy)
    assert (run.status, run.new_points, run.error) == ("ok", 3, "")
    assert sorted(copy.points.values_list("external_id", flat=True)) == restic_ids(repo)
    copy.refresh_from_db()
    assert copy.engine_details["encrypted"] is True and copy.engine_details["snapshot_count"] == 3
    # Collected again: nothing new, nothing duplicated.
    assert services.collect_copy(copy=copy).new_points == 0
    assert copy.points.count() == 3


@pytest.mark.django_db
def test_pruned_snapshot_is_kept_as_gone(world, tmp_path, source):
    copy, repo = restic_copy(world, tmp_path, source, snapshots=2)
    services.collect_copy(copy=copy)
    oldest = restic_ids(repo)[0]
    subprocess.run(["restic", "-r", str(repo), "--no-cache", "forget", oldest],
                   env={"RESTIC_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin", "HOME": str(repo)},
                   capture_output=True, check=True)
    services.collect_copy(copy=copy)
    gone = RestorePoint.objects.get(copy=copy, external_id=oldest)
    assert gone.gone_at is not None
    assert copy.points.filter(gone_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_borg_archives_collected(world, tmp_path, source):
    copy, _repo = borg_copy(world, tmp_path, source)
    run = services.collect_copy(copy=copy)
    assert (run.status, run.new_points) == ("ok", 2)
    copy.refresh_from_db()
    assert copy.engine_details["encrypted"] is True
    assert copy.engine_details["encryption"].startswith("repokey")


@pytest.mark.django_db
def test_wrong_password_missing_and_locked_give_clear_failed_runs(world, tmp_path, source,
                                                                 english_settings):
    wrong, _repo = restic_copy(world, tmp_path, source, code="A-DB")
    services.copy_set_secret(copy=wrong, password="not the password")
    run = services.collect_copy(copy=wrong)
    assert (run.status, run.error_code) == ("failed", "wrong_password")
    assert "password" in run.error.lower()
    assert wrong.points.count() == 0

    missing = services.copy_create(data_asset=asset(world.et_a1, "B-DB"), name="nas",
                                   engine="borg", repository=str(tmp_path / "nowhere"),
                                   media="nas")
    services.copy_set_secret(copy=missing, password=PASSWORD)
    run = services.collect_copy(copy=missing)
    assert (run.status, run.error_code) == ("failed", "repository_not_found")
    assert str(tmp_path / "nowhere") in run.error

    locked, repo = borg_copy(world, tmp_path, source, code="C-DB")
    holder = subprocess.Popen(["borg", "with-lock", str(repo), "sleep", "60"],
                              env={"BORG_PASSPHRASE": PASSWORD, "PATH": "/usr/bin:/bin",
                                   "HOME": str(tmp_path), "BORG_BASE_DIR": str(tmp_path / "b")})
    try:
        deadline = time.monotonic() + 20
        while not any((repo / "lock.exclusive").glob("*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        run = services.collect_copy(copy=locked)
    finally:
        holder.kill()
        holder.wait()
    assert (run.status, run.error_code) == ("failed", "repository_locked")

    from pcra.backups import supervision

    supervision.alerts_refresh()
    failed = {(a.data_asset.code, a.kind) for a in Alert.objects.filter(kind="collection_failed")}
    assert failed == {("A-DB", "collection_failed"), ("B-DB", "collection_failed"),
                      ("C-DB", "collection_failed")}
    # A failed run records no verification: an unreadable repository is not a verified one.
    run = services.verify_copy(copy=wrong)
    assert (run.status, Verification.objects.filter(copy=wrong).count()) == ("failed", 0)


@pytest.mark.django_db
def test_damaged_pack_found_and_zero_fails(world, tmp_path, source, english_settings):
    copy, repo = restic_copy(world, tmp_path, source, verify_slices=1)
    services.collect_copy(copy=copy)
    run = services.verify_copy(copy=copy)
    assert Verification.objects.get(copy=copy).result == "ok"
    samples.flip_byte(data_pack(repo))
    run = services.verify_copy(copy=copy)
    assert run.status == "ok" and run.details["ok"] is False
    latest = Verification.objects.filter(copy=copy).order_by("-performed_at", "-pk").first()
    assert (latest.result, latest.error_count >= 1, latest.source) == ("echec", True, "engine")
    [report] = selectors.asset_reports([copy.data_asset])
    assert report.digits.zero.ok is False
    assert "found" in report.digits.zero.render() and "error" in report.digits.zero.render()
    assert report.achieved_rpo["nominal"] is None  # a damaged copy gives no verified point


@pytest.mark.django_db
def test_damaged_borg_segment_found(world, tmp_path, source):
    copy, repo = borg_copy(world, tmp_path, source)
    samples.flip_byte(samples.borg_segment_files(repo)[0])
    run = services.verify_copy(copy=copy)
    verification = Verification.objects.get(copy=copy)
    assert (run.status, verification.result, verification.slice_total) == ("ok", "echec", None)


@pytest.mark.django_db
def test_rotation_reaches_full_coverage_in_t_runs(world, tmp_path, source):
    t = 3
    copy, _repo = restic_copy(world, tmp_path, source, snapshots=3, verify_slices=t,
                              verify_interval_hours=24)
    services.collect_copy(copy=copy)
    coverages = []
    for _run in range(t):
        services.verify_copy(copy=copy)
        copy.refresh_from_db()
        [report] = selectors.asset_reports([copy.data_asset])
        coverages.append(report.copies[0].verification.coverage)
    assert coverages == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert report.copies[0].verification.verified is True
    slices = list(Verification.objects.filter(copy=copy).order_by("performed_at", "pk")
                  .values_list("slice_number", "slice_total", "result"))
    assert slices == [(1, 3, "ok"), (2, 3, "ok"), (3, 3, "ok")]
    assert copy.verify_next_slice == 1  # the rotation starts over


@pytest.mark.django_db
def test_rotation_finds_the_damaged_pack_in_exactly_one_slice(world, tmp_path, source):
    t = 4
    copy, repo = restic_copy(world, tmp_path, source, snapshots=4, verify_slices=t,
                             verify_interval_hours=24)
    samples.flip_byte(data_pack(repo))
    for _run in range(t):
        services.verify_copy(copy=copy)
    results = list(Verification.objects.filter(copy=copy).values_list("result", flat=True))
    assert sorted(results) == ["echec", "ok", "ok", "ok"]
    copy.refresh_from_db()
    [report] = selectors.asset_reports([copy.data_asset])
    state = report.copies[0].verification
    assert (state.verified, len(state.failed_slices), state.coverage) == (False, 1, 0.75)


@pytest.mark.django_db
def test_verification_rotation_must_fit_the_window(world):
    data = asset(world.et_a1, "X-DB")
    with pytest.raises(ValidationError) as info:
        services.copy_create(data_asset=data, name="nas", engine="restic", repository="/r",
                             media="nas", verify_slices=40, verify_interval_hours=24)
    assert "verify_slices" in info.value.message_dict


@pytest.mark.django_db
def test_set_copy_secret_command(world, tmp_path, source):
    copy, _repo = restic_copy(world, tmp_path, source)
    secret_file = tmp_path / "pw"
    secret_file.write_text("another secret\n")
    call_command("set_copy_secret", "DPI-DB", "nas", "--password-file", str(secret_file),
                 stdout=StringIO())
    copy.refresh_from_db()
    assert "another secret" not in copy.secret
    assert services.copy_password(copy) == "another secret"
    with pytest.raises(CommandError):
        call_command("set_copy_secret", "DPI-DB", "nope", "--password-file", str(secret_file))
    with pytest.raises(CommandError):
        call_command("set_copy_secret", "DPI-DB", "nas", "--password-file",
                     str(tmp_path / "missing"))


@pytest.mark.django_db
def test_collect_backups_command_json(world, tmp_path, source):
    restic_copy(world, tmp_path, source)
    out = StringIO()
    call_command("collect_backups", "--verify", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["failed"] == 0
    [row] = data["copies"]
    assert (row["data_asset"], row["copy"], row["status"], row["restore_points"],
            row["verification"]) == ("DPI-DB", "nas", "ok", 2, True)


def test_worker_runs_due_collections_through_the_database_queue(live_db, world, tmp_path, source,
                                                                 settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    copy, _repo = restic_copy(world, tmp_path, source, verify_slices=1)
    call_command("worker", "--once", verbosity=0)
    from django_tasks_db.models import DBTaskResult

    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DBTaskResult.objects.count() == 3  # collect, verify, refresh alerts
    assert copy.points.count() == 2
    assert set(CollectionRun.objects.filter(copy=copy).values_list("kind", "status")) == {
        ("collect", "ok"), ("verify", "ok")}
    copy.refresh_from_db()
    assert copy.next_collection_at > timezone.now()
    # Nothing is due any more: a second pass enqueues only the alert refresh.
    call_command("worker", "--once", verbosity=0)
    assert DBTaskResult.objects.count() == 4


@pytest.mark.django_db
def test_hand_entered_integrity_cannot_hide_what_the_engine_found(world, tmp_path, source,
                                                                 english_settings):
    copy, repo = restic_copy(world, tmp_path, source, verify_slices=1)
    services.collect_copy(copy=copy)
    samples.flip_byte(data_pack(repo))
    services.verify_copy(copy=copy)
    with pytest.raises(ValidationError) as info:
        services.verification_record(copy=copy, performed_at=timezone.now(),
                                     kind="integrite", result="ok")
    assert "kind" in info.value.message_dict
    # A restore test may be recorded, but it does not clear the damaged pack.
    services.verification_record(copy=copy, performed_at=timezone.now(), kind="restauration",
                                 result="ok")
    [report] = selectors.asset_reports([copy.data_asset])
    assert report.copies[0].verification.verified is False
    assert report.digits.zero.ok is False


@pytest.mark.django_db
def test_zero_holds_then_fails_when_a_pack_is_damaged(world, tmp_path, source):
    copy, repo = restic_copy(world, tmp_path, source, verify_slices=1, site="B")
    borg_repo = _copy_of("borg", 2, source, tmp_path / "borg-usb")
    other = services.copy_create(data_asset=copy.data_asset, name="usb", engine="borg",
                                 repository=str(borg_repo), media="amovible", offline=True)
    services.copy_set_secret(copy=other, password=PASSWORD)
    for made in (copy, other):
        services.collect_copy(copy=made)
        services.verify_copy(copy=made)
    services.verification_record(copy=other, performed_at=timezone.now(), kind="restauration",
                                 result="ok")
    [report] = selectors.asset_reports([copy.data_asset])
    assert report.digits.zero.ok is True
    samples.flip_byte(data_pack(repo))
    services.verify_copy(copy=copy)
    [report] = selectors.asset_reports([copy.data_asset])
    assert report.digits.zero.ok is False


@pytest.mark.django_db
def test_moving_a_copy_to_another_repository_forgets_what_was_read(world, tmp_path, source):
    copy, _repo = restic_copy(world, tmp_path, source, verify_slices=1)
    services.collect_copy(copy=copy)
    services.verify_copy(copy=copy)
    [report] = selectors.asset_reports([copy.data_asset])
    assert (report.copies[0].verification.verified, report.copies[0].point_count) == (True, 2)
    services.copy_update(copy=copy, repository=str(tmp_path / "elsewhere"))
    run = services.collect_copy(copy=copy)
    assert run.error_code == "repository_not_found"
    [report] = selectors.asset_reports([copy.data_asset])
    assert (report.copies[0].verification.verified, report.copies[0].point_count) == (False, 0)
    assert report.achieved_rpo["nominal"] is None


@pytest.mark.django_db
def test_declared_last_success_is_only_for_copies_without_connector(world):
    data = asset(world.et_a1, "D-DB")
    with pytest.raises(ValidationError) as info:
        services.copy_create(data_asset=data, name="borg", engine="borg", repository="/r",
                             media="nas", declared_last_success=timezone.now())
    assert "declared_last_success" in info.value.message_dict
