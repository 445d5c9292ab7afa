"""The generic ingest of job results, restore points and verifications (docs/ingest.md): exact
rows stored from CSV and JSON lines, idempotence, all-or-nothing with every bad line named,
references and rights, the command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pcra.backups import ingest
from pcra.backups.ingest import IngestError, ingest_file
from pcra.backups.models import (
    BackupCopy,
    BackupJob,
    DataAsset,
    IngestBatch,
    RestorePoint,
    Verification,
)
from pcra.core.models import AuditEntry
from pcra.core.testing import make_node

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

CSV_VALID = """\
type,data_asset,copy,id,started_at,ended_at,status,bytes,message,time,size_bytes,files,label,date,kind,result,errors,duration_seconds,notes
job,SRV-DB,veeam-nas,J-1,2026-03-01T01:00:00,2026-03-01T02:30:00,success,1048576,,,,,,,,,,,
job,SRV-DB,veeam-nas,,,2026-03-02T02:30:00Z,warning,,"2 files skipped, locked",,,,,,,,,,
job,SRV-DB,tape,J-3,,2026-03-02T23:10:00+01:00,echec,0,disk full,,,,,,,,,,
restore_point,SRV-DB,veeam-nas,RP-1,,,,,,2026-03-01T02:30:00,5000000,1200,daily,,,,,,
verification,SRV-DB,veeam-nas,,,,,,,,,,,2026-03-03T10:00:00,integrite,ok,0,12.5,
verification,SRV-DB,tape,,,,,,,,734003200,,,2026-03-04T10:00:00,restauration,echec,3,,"restore of the DB failed"
"""

JSONL_VALID = """\
{"type": "job", "data_asset": "SRV-DB", "copy": "veeam-nas", "id": "J-1", "started_at": "2026-03-01T01:00:00", "ended_at": "2026-03-01T02:30:00", "status": "success", "bytes": 1048576}
{"type": "job", "data_asset": "SRV-DB", "copy": "veeam-nas", "ended_at": "2026-03-02T02:30:00Z", "status": "warning", "message": "2 files skipped, locked"}

{"type": "job", "data_asset": "SRV-DB", "copy": "tape", "id": "J-3", "ended_at": "2026-03-02T23:10:00+01:00", "status": "echec", "bytes": 0, "message": "disk full"}
{"type": "restore_point", "data_asset": "SRV-DB", "copy": "veeam-nas", "id": "RP-1", "time": "2026-03-01T02:30:00", "size_bytes": 5000000, "files": 1200, "label": "daily"}
{"type": "verification", "data_asset": "SRV-DB", "copy": "veeam-nas", "date": "2026-03-03T10:00:00", "kind": "integrite", "result": "ok", "errors": 0, "duration_seconds": 12.5}
{"type": "verification", "data_asset": "SRV-DB", "copy": "tape", "date": "2026-03-04T10:00:00", "kind": "restauration", "result": "echec", "errors": 3, "size_bytes": 734003200, "notes": "restore of the DB failed"}
"""


@pytest.fixture
def backed(world):
    """Component SRV-DB of ET-A1 with copies veeam-nas (veeam), tape (autre), repo (restic)
    and archive (borg); a shared component SHARED-FS of GHT-A with copy nas."""
    node = make_node(org=world.et_a1, node_type="component", code="SRV-DB")
    asset = DataAsset.objects.create(node=node)
    copies = {name: BackupCopy.objects.create(data_asset=asset, name=name, engine=engine,
                                              media=media)
              for name, engine, media in (("veeam-nas", "veeam", "nas"),
                                          ("tape", "autre", "bande"),
                                          ("repo", "restic", "disque"),
                                          ("archive", "borg", "disque"))}
    shared = make_node(org=world.ght_a, node_type="component", code="SHARED-FS")
    copies["shared"] = BackupCopy.objects.create(
        data_asset=DataAsset.objects.create(node=shared), name="nas", engine="veeam",
        media="nas")
    return copies


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def stored_counts() -> tuple[int, int, int, int]:
    return (BackupJob.objects.count(), RestorePoint.objects.count(),
            Verification.objects.count(), IngestBatch.objects.count())


def assert_valid_file_stored(backed, batch):
    nas, tape = backed["veeam-nas"], backed["tape"]
    jobs = {(j.copy_id, j.external_id): (j.started_at, j.ended_at, j.status, j.bytes, j.message,
                                         j.source)
            for j in BackupJob.objects.all()}
    assert jobs == {
        (nas.pk, "J-1"): (dt.datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
                          dt.datetime(2026, 3, 1, 1, 30, tzinfo=UTC), "success", 1048576, "",
                          "ingest"),
        (nas.pk, "2026-03-02T02:30:00Z"): (None, dt.datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
                                           "warning", None, "2 files skipped, locked", "ingest"),
        (tape.pk, "J-3"): (None, dt.datetime(2026, 3, 2, 22, 10, tzinfo=UTC), "failed", 0,
                           "disk full", "ingest"),
    }
    job = BackupJob.objects.get(external_id="J-1")
    assert job.ended_at.utcoffset() == dt.timedelta(0)  # aware
    assert job.ended_at == dt.datetime(2026, 3, 1, 2, 30, tzinfo=PARIS)
    point = RestorePoint.objects.get()
    assert (point.copy_id, point.external_id, point.taken_at, point.size_bytes,
            point.file_count, point.label, point.source, point.gone_at) == (
        nas.pk, "RP-1", dt.datetime(2026, 3, 1, 1, 30, tzinfo=UTC), 5000000, 1200, "daily",
        "ingest", None)
    assert point.collected_at is not None
    checks = {(v.copy_id, v.performed_at, v.kind, v.result, v.error_count, v.duration_seconds,
               v.size_bytes, v.notes, v.source, v.slice_number, v.reads_data)
              for v in Verification.objects.all()}
    assert checks == {
        (nas.pk, dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC), "integrite", "ok", 0, 12.5, None,
         "", "ingest", None, True),
        (tape.pk, dt.datetime(2026, 3, 4, 9, 0, tzinfo=UTC), "restauration", "echec", 3, None,
         734003200, "restore of the DB failed", "ingest", None, True),
    }
    assert (batch.jobs, batch.points, batch.verifications, batch.duplicates) == (3, 1, 2, 0)


def test_valid_csv_stores_exact_rows(backed, tmp_path):
    path = write(tmp_path, "veeam.csv", CSV_VALID)
    batch = ingest_file(path=path, top=backed["tape"].data_asset.node.top)
    assert_valid_file_stored(backed, batch)
    assert (batch.filename, batch.fmt, batch.created_by) == ("veeam.csv", "csv", None)
    assert batch.sha256 == hashlib.sha256(CSV_VALID.encode()).hexdigest()


def test_valid_jsonl_stores_exact_rows(world, backed, tmp_path):
    path = write(tmp_path, "veeam.jsonl", JSONL_VALID)
    batch = ingest_file(path=path, top=world.ght_a, user=world.owner)
    assert_valid_file_stored(backed, batch)
    assert (batch.fmt, batch.created_by, batch.top) == ("jsonl", world.owner, world.ght_a)


def test_reingest_counts_duplicates_and_adds_nothing(world, backed, tmp_path):
    path = write(tmp_path, "veeam.csv", CSV_VALID)
    ingest_file(path=path, top=world.ght_a)
    before = stored_counts()
    again = ingest_file(path=path, top=world.ght_a)
    assert (again.jobs, again.points, again.verifications, again.duplicates) == (0, 0, 0, 6)
    assert stored_counts() == (before[0], before[1], before[2], before[3] + 1)
    # the same records as JSON lines are the same records
    other = ingest_file(path=write(tmp_path, "veeam.jsonl", JSONL_VALID), top=world.ght_a)
    assert (other.jobs, other.points, other.verifications, other.duplicates) == (0, 0, 0, 6)


def test_duplicates_within_one_file(world, backed, tmp_path):
    line = ('{"type": "job", "data_asset": "SRV-DB", "copy": "tape", "ended_at": '
            '"2026-03-01T00:00:00", "status": "ok"}\n')
    check = ('{"type": "verification", "data_asset": "SRV-DB", "copy": "tape", "date": '
             '"2026-03-01T00:00:00", "kind": "integrity", "result": "ok"}\n')
    batch = ingest_file(path=write(tmp_path, "d.jsonl", line * 3 + check * 2),
                        top=world.ght_a)
    assert (batch.jobs, batch.verifications, batch.duplicates) == (1, 1, 3)
    assert BackupJob.objects.get().external_id == "2026-02-28T23:00:00Z"


def test_first_occurrence_in_the_file_wins(world, backed, tmp_path):
    content = ("type,data_asset,copy,id,ended_at,status,message\n"
               "job,SRV-DB,veeam-nas,J-2,2026-03-02,ok,second id first\n"
               "job,SRV-DB,veeam-nas,J-1,2026-03-01,ok,first\n"
               "job,SRV-DB,veeam-nas,J-1,2026-03-01,failed,again\n"
               "job,SRV-DB,veeam-nas,J-2,2026-03-02,ok,later\n")
    batch = ingest_file(path=write(tmp_path, "f.csv", content), top=world.ght_a)
    assert (batch.jobs, batch.duplicates) == (2, 2)
    assert dict(BackupJob.objects.values_list("external_id", "message")) == {
        "J-1": "first", "J-2": "second id first"}


def test_times_round_trip_exactly_and_daylight_saving(world, backed, tmp_path):
    content = ("type,data_asset,copy,id,ended_at,status\n"
               "job,SRV-DB,veeam-nas,micro,2026-03-01T02:30:00.250000,ok\n"
               "job,SRV-DB,veeam-nas,gap,2026-03-29T02:30:00,ok\n"  # does not exist in Paris
               "job,SRV-DB,veeam-nas,fold,2026-10-25T02:30:00,ok\n"  # happens twice
               "job,SRV-DB,veeam-nas,fold2,2026-10-25T02:45:00,ok\n"
               "job,SRV-DB,veeam-nas,winter,2026-10-25T03:30:00,ok\n")
    ingest_file(path=write(tmp_path, "t.csv", content), top=world.ght_a)
    ended = dict(BackupJob.objects.values_list("external_id", "ended_at"))
    assert ended == {
        "micro": dt.datetime(2026, 3, 1, 1, 30, 0, 250000, tzinfo=UTC),
        "gap": dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # read with the winter offset
        "fold": dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the first 02:30 (summer)
        "fold2": dt.datetime(2026, 10, 25, 0, 45, tzinfo=UTC),
        "winter": dt.datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
    }
    # stored as Django stores them: the ORM finds them by value
    assert BackupJob.objects.get(ended_at=ended["micro"]).external_id == "micro"
    assert BackupJob.objects.filter(ended_at__gte=ended["fold"],
                                    ended_at__lt=ended["winter"]).count() == 2
    check = ('{"type": "verification", "data_asset": "SRV-DB", "copy": "tape", "date": '
             '"2026-10-25T02:30:00", "kind": "integrite", "result": "ok"}\n')
    path = write(tmp_path, "v.jsonl", check)
    assert ingest_file(path=path, top=world.ght_a).verifications == 1
    again = ingest_file(path=path, top=world.ght_a)
    assert (again.verifications, again.duplicates) == (0, 1)


def test_garbage_lines_csv_refused_whole_with_every_line(world, backed, tmp_path):
    good = "job,SRV-DB,veeam-nas,J-{n},,2026-03-01T02:30:00,success,,,,,,,,,,,,\n"
    lines = [CSV_VALID.splitlines(keepends=True)[0].encode()]
    lines += [good.format(n=n).encode() for n in range(1, 4)]          # lines 2-4
    lines.append(b"\x89PNG\x00\xff\xfe garbage\r\n")                   # 5
    lines.append(good.format(n=5).encode().replace(b"SRV-DB", b"SRV\x00DB"))  # 6
    lines.append(good.format(n=7).encode())                            # 7
    lines.append(good.format(n=6).encode().replace(b"\n", b",extra\n"))  # 8
    lines.append(b"snapshot-ish,SRV-DB,veeam-nas,J-9,,2026-03-01,success,,,,,,,,,,,,\n")  # 9
    lines.append(b"job,SRV-DB,veeam-nas,J-10,,2026-02-30T00:00,success,,,,,,,,,,,,\n")  # 10
    lines.append(b"job,SRV-DB,veeam-nas,J-11,,2026-03-01,success,-5,,,,,,,,,,,\n")  # 11
    lines.append(b"verification,SRV-DB,veeam-nas,,,,,,,,,,,2026-03-01,integrite,echec,0,,\n")
    lines.append(good.format(n=13).encode())                           # 13
    path = write(tmp_path, "bad.csv", b"".join(lines))
    with pytest.raises(IngestError) as caught:
        ingest_file(path=path, top=world.ght_a)
    errors = caught.value.errors
    assert [e.split(":")[0] for e in errors] == [
        "line 5", "line 6", "line 8", "line 9", "line 10", "line 11", "line 12"]
    assert errors[0] == "line 5: not UTF-8 text (binary data?)"
    assert errors[1] == "line 6: holds a NUL character (binary data?)"
    assert errors[2].startswith("line 8: 20 fields where the header has 19 (check the "
                                "separator and the quotes): 'job,SRV-DB,")
    assert errors[3] == ("line 9: column type: 'snapshot-ish' is not a record type (job, "
                         "restore_point or verification)")
    assert errors[4] == ("line 10: column ended_at: '2026-02-30T00:00' is not an ISO 8601 date "
                         "and time (e.g. 2026-03-01T02:30:00 or 2026-03-01T02:30:00+01:00)")
    assert errors[5] == "line 11: column bytes: '-5' is negative (must be ≥ 0)"
    assert errors[6] == ("line 12: column errors: a verification whose result is echec found "
                         "errors: give their number (≥ 1), not '0'")
    assert caught.value.count == 7
    assert stored_counts() == (0, 0, 0, 0)


def test_garbage_lines_jsonl_refused_whole(world, backed, tmp_path):
    valid = JSONL_VALID.splitlines()
    content = "\n".join([
        valid[0],                                                      # 1
        '{"type": "job", "data_asset": "SRV-DB", "copy": "veeam-n',     # 2 truncated
        valid[2],                                                      # 3 (blank)
        valid[3],                                                      # 4
        '["job", "SRV-DB"]',                                           # 5 not an object
        '{"type": "job", "data_asset": "SRV-DB", "copy": "tape", "ended_at": '
        '"2026-03-01T00:00:00", "status": "done", "bytes": 1.5, "colour": "red"}',  # 6
        '{"type": "restore_point", "data_asset": "SRV-DB", "copy": "tape", "time": '
        '"2026-03-01T00:00:00", "kind": "integrite"}',                  # 7 no id; kind
        '{"type": "verification", "data_asset": "SRV-DB", "copy": "tape", "date": '
        '"2026-03-01T00:00:00", "kind": "integrite", "result": "ok", "errors": 2}',  # 8
        valid[4],                                                      # 9
    ]) + "\n"
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "bad.ndjson", content), top=world.ght_a)
    assert caught.value.errors == [
        "line 2: not valid JSON (Unterminated string starting at): '{\"type\": \"job\", "
        "\"data_asset\": \"SRV-DB\", \"copy\": \"veeam-n'",
        "line 5: a JSON object {…} is expected, not '[\"job\", \"SRV-DB\"]'",
        "line 6: unknown column 'colour' (expected: type, data_asset, copy, id, started_at, "
        "ended_at, status, bytes, message, time, size_bytes, files, label, date, kind, result, "
        "errors, duration_seconds, notes)",
        "line 6: column status: 'done' is not one of success, warning, failed",
        "line 6: column bytes: '1.5' is not a whole number",
        "line 7: column kind does not apply to a restore_point: leave it empty (found "
        "'integrite')",
        "line 7: column id is required for a restore_point",
        "line 8: column errors: 2 errors with result ok: a verification that found errors has "
        "the result echec",
    ]
    assert stored_counts() == (0, 0, 0, 0)


def test_errors_are_capped_at_100(world, backed, tmp_path):
    line = "job,SRV-DB,veeam-nas,,,yesterday,success\n"
    content = "type,data_asset,copy,id,started_at,ended_at,status\n" + line * 150
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "many.csv", content), top=world.ght_a)
    errors = caught.value.errors
    assert len(errors) == 101
    assert errors[0].startswith("line 2: column ended_at: 'yesterday' is not")
    assert errors[99].startswith("line 101: ")
    assert errors[100] == "… and 50 more"
    assert caught.value.count == 150


def test_header_problems(world, backed, tmp_path):
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "h.csv", "type,copy,colour,copy\njob,a,b,c\n"),
                    top=world.ght_a)
    assert caught.value.errors == [
        "line 1: unknown column 'colour' (expected: type, data_asset, copy, id, started_at, "
        "ended_at, status, bytes, message, time, size_bytes, files, label, date, kind, result, "
        "errors, duration_seconds, notes)",
        "line 1: column copy is given twice",
        "line 1: the header has no column data_asset (Donnée)",
    ]
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "empty.csv", "\n\n"), top=world.ght_a)
    assert caught.value.errors == ["line 1: the file is empty: a CSV file starts with a header "
                                   "line naming its columns"]


UNKNOWN_SRV_DB = ("line 2: column data_asset: no data asset 'SRV-DB' that you may change in "
                  "GHT-A: check the code, or declare the data asset first")


def test_references_unknown_asset_and_copy(world, backed, tmp_path):
    content = ("type,data_asset,copy,ended_at,status\n"
               "job,SRV-DB,veeam-nas,2026-03-01,ok\n"
               "job,NOPE,veeam-nas,2026-03-01,ok\n"
               "job,SRV-DB,usb-disk,2026-03-01,ok\n"
               "job,SRV-DB,usb-disk,2026-03-02,ok\n")
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "r.csv", content), top=world.ght_a)
    assert caught.value.errors == [
        "line 3: column data_asset: no data asset 'NOPE' that you may change in GHT-A: check "
        "the code, or declare the data asset first",
        "line 4: copy 'usb-disk' of data asset 'SRV-DB' is not declared: declare it first "
        "(Sauvegardes sheet or the copy form)",
        "line 5: copy 'usb-disk' of data asset 'SRV-DB' is not declared: declare it first "
        "(Sauvegardes sheet or the copy form)",
    ]
    assert stored_counts() == (0, 0, 0, 0)


def test_another_establishments_asset_is_refused_as_unknown(world, backed, tmp_path):
    content = "type,data_asset,copy,ended_at,status\njob,SRV-DB,veeam-nas,2026-03-01,ok\n"
    path = write(tmp_path, "r.csv", content)
    for user in (world.outsider, world.member, world.stranger):
        with pytest.raises(IngestError) as caught:
            ingest_file(path=path, top=world.ght_a, user=user)
        assert caught.value.errors == [UNKNOWN_SRV_DB]
    # the same message as a code that does not exist at all
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "n.csv", content.replace("SRV-DB", "NOPE")),
                    top=world.ght_a, user=world.owner)
    assert caught.value.errors == [UNKNOWN_SRV_DB.replace("SRV-DB", "NOPE")]
    # GHT-B's copy of a code is not GHT-A's
    with pytest.raises(IngestError) as caught:
        ingest_file(path=path, top=world.ght_b)
    assert caught.value.errors == [UNKNOWN_SRV_DB.replace("GHT-A", "GHT-B")]
    assert stored_counts() == (0, 0, 0, 0)


def test_rights_owner_and_shared_nodes(world, backed, tmp_path):
    mine = "type,data_asset,copy,ended_at,status\njob,SRV-DB,veeam-nas,2026-03-01,ok\n"
    shared = "type,data_asset,copy,ended_at,status\njob,SHARED-FS,nas,2026-03-01,ok\n"
    assert ingest_file(path=write(tmp_path, "m.csv", mine), top=world.et_a1,
                       user=world.owner).jobs == 1
    with pytest.raises(IngestError) as caught:  # an ET editor may not write GHT-shared nodes
        ingest_file(path=write(tmp_path, "s.csv", shared), top=world.ght_a, user=world.owner)
    assert caught.value.errors[0].startswith("line 2: column data_asset: no data asset "
                                             "'SHARED-FS' that you may change in GHT-A")
    assert ingest_file(path=write(tmp_path, "s.csv", shared), top=world.ght_a,
                       user=world.ght_admin).jobs == 1


def test_copies_pcra_drives_are_refused(world, backed, tmp_path):
    content = ("type,data_asset,copy,id,time\n"
               "restore_point,SRV-DB,repo,abc123,2026-03-01\n"
               "restore_point,SRV-DB,archive,a-1,2026-03-01\n")
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "d.csv", content), top=world.ght_a)
    assert caught.value.errors == [
        "line 2: copy 'repo' of data asset 'SRV-DB' is a restic repository: pcra collects and "
        "verifies it itself, its results cannot be ingested",
        "line 3: copy 'archive' of data asset 'SRV-DB' is a BorgBackup repository: pcra "
        "collects and verifies it itself, its results cannot be ingested",
    ]
    assert stored_counts() == (0, 0, 0, 0)


def test_french_headers_semicolons_and_bom(world, backed, tmp_path):
    content = ("\ufeffTYPE;Donnée;copie;Identifiant;Début;Fin;Statut;Octets;Message;"
               "Horodatage;Taille (octets);Fichiers;Libellé;Date;Nature;Résultat;Erreurs;"
               "Durée (s);Commentaire\r\n"
               "Travail;SRV-DB;veeam-nas;J-1;;2026-03-01 02:30;Succès;12;\"a; b\";;;;;;;;;;\r\n"
               "point;SRV-DB;veeam-nas;RP-1;;;;;;2026-03-01 02:30;;;;;;;;;\r\n"
               "Vérification;SRV-DB;tape;;;;;;;;;;;2026-03-02;Intégrité;Échec;1;60;vu\r\n")
    batch = ingest_file(path=write(tmp_path, "fr.csv", content), top=world.ght_a)
    assert (batch.jobs, batch.points, batch.verifications) == (1, 1, 1)
    job = BackupJob.objects.get()
    assert (job.external_id, job.ended_at, job.status, job.bytes, job.message) == (
        "J-1", dt.datetime(2026, 3, 1, 1, 30, tzinfo=UTC), "success", 12, "a; b")
    check = Verification.objects.get()
    assert (check.kind, check.result, check.error_count, check.duration_seconds,
            check.notes) == ("integrite", "echec", 1, 60.0, "vu")


def test_quoted_csv_fields_and_bad_quotes(world, backed, tmp_path):
    content = ('type,data_asset,copy,ended_at,status,message\n'
               'job,SRV-DB,veeam-nas,2026-03-01,ok,"a, ""quoted"" message"\n'
               'job,SRV-DB,veeam-nas,2026-03-02,ok,"unterminated\n')
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "q.csv", content), top=world.ght_a)
    assert caught.value.errors == ["line 3: badly quoted CSV line (unexpected end of data): "
                                   "'job,SRV-DB,veeam-nas,2026-03-02,ok,\"unterminated'"]
    ingest_file(path=write(tmp_path, "q.csv", content.rsplit("job", 1)[0]), top=world.ght_a)
    assert BackupJob.objects.get().message == 'a, "quoted" message'


def test_ingest_batch_audited_once_and_verifications_audited(world, backed, tmp_path):
    start = AuditEntry.objects.count()
    batch = ingest_file(path=write(tmp_path, "veeam.csv", CSV_VALID), top=world.ght_a,
                        user=world.owner)
    entries = list(AuditEntry.objects.order_by("id")[start:])
    assert [(e.model, e.action) for e in entries] == [
        ("backups.verification", "create"), ("backups.verification", "create"),
        ("backups.ingestbatch", "create")]
    batch_entry = entries[-1]
    data = json.loads(batch_entry.data)
    assert (batch_entry.object_id, batch_entry.actor_id, batch_entry.organization_id) == (
        str(batch.uuid), world.owner.pk, world.ght_a.pk)
    assert (data["after"]["sha256"], data["after"]["jobs"]) == (batch.sha256, 3)
    assert entries[0].organization_id == world.et_a1.pk


def test_format_from_name_or_given(world, backed, tmp_path):
    path = write(tmp_path, "export.txt", JSONL_VALID)
    with pytest.raises(IngestError) as caught:
        ingest_file(path=path, top=world.ght_a)
    assert caught.value.errors == ["cannot tell the format of export.txt from its name (.csv, "
                                   ".jsonl, .ndjson or .json): give it (csv or jsonl)"]
    assert ingest_file(path=path, top=world.ght_a, fmt="jsonl").jobs == 3
    with pytest.raises(IngestError, match="cannot read missing.csv"):
        ingest_file(path=tmp_path / "missing.csv", top=world.ght_a)


def test_command_success_json_and_text(world, backed, tmp_path):
    path = write(tmp_path, "veeam.csv", CSV_VALID)
    out, err = StringIO(), StringIO()
    call_command("ingest_backups", str(path), "--organization", "ET-A1", "--json",
                 stdout=out, stderr=err)
    assert json.loads(out.getvalue()) == {
        "jobs": 3, "restore_points": 1, "verifications": 2, "duplicates": 0,
        "sha256": IngestBatch.objects.get().sha256}
    assert err.getvalue() == ""
    out = StringIO()
    call_command("ingest_backups", str(path), "--organization", "GHT-A", "--format", "csv",
                 stdout=out)
    text = out.getvalue()
    assert "veeam.csv ingested into GHT-A" in text
    assert "  already known (ignored): 6" in text


def test_command_failure(world, backed, tmp_path):
    content = ("type,data_asset,copy,ended_at,status\n"
               "job,SRV-DB,veeam-nas,2026-03-01,ok\n"
               "job,SRV-DB,veeam-nas,never,ok\n")
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("ingest_backups", str(write(tmp_path, "bad.csv", content)),
                     "--organization", "GHT-A", stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert str(caught.value) == "1 error: nothing was written."
    assert err.getvalue() == ("error: line 3: column ended_at: 'never' is not an ISO 8601 date "
                              "and time (e.g. 2026-03-01T02:30:00 or "
                              "2026-03-01T02:30:00+01:00)\n")
    assert stored_counts() == (0, 0, 0, 0)
    with pytest.raises(CommandError, match="Unknown organization: NOPE"):
        call_command("ingest_backups", "x.csv", "--organization", "NOPE")


def test_command_progress(world, backed, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "PROGRESS_EVERY", 2)
    content = "type,data_asset,copy,ended_at,status\n" + "".join(
        f"job,SRV-DB,veeam-nas,2026-03-0{d},ok\n" for d in range(1, 5))
    err = StringIO()
    call_command("ingest_backups", str(write(tmp_path, "p.csv", content)), "--organization",
                 "GHT-A", stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["2 lines read…", "4 lines read…"]


def test_parser_is_pure_and_reads_naive_times_in_the_given_zone():
    lines = [b'{"type": "job", "data_asset": "A", "copy": "c", "started_at": '
             b'"2026-07-01T12:00:00", "ended_at": "2026-07-01T11:00:00", "status": "ok"}\n',
             b'{"type": "point", "data_asset": "A", "copy": "c", "id": 42, '
             b'"time": "2026-07-01T12:00:00"}\n']
    tokyo = ZoneInfo("Asia/Tokyo")
    issue, point = list(ingest.parse(lines, fmt="jsonl", tzinfo=tokyo))
    assert issue.render() == ("line 1: started_at 2026-07-01T12:00:00+09:00 is after ended_at "
                              "2026-07-01T11:00:00+09:00")
    assert point == ingest.Point(2, "A", "c", "42",
                                 dt.datetime(2026, 7, 1, 3, 0, tzinfo=UTC), None, None, "")
    assert point.taken_at.tzinfo is tokyo


def test_impossible_and_future_dates_and_deep_json_are_line_errors(world, backed, tmp_path):
    content = "\n".join([
        '{"type": "job", "data_asset": "SRV-DB", "copy": "veeam-nas", '
        '"ended_at": "0001-01-01T00:00:00+01:00", "status": "success"}',
        '{"type": "job", "data_asset": "SRV-DB", "copy": "veeam-nas", '
        '"ended_at": "9999-12-31T23:59:59-01:00", "status": "success"}',
        '{"type": "verification", "data_asset": "SRV-DB", "copy": "tape", '
        '"date": "2099-01-01T00:00:00+01:00", "kind": "integrite", "result": "ok"}',
        "[" * 100_000,
        '{"type": "job", "data_asset": "SRV-DB", "copy": "veeam-nas", '
        '"ended_at": "2026-03-01T00:00:00+01:00", "status": "success"}',
    ]) + "\n"
    with pytest.raises(IngestError) as caught:
        ingest_file(path=write(tmp_path, "dates.jsonl", content), top=world.ght_a)
    errors = caught.value.errors
    assert [e.split(":")[0] for e in errors] == ["line 1", "line 2", "line 3", "line 4"]
    assert errors[0] == ("line 1: column ended_at: 0001-01-01T00:00:00+01:00 is in the future "
                         "or before 1970")
    assert errors[2].startswith("line 3: column date: 2099-01-01T00:00:00+01:00 is in the future")
    assert errors[3].startswith("line 4: not valid JSON (nested too deeply)")
    assert stored_counts() == (0, 0, 0, 0)
