"""Benchmark: required objectives and achieved capabilities (``impact.rules.compute_readiness``).

    .venv/bin/python bench/readiness.py [--scale 20] [--factor 10] [--seed 1] [--repeat 9]

Builds, in memory (no database, no Django), the synthetic GHT of ``pcra seed_demo --scale N``
(``pcra.demo.synthetic.generate``: activities → applications → databases/VMs → directory →
hypervisors → hosts/storage → network → sites → power → suppliers, with redundancy groups and
degraded-mode autonomies) at N = ``--scale`` (20: 600 activities, about 3,240 applications and
components, 13,900 edges) and at ``--factor`` times that. Each activity's DMIA is computed from
the impact levels of its BIA in the spec (random levels where the spec has none) unless the
spec declares one, and each application or component gets a restore duration (the spec's
estimate, measured for about a third).

Times ``compute_readiness`` (median of ``--repeat`` runs, the sizes interleaved) at both sizes
and prints them side by side: the base size against its 2 s target, the ratio
time(×factor) / time(×1) against 12 (a near-linear algorithm gives about the factor), and that
ratio for the fastest runs (less sensitive to other work on the machine). As a reference for
what "linear" gives on the machine (memory caches make a bigger graph cost more per edge), the
same ratio is printed for two linear passes of the graph core on the same graphs: ``find_cycle``
over every edge and ``failed_nodes`` of every node without dependencies. Not part of the tests.

:func:`synthetic_readiness_inputs` is importable so that a database-backed variant can reuse the
same graph and BIA (``bia_and_durations`` works on any ``GhtSpec``).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from pcra.demo.spec import ACTIVITY, GhtSpec  # noqa: E402
from pcra.demo.synthetic import generate  # noqa: E402
from pcra.impact import rules  # noqa: E402
from pcra.inventory.graph import DependencyGraph, Edge, find_cycle  # noqa: E402

BASE_TARGET_S = 2.0
RATIO_TARGET = 12.0
CRITERIA = ("securite_patients", "continuite_soins", "juridique", "financier", "image",
            "organisation")


@dataclass
class ReadinessInputs:
    """What ``compute_readiness`` takes, for one synthetic GHT."""

    graph: DependencyGraph
    activities: dict[str, rules.ActivityBia]
    restore: dict[str, rules.Duration]
    edges: int

    @property
    def nodes(self) -> int:
        return len(set(self.graph.activities) | set(self.graph.out) | set(self.graph.into))


def impact_levels(rng: random.Random, scale: rules.Scale) -> dict[tuple[str, str], int]:
    """Random impact levels that never decrease over time, as a BIA usually reads."""
    levels = {}
    for criterion in CRITERIA:
        level = rng.choice([0, 0, 1, 1, 2])
        for code, _ in scale.horizons:
            level = min(rules.LEVEL_MAX, level + rng.choice([0, 0, 1, 1, 2]))
            levels[(criterion, code)] = level
    return levels


def effective_levels(spec: GhtSpec) -> dict[str, dict[tuple[str, str], int]]:
    """The levels of each activity's BIA version in force, when the spec has BIAs: the latest
    signed-off version, else the latest one (as the BIA selectors read them)."""
    levels = {}
    for bia in getattr(spec, "bias", ()):
        signed = [v for v in bia.versions if v.status == "signed_off"]
        levels[bia.activity] = (signed or bia.versions)[-1].levels
    return levels


def bia_and_durations(spec: GhtSpec, seed: int = 1, measured_share: float = 0.35
                      ) -> tuple[dict[str, rules.ActivityBia], dict[str, rules.Duration]]:
    """The BIA of the spec's activities and the restore durations of its other nodes, by code.

    DMIA: the spec's declared one, else computed on the default scale from the spec's BIA (or,
    for an activity without one, from random levels; some never reach the threshold: no DMIA).
    PDMA: the spec's. Durations: the spec's estimate (none stays unknown), replaced for
    ``measured_share`` of the nodes by a measured value between half and twice the estimate.
    """
    rng = random.Random(f"pcra-readiness/{spec.ght.code}/{seed}")
    levels = effective_levels(spec)
    activities: dict[str, rules.ActivityBia] = {}
    restore: dict[str, rules.Duration] = {}
    for node in spec.nodes:
        fields = node.fields
        if node.node_type == ACTIVITY:
            cells = levels.get(node.code) or impact_levels(rng, rules.DEFAULT_SCALE)
            dmia, _ = rules.effective_dmia(rules.dmia_hours(cells),
                                           fields.get("declared_dmia_hours"))
            activities[node.code] = rules.ActivityBia(dmia, fields.get("pdma_hours"))
        else:
            declared = fields.get("restore_hours_estimate")
            measured = None
            if declared is not None and rng.random() < measured_share:
                measured = round(float(declared) * rng.uniform(0.5, 2.0), 2)
            restore[node.code] = rules.best_duration(measured, declared)
    return activities, restore


def synthetic_readiness_inputs(scale: int = 20, seed: int = 1) -> ReadinessInputs:
    """The synthetic GHT of ``scale`` establishments (as ``seed_demo --scale``), in memory."""
    spec = generate(scale, seed)
    activities, restore = bia_and_durations(spec, seed)
    edges = [Edge(e.source, e.target, e.autonomy, e.group) for e in spec.edges]
    graph = DependencyGraph((n.code for n in spec.nodes if n.node_type == ACTIVITY), edges)
    return ReadinessInputs(graph, activities, restore, len(edges))


def timed(func) -> tuple[float, object]:
    """Seconds taken by ``func()`` started with the garbage collected (no run pays for another's
    leftovers), and its result."""
    gc.collect()
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(scales: list[int], seed: int, repeat: int) -> list[dict]:
    """Build the inputs of each scale, then time the runs round by round, the sizes interleaved
    (a change of load on the machine then weighs on every size alike)."""
    inputs, results = [], []
    for scale in scales:
        started = time.perf_counter()
        inputs.append(synthetic_readiness_inputs(scale, seed))
        graph = inputs[-1].graph
        results.append({
            "scale": scale, "built": time.perf_counter() - started, "times": [],
            "find_cycle": [], "failed_nodes": [],
            "pairs": [(e.source, e.target) for edges in graph.out.values() for e in edges],
            "sinks": [node for node in graph.into if not graph.out.get(node)]})
    for _ in range(repeat):
        for data, result in zip(inputs, results, strict=True):
            seconds, readiness = timed(lambda data=data: rules.compute_readiness(
                data.graph, data.activities, data.restore))
            result["times"].append(seconds)
            result["find_cycle"].append(timed(lambda r=result: find_cycle(r["pairs"]))[0])
            result["failed_nodes"].append(timed(
                lambda d=data, r=result: d.graph.failed_nodes(r["sinks"]))[0])
            gaps = readiness.gaps()
            result.update(
                activities=len(data.activities), nodes=data.nodes, edges=data.edges,
                late=sum(1 for g in gaps.values() if g is not None and g > 0),
                gap_unknown=sum(1 for g in gaps.values() if g is None),
                unknown=len(readiness.unknown_durations))
            del readiness
    for result in results:
        result["median"] = statistics.median(result["times"])
        for key in ("find_cycle", "failed_nodes"):
            result[key] = statistics.median(result[key])
    return results


def print_table(base: dict, big: dict, factor: int) -> None:
    ratio = big["median"] / base["median"]
    rows = [
        ("scale (establishments)", f"{base['scale']}", f"{big['scale']}", "", ""),
        ("activities", f"{base['activities']:,}", f"{big['activities']:,}", "", ""),
        ("nodes (all)", f"{base['nodes']:,}", f"{big['nodes']:,}", "", ""),
        ("edges", f"{base['edges']:,}", f"{big['edges']:,}", "", ""),
        ("building the inputs (s)", f"{base['built']:.2f}", f"{big['built']:.2f}", "", ""),
        ("compute_readiness, median (s)", f"{base['median']:.3f}", f"{big['median']:.3f}",
         f"1×: {BASE_TARGET_S:g} s", f"1×: {base['median'] / BASE_TARGET_S:.3f}"),
        ("compute_readiness, min–max (s)",
         f"{min(base['times']):.3f}–{max(base['times']):.3f}",
         f"{min(big['times']):.3f}–{max(big['times']):.3f}", "", ""),
        (f"time(×{factor}) / time(×1)", "", f"{ratio:.2f}", f"{RATIO_TARGET:g}",
         f"{ratio / RATIO_TARGET:.3f}"),
        (f"same, fastest runs (min ×{factor} / min ×1)", "",
         f"{min(big['times']) / min(base['times']):.2f}", "", ""),
        ("reference: find_cycle, median (s)", f"{base['find_cycle']:.3f}",
         f"{big['find_cycle']:.3f}", "", ""),
        (f"reference: find_cycle ×{factor} / ×1", "",
         f"{big['find_cycle'] / base['find_cycle']:.2f}", "", ""),
        ("reference: failed_nodes(sinks) (s)", f"{base['failed_nodes']:.3f}",
         f"{big['failed_nodes']:.3f}", "", ""),
        (f"reference: failed_nodes ×{factor} / ×1", "",
         f"{big['failed_nodes'] / base['failed_nodes']:.2f}", "", ""),
        ("activities late (gap > 0)", f"{base['late']:,}", f"{big['late']:,}", "", ""),
        ("activities with unknown gap", f"{base['gap_unknown']:,}", f"{big['gap_unknown']:,}",
         "", ""),
        ("needed nodes with unknown duration", f"{base['unknown']:,}", f"{big['unknown']:,}",
         "", ""),
    ]
    print(f"\n| {'what':<42} | {'×1':>12} | {f'×{factor}':>12} | {'target':>8} | "
          f"{'ratio to target':>15} |")
    print(f"|{'-' * 44}|{'-' * 13}:|{'-' * 13}:|{'-' * 9}:|{'-' * 16}:|")
    for what, one, many, target, to_target in rows:
        print(f"| {what:<42} | {one:>12} | {many:>12} | {target:>8} | {to_target:>15} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20,
                        help="establishments of the base GHT (default 20)")
    parser.add_argument("--factor", type=int, default=10, help="size of the big GHT (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=9, help="runs per size (median shown)")
    args = parser.parse_args()
    print(f"# pcra readiness benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}")
    base, big = measure([args.scale, args.scale * args.factor], args.seed, args.repeat)
    print_table(base, big, args.factor)


if __name__ == "__main__":
    main()
