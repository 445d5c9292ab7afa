"""Benchmark: the whole readiness of a GHT from the database (``impact.selectors.readiness_of_top``).

    .venv/bin/python bench/readiness_db.py [--scale 20] [--factor 10] [--repeat 5]

Seeds the synthetic GHTs of ``pcra seed_demo --scale N`` and ``--scale N×factor`` (with their
BIAs) into a temporary SQLite database (or PCRA_DATABASE_URL when set), then times, for each,
``readiness_of_top``: loading nodes, edges, BIAs and levels, computing every DMIA and the
required and achieved objectives of every node — what a readiness page or ``pcra
report_readiness`` does. Prints both sizes side by side: the base against its 2 s target and the
ratio time(×factor)/time(×1) against 12. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
os.environ.setdefault("PCRA_DATA_DIR", tempfile.mkdtemp(prefix="pcra-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcra.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from pcra.impact.selectors import readiness_of_top  # noqa: E402
from pcra.organizations.models import Organization  # noqa: E402


def seed(scale: int) -> tuple[int, float]:
    start = time.perf_counter()
    call_command("seed_demo", "--scale", str(scale), "--replace", stdout=open(os.devnull, "w"))
    return Organization.objects.get(code=f"SYN-{scale}").pk, time.perf_counter() - start


def timed_readiness(top_id: int, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = readiness_of_top(top_id=top_id)
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rows = []
    for scale in (args.scale, args.scale * args.factor):
        top_id, seconds = seed(scale)
        times, ready = timed_readiness(top_id, args.repeat)
        rows.append((scale, seconds, statistics.median(times), min(times), max(times),
                     len(ready.nodes), len(ready.bia)))
    base, big = rows
    vendor = django.db.connection.vendor
    print(f"# readiness_of_top, {vendor}, repeat {args.repeat}\n")
    print("| N | nodes | activities | seed (s) | readiness median (s) | min–max (s) |")
    print("|---:|---:|---:|---:|---:|---|")
    for scale, seed_s, median, low, high, nodes, acts in rows:
        print(f"| {scale} | {nodes:,} | {acts:,} | {seed_s:.1f} | {median:.3f} | "
              f"{low:.3f}–{high:.3f} |")
    print(f"\nbase N={args.scale}: {base[2]:.3f} s against 2 s → ratio {base[2] / 2:.3f}")
    print(f"×{args.factor} / ×1: {big[2] / base[2]:.2f} against 12 "
          f"(fastest runs: {big[3] / base[3]:.2f})")


if __name__ == "__main__":
    main()
