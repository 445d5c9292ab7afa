"""Benchmark: pcra's scheduling engine on the PSPLIB single-mode RCPSP instances.

    .venv/bin/python bench/psplib.py --set j30 [--time-limit 1] [--limit N] [--jobs 1]
    .venv/bin/python bench/psplib.py --set j120 [--time-limit 10] [--sample N] [--jobs 2]

For every instance of the set (``../shared/bench/psplib/<set>/*.sm``; ``--dir`` to point
elsewhere): read it (``formats.read_psplib``), solve it (``solve.solve``, the same entry point as
``pcra schedule``) within the time limit, check the schedule with the independent checker, and
compare its makespan with the best known value of ``<set>hrs.sm`` (for j30, the optimum) and
with the critical-path lower bound (longest path, resources ignored). Prints, side by side: the
mean deviation from the best known value, the share of instances solved to it and the share
proved optimal, the mean deviation from the critical-path bound, the time per instance, and the
worst instances. ``--jobs N`` solves N instances at once (one process each); ``--sample N`` takes
every k-th instance for a quick run. ``--json FILE`` writes every instance's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pcra.recovery.scheduler.bounds import critical_path  # noqa: E402
from pcra.recovery.scheduler.checker import violations  # noqa: E402
from pcra.recovery.scheduler.formats import read_psplib  # noqa: E402
from pcra.recovery.scheduler.genetic import warm  # noqa: E402
from pcra.recovery.scheduler.solve import solve  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "bench" / "psplib"


def best_known(path: Path) -> dict[tuple[int, int], int]:
    """(parameter, instance) -> makespan from a PSPLIB ``*hrs.sm`` table."""
    values = {}
    for line in path.read_text(encoding="latin-1").splitlines():  # authors with accents
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit() and parts[1].isdigit() and parts[2].isdigit():
            values[(int(parts[0]), int(parts[1]))] = int(parts[2])
    return values


def instance_key(name: str, size: str) -> tuple[int, int]:
    stem = name[len(f"j{size}"):-len(".sm")]
    parameter, instance = stem.split("_")
    return int(parameter), int(instance)


def run_one(args: tuple[str, float, int, int | None]) -> dict:
    path, time_limit, seed, workers = args
    problem = read_psplib(Path(path).read_text(), name=Path(path).name)
    started = time.perf_counter()
    schedule = solve(problem, time_limit=time_limit, seed=seed, workers=workers)
    elapsed = time.perf_counter() - started
    wrong = violations(problem, schedule.starts)
    return {"instance": Path(path).name, "makespan": schedule.makespan,
            "status": schedule.status, "lower_bound": schedule.lower_bound,
            "critical_path": critical_path(problem), "method": schedule.method,
            "seconds": round(elapsed, 3), "feasible": not wrong, "violations": wrong[:3],
            "reproducible": schedule.reproducible}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("j30", "j120"), required=True)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds per instance (default: 1 for j30, 10 for j120)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None,
                        help="CP-SAT workers per instance (default: the solver's choice)")
    parser.add_argument("--jobs", type=int, default=1, help="instances solved at once")
    parser.add_argument("--limit", type=int, default=None, help="only the first N instances")
    parser.add_argument("--sample", type=int, default=None,
                        help="about N instances, evenly spread over the set")
    parser.add_argument("--json", type=Path, default=None, help="write every result here")
    args = parser.parse_args()
    size = args.set[1:]
    time_limit = args.time_limit or (1.0 if args.set == "j30" else 10.0)
    folder = args.dir / args.set
    if not folder.is_dir():
        print(f"no PSPLIB instances in {folder} (use --dir)", file=sys.stderr)
        return 2
    known = best_known(args.dir / f"{args.set}hrs.sm")
    files = sorted(folder.glob("*.sm"), key=lambda p: instance_key(p.name, size))
    if args.sample:
        step = max(1, len(files) // args.sample)
        files = files[::step][:args.sample]
    if args.limit:
        files = files[:args.limit]
    print(f"{args.set}: {len(files)} instances, {time_limit:g} s each, seed {args.seed}, "
          f"{args.jobs} at once, CP-SAT workers {args.workers or 'default'}; "
          f"{os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    results = []
    jobs = [(str(p), time_limit, args.seed, args.workers) for p in files]
    # Each worker loads the compiled genetic algorithm (numba's cache) before any timing.
    with ProcessPoolExecutor(max_workers=args.jobs, initializer=warm) as pool:
        for index, result in enumerate(pool.map(run_one, jobs), start=1):
            result["best_known"] = known.get(instance_key(result["instance"], size))
            results.append(result)
            if index % 20 == 0 or index == len(jobs):
                print(f"  {index}/{len(jobs)} ({time.perf_counter() - started:.0f} s)",
                      flush=True)
    wall = time.perf_counter() - started
    infeasible = [r for r in results if not r["feasible"]]
    with_known = [r for r in results if r["best_known"]]
    dev_best = [100.0 * (r["makespan"] - r["best_known"]) / r["best_known"] for r in with_known]
    dev_cp = [100.0 * (r["makespan"] - r["critical_path"]) / r["critical_path"]
              for r in results if r["critical_path"]]
    at_best = sum(1 for r in with_known if r["makespan"] <= r["best_known"])
    better = sum(1 for r in with_known if r["makespan"] < r["best_known"])
    optimal = sum(1 for r in results if r["status"] == "optimal")
    seconds = [r["seconds"] for r in results]
    print()
    print("| set | instances | time limit (s) | mean deviation from best known (%) | "
          "at best known | proved optimal | mean deviation from critical path (%) | "
          "mean time (s) | max time (s) | wall (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.set} | {len(results)} | {time_limit:g} | "
          f"{statistics.fmean(dev_best) if dev_best else float('nan'):.3f} | "
          f"{at_best} ({100.0 * at_best / max(1, len(with_known)):.1f} %) | "
          f"{optimal} ({100.0 * optimal / max(1, len(results)):.1f} %) | "
          f"{statistics.fmean(dev_cp) if dev_cp else float('nan'):.2f} | "
          f"{statistics.fmean(seconds):.2f} | {max(seconds):.2f} | {wall:.0f} |")
    clocked = sum(1 for r in results if not r["reproducible"])
    print(f"\n{len(results) - clocked} of {len(results)} solves ended on their deterministic "
          f"limits (reproducible); {clocked} on the wall-clock cap at the time limit.")
    if better:
        print(f"\n{better} instance(s) below the best known value (check the table's date).")
    worst = sorted(with_known, key=lambda r: r["best_known"] - r["makespan"])[:5]
    print("\nfurthest from the best known value: " + ", ".join(
        f"{r['instance']} {r['makespan']} vs {r['best_known']} ({r['status']})" for r in worst
        if r["makespan"] > r["best_known"]) or "none")
    if infeasible:
        print(f"\nINFEASIBLE SCHEDULES: {[r['instance'] for r in infeasible]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if infeasible else 0


if __name__ == "__main__":
    sys.exit(main())
