"""Benchmark: seeding a synthetic GHT, `report_impact`, and single points of failure.

    .venv/bin/python bench/impact.py [--scales 1,20] [--seed 1] [--repeat 5]

Runs on a fresh SQLite database in a temporary PCRA_DATA_DIR, or on PCRA_DATABASE_URL when it
is set (the synthetic GHTs SYN-<N> there are replaced). For each scale N it times:

* ``pcra seed_demo --scale N --replace`` (target: under 60 s for N = 20);
* ``pcra report_impact`` for a few loss sets (a site, a core switch, both core switches, five
  random components), the whole command through ``call_command``: resolving the codes,
  loading the graph from the database, propagating, printing JSON (target: under 1 s); once
  more in a new process, Django start-up included, as a user runs it;
* the single points of failure over every application and component: loading the graph, then
  ``DependencyGraph.single_points_of_failure`` (one propagation per candidate) and, when the
  module is there, the one-pass bit-set algorithm of ``inventory.graph_selectors`` (checked to
  give the same answer).

Prints one table per scale, with the ratio of each time to its target. Not part of the tests.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
SEED_TARGET_S = 60.0
IMPACT_TARGET_S = 1.0


def setup_django(data_dir: str | None) -> None:
    if data_dir is not None:
        os.environ["PCRA_DATA_DIR"] = data_dir
        os.environ["PCRA_DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcra.settings")
    sys.path.insert(0, str(SRC))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def timed(func, repeat: int = 1) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return times, result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    from django import get_version
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        db_version = cursor.fetchone()[0]
    return (f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Django {get_version()}, "
            f"{connection.vendor} {db_version}")


def loss_sets(top, rng: random.Random) -> dict[str, list[str]]:
    from pcra.inventory.models import Node, NodeType

    components = sorted(Node.objects.filter(top=top, node_type=NodeType.COMPONENT)
                        .values_list("code", flat=True))
    return {
        "a site (S-SITE-1)": ["S-SITE-1"],
        "a core switch (S-CORE-1)": ["S-CORE-1"],
        "both core switches": ["S-CORE-1", "S-CORE-2"],
        "5 random components": rng.sample(components, 5),
    }


def report_impact(codes: list[str], ght: str) -> dict:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("report_impact", *codes, "--ght", ght, "--json", stdout=out)
    return json.loads(out.getvalue())


def report_impact_process(codes: list[str], ght: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pcra.cli", "report_impact", *codes, "--ght", ght,
                    "--json"], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(SRC)})
    return time.perf_counter() - started


def bench_scale(scale: int, seed: int, repeat: int) -> list[tuple[str, float, float | None, str]]:
    """Rows (what, seconds, target seconds or None, note) for one scale."""
    from django.core.management import call_command

    from pcra.inventory.models import Node, NodeType
    from pcra.inventory.selectors import load_graph
    from pcra.organizations.models import Organization

    rows = []
    out = io.StringIO()
    (seconds,), _ = timed(lambda: call_command("seed_demo", "--scale", str(scale), "--seed",
                                               str(seed), "--replace", "--json", stdout=out))
    totals = json.loads(out.getvalue())["totals"]
    rows.append((f"seed_demo --scale {scale}", seconds, SEED_TARGET_S,
                 f"{totals['applications'] + totals['components']} apps+components, "
                 f"{totals['activities']} activities, {totals['dependencies']} edges"))
    code = f"SYN-{scale}"
    top = Organization.objects.get(code=code)
    rng = random.Random(seed)
    for label, codes in loss_sets(top, rng).items():
        times, result = timed(lambda codes=codes: report_impact(codes, code), repeat)
        rows.append((f"report_impact: {label}", statistics.median(times), IMPACT_TARGET_S,
                     f"{len(result['impacted_activities'])} activities impacted; "
                     f"max {max(times):.3f} s over {repeat} runs"))
    rows.append(("report_impact in a new process (site)",
                 report_impact_process(["S-SITE-1"], code), None,
                 "Django start-up included"))

    times, graph = timed(lambda: load_graph(top_id=top.pk), repeat)
    rows.append(("load_graph (2 queries)", statistics.median(times), None, ""))
    candidates = list(Node.objects.filter(top=top).exclude(node_type=NodeType.ACTIVITY)
                      .values_list("id", flat=True))
    times, spof = timed(lambda: graph.single_points_of_failure_by_propagation(candidates),
                        repeat)
    impacted = set().union(*spof.values()) if spof else set()
    rows.append(("SPOF, one propagation per candidate", statistics.median(times), None,
                 f"{len(candidates)} candidates → {len(spof)} SPOF, "
                 f"{len(impacted)} activities exposed"))
    times, fast = timed(lambda: graph.single_points_of_failure(candidates), repeat)
    rows.append(("SPOF, graph.single_points_of_failure (bit sets)", statistics.median(times),
                 None, "same result" if fast == spof else "DIFFERENT RESULT"))
    return rows


def print_table(scale: int, rows) -> None:
    print(f"\n## scale {scale}\n")
    print(f"| {'what':<44} | {'time (s)':>9} | {'target (s)':>10} | {'ratio':>6} | notes |")
    print(f"|{'-' * 46}|{'-' * 10}:|{'-' * 11}:|{'-' * 7}:|-------|")
    for what, seconds, target, note in rows:
        ratio = f"{seconds / target:.3f}" if target else ""
        target_text = f"{target:g}" if target else ""
        print(f"| {what:<44} | {seconds:>9.3f} | {target_text:>10} | {ratio:>6} | {note} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,20",
                        help="comma-separated numbers of establishments (default 1,20)")
    parser.add_argument("--scale", type=int, help="a single scale (same as --scales N)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each report_impact / SPOF timing (median shown)")
    args = parser.parse_args()
    scales = [args.scale] if args.scale else [int(s) for s in args.scales.split(",")]
    data_dir = None if os.environ.get("PCRA_DATABASE_URL") else tempfile.mkdtemp(
        prefix="pcra-bench-")
    setup_django(data_dir)
    print(f"# pcra impact benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}")
    print(f"database: {'SQLite in ' + data_dir if data_dir else 'PCRA_DATABASE_URL'}")
    for scale in scales:
        print_table(scale, bench_scale(scale, args.seed, args.repeat))


if __name__ == "__main__":
    main()
