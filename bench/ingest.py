"""Benchmark: the generic backup ingest (``pcra.backups.ingest.ingest_file``), end to end.

    .venv/bin/python bench/ingest.py [--records 1000000] [--formats csv,jsonl]

Generates, per format, a file of N job records spread over 200 copies (engine veeam) of 100
data assets of a temporary GHT — the second file following the first in time, as successive
exports of a tool — then times ``ingest_file`` on it, end to end (read, parse, check, write,
commit). Prints records/s next to the 20,000 records/s target and the ratio; also the parse
alone, and a second ingest of the first file (every record already known).

SQLite in a temporary ``PCRA_DATA_DIR``; with PCRA_DATABASE_URL set, a throwaway database
``pcra_bench_ingest`` on that server, created and dropped here. Not part of the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
OWN_DATA_DIR = None if os.environ.get("PCRA_DATA_DIR") else tempfile.mkdtemp(
    prefix="pcra-bench-ingest-data-")
if OWN_DATA_DIR:
    os.environ["PCRA_DATA_DIR"] = OWN_DATA_DIR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcra.settings")
BENCH_DB = "pcra_bench_ingest"
SERVER_URL = os.environ.get("PCRA_DATABASE_URL", "")
if SERVER_URL:
    _parts = urlsplit(SERVER_URL)
    os.environ["PCRA_DATABASE_URL"] = urlunsplit(_parts._replace(path=f"/{BENCH_DB}"))
    os.environ["PCRA_DB_CONN_MAX_AGE"] = "0"

import django  # noqa: E402

TARGET = 20_000  # records/s, end to end
ASSETS = 100
COPIES_PER_ASSET = 2
HEADER = ("type,data_asset,copy,id,started_at,ended_at,status,bytes,message,time,size_bytes,"
          "files,label,date,kind,result,errors,duration_seconds,notes\n")


def _admin_database(sql: str) -> None:
    """Run ``sql`` on the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    import psycopg

    url = urlunsplit(urlsplit(SERVER_URL)._replace(path="/postgres"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _records(n: int, prefix: str, part: int):
    """(asset code, copy name, id, started, ended, status, bytes) for ``n`` jobs, one every
    11 s from 2025-01-01 (all in the past: the ingest refuses future dates); ``part`` k starts
    where part k - 1 ends (successive exports of a tool)."""
    start = dt.datetime(2025, 1, 1) + dt.timedelta(seconds=11 * n * part)
    statuses = ("success",) * 18 + ("warning", "failed")
    copies = ASSETS * COPIES_PER_ASSET
    for i in range(n):
        c = i % copies
        ended = start + dt.timedelta(seconds=11 * i)
        yield (f"BENCH-{c // COPIES_PER_ASSET:03d}", f"veeam-{c % COPIES_PER_ASSET}",
               f"{prefix}-{i:07d}", (ended - dt.timedelta(minutes=12)).isoformat(),
               ended.isoformat(), statuses[i % len(statuses)], 1_000_000 + i * 13)


def generate(path: Path, fmt: str, n: int, part: int = 0) -> None:
    """A file of ``n`` job records (naive local times, as tools export them)."""
    with path.open("w", encoding="utf-8") as out:
        if fmt == "csv":
            out.write(HEADER)
            out.writelines(f"job,{a},{c},{i},{s},{e},{st},{b},,,,,,,,,,,\n"
                           for a, c, i, s, e, st, b in _records(n, "csv-J", part))
        else:
            out.writelines(
                f'{{"type": "job", "data_asset": "{a}", "copy": "{c}", "id": "{i}", '
                f'"started_at": "{s}", "ended_at": "{e}", "status": "{st}", "bytes": {b}}}\n'
                for a, c, i, s, e, st, b in _records(n, f"{fmt}-J", part))


def setup_ght():
    from pcra.backups.models import BackupCopy, DataAsset
    from pcra.inventory.services import node_create
    from pcra.organizations.services import organization_create

    ght = organization_create(code="BENCH-GHT", name="Bench GHT", kind="GHT", finess="",
                              activity_weight=100)
    for a in range(ASSETS):
        node = node_create(top=ght, node_type="component", code=f"BENCH-{a:03d}",
                           organization=None, name=f"Server {a}", component_kind="serveur")
        asset = DataAsset.objects.create(node=node)
        BackupCopy.objects.bulk_create(
            BackupCopy(data_asset=asset, name=f"veeam-{k}", engine="veeam", media="nas")
            for k in range(COPIES_PER_ASSET))
    return ght


def timed_parse(path: Path, fmt: str) -> float:
    from django.utils import timezone

    from pcra.backups.ingest import parse

    start = time.perf_counter()
    with path.open("rb") as handle:
        for _item in parse(handle, fmt=fmt, tzinfo=timezone.get_default_timezone()):
            pass
    return time.perf_counter() - start


def timed_ingest(path: Path, ght) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, batch)."""
    from pcra.backups.ingest import ingest_file

    start, cpu = time.perf_counter(), time.process_time()
    batch = ingest_file(path=path, top=ght)
    return time.perf_counter() - start, time.process_time() - cpu, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,jsonl")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if SERVER_URL:
        _admin_database(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        _admin_database(f'CREATE DATABASE "{BENCH_DB}"')
    workdir = Path(tempfile.mkdtemp(prefix="pcra-bench-ingest-"))
    try:
        run(args.records, formats, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if OWN_DATA_DIR:
            shutil.rmtree(OWN_DATA_DIR, ignore_errors=True)
        if SERVER_URL:
            from django.db import connections

            connections.close_all()
            _admin_database(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


def run(records: int, formats: list[str], workdir: Path) -> None:
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from pcra.backups.models import BackupJob

    call_command("migrate", verbosity=0)
    ght = setup_ght()
    rows = []
    first = None
    for part, fmt in enumerate(formats):
        path = workdir / f"jobs.{fmt}"
        generate(path, fmt, records, part)
        parse_s = timed_parse(path, fmt)
        seconds, cpu, batch = timed_ingest(path, ght)
        assert batch.jobs == records, (batch.jobs, records)
        rows.append((fmt, path.stat().st_size, parse_s, seconds, cpu, batch.jobs,
                     batch.duplicates))
        first = first or path
    if first is not None:
        seconds, cpu, batch = timed_ingest(first, ght)
        assert batch.duplicates == records
        rows.append((f"{first.suffix[1:]} again", first.stat().st_size, None, seconds, cpu,
                     batch.jobs, batch.duplicates))
    total = BackupJob.objects.count()
    print(f"# ingest_file, {connection.vendor}, {records:,} job records per file, "
          f"{ASSETS * COPIES_PER_ASSET} copies of {ASSETS} assets\n")
    print("| file | size (MB) | parse only (s) | ingest (s) | of which CPU here (s) | inserted "
          "| already known | records/s | target | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for fmt, size, parse_s, seconds, cpu, inserted, known in rows:
        rate = records / seconds
        parsed = "–" if parse_s is None else f"{parse_s:.1f}"
        print(f"| {fmt} | {size / 1e6:.0f} | {parsed} | {seconds:.1f} | {cpu:.1f} | "
              f"{inserted:,} | {known:,} | {rate:,.0f} | {TARGET:,} | {rate / TARGET:.2f} |")
    print(f"\nBackupJob rows at the end: {total:,}")


if __name__ == "__main__":
    main()
