"""The CP-SAT model of a scheduling problem (OR-Tools; plain Python, no Django).

One fixed-size interval per task that runs (duration > 0 and some demand), a linear constraint
per precedence, a cumulative constraint per resource, each start bounded below by the CPM
forward pass (releases included) and above by the horizon minus the task's tail (the longest
path from its start to the end). Two redundant pieces help on the RCPSP: the makespan as an
interval ``[makespan, horizon)`` using the whole capacity of every resource (the "interval
makespan" of OR-Tools' RCPSP example: energy reasoning then sees the room left before the
makespan), and the CPM lower bound on the makespan.

The objective is lexicographic and solved in two phases:

1. minimise the weighted lateness ``sum(weight * max(0, end - due))`` over a horizon that holds
   every optimum: the largest release plus the sum of durations (a left-justified schedule ends
   by then). Skipped when no task is weighted, or when the hint's weighted lateness already
   equals the CPM bound (every weighted task late by at least its CPM lateness);
2. fix the weighted lateness at most at the best found, and minimise the makespan over the
   horizon of the best schedule known (the hint, or phase 1's schedule left-justified).

Both phases are warm-started with the best schedule known (``add_hint``).

Parameters (measured on PSPLIB j30 / j120 and weighted variants, one worker, 2 shared cores):
the interval makespan proves j3013_7 where the plain model does not; without the LP relaxation
(``linearization_level`` 0) the three hardest j30 instances of a sample are proven in 7 s in all
instead of 13.5 s, and a weighted j120 reaches a lateness of 31 instead of 122 in 10 s;
``push_all_tasks_toward_start``, the cumulative options (time-table edge finding, overload
checker, precedences in cumulative), the lower-bound searches and redundant energy bounds
between pairs of tasks (start(j) >= end(i) + work between them / capacity) gave nothing or
worse.

Determinism: the search stops on a *deterministic* time limit (``max_deterministic_time``, a
count of operations, "as close as possible to a second": here one unit takes 2 to 5 seconds).
With one worker (the default) the search is sequential; with several, ``interleave_search``
runs them in deterministic batches (the result then depends on the number of workers). A
wall-clock cap (``max_seconds``) only guards against a machine slower than expected: when it,
and not the deterministic limit, stops a phase, the result may differ from one run to the next.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .bounds import earliest_starts, latest_starts
from .checker import violations
from .heuristic import Indexed
from .model import Problem

#: Share of the deterministic budget given to the weighted lateness when both phases run.
LATENESS_SHARE = 0.5


@dataclass
class CpSatResult:
    """What CP-SAT found. ``starts``: the best schedule (the hint when CP-SAT found nothing
    better; None without hint and without solution). ``lateness_optimal``: its weighted lateness
    is proven minimal. ``optimal``: the lexicographic objective is proven optimal.
    ``makespan_bound``: a proven lower bound of the makespan of every schedule whose weighted
    lateness is at most the one of ``starts`` (of every schedule when no task is weighted)."""

    starts: dict[str, int] | None
    lateness_optimal: bool = False
    optimal: bool = False
    makespan_bound: int = 0
    deterministic_time: float = 0.0
    wall_time: float = 0.0


#: CP-SAT workers by default. One: sequential, hence deterministic without the experimental
#: ``interleave_search``, and on j30 / j120 (2 cores) it proves and improves faster than 2, 4 or
#: 8 interleaved workers for the same deterministic time.
DEFAULT_WORKERS = 1


def lateness_bound(indexed: Indexed, early: list[int]) -> int:
    """A lower bound of the weighted lateness: each weighted task late at least by its lateness
    at its CPM earliest start."""
    total = 0
    for i in indexed.weighted:
        late = early[i] + indexed.duration[i] - indexed.due[i]
        if late > 0:
            total += indexed.weight[i] * late
    return total


def cpm(indexed: Indexed) -> tuple[list[int], list[int]]:
    """Over indices: the CPM earliest starts (releases counted), and each task's tail (the
    longest path from its start to the end of the project, its duration included: minus its
    latest start for a horizon of 0)."""
    problem = indexed.problem
    return (indexed.as_list(earliest_starts(problem)),
            [-start for start in indexed.as_list(latest_starts(problem, 0))])


def solve_cpsat(problem: Problem, *, hint: dict[str, int] | None = None,
                deterministic_time: float = 10.0, max_seconds: float | None = None,
                seed: int = 0, workers: int | None = None, lower_bound: int = 0,
                indexed: Indexed | None = None) -> CpSatResult:
    """Solve ``problem`` (valid) for the weighted lateness, then the makespan, within
    ``deterministic_time`` (CP-SAT's deterministic seconds, both phases together), warm-started
    by ``hint`` (a feasible schedule). ``lower_bound``: a known lower bound of the makespan."""
    clock = time.perf_counter()
    if hint is not None and (wrong := violations(problem, hint, limit=1)):
        raise ValueError(f"The hint is not a feasible schedule: {wrong[0]}")
    indexed = indexed or Indexed(problem)
    workers = workers or DEFAULT_WORKERS
    early, tail = cpm(indexed)
    result = CpSatResult(starts=hint)
    best = indexed.as_list(hint) if hint is not None else None
    best_value = indexed.objective(best) if best is not None else None
    cpm_lateness = lateness_bound(indexed, early)
    budget = deterministic_time
    deadline = None if max_seconds is None else clock + max_seconds

    def wall_left(share: float = 1.0) -> float | None:
        if deadline is None:
            return None
        return max(0.05, (deadline - time.perf_counter()) * share)

    safe_horizon = max(indexed.release, default=0) + sum(indexed.duration)
    lateness_known = not indexed.weighted or (best_value is not None
                                              and best_value[0] == cpm_lateness)
    if not lateness_known:
        share = LATENESS_SHARE
        model = _Model(indexed, safe_horizon, early, tail, lower_bound)
        model.model.minimize(model.lateness)
        if best is not None:
            model.hint(best)
        status, solver = _run(model.model, budget * share, wall_left(share), seed, workers)
        result.deterministic_time += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = indexed.left_justified([solver.value(v) for v in model.starts])
            value = indexed.objective(found)
            if best_value is None or value < best_value:
                best, best_value = found, value
            lateness_known = status == cp_model.OPTIMAL
        budget -= min(solver.deterministic_time, budget * share)
    if indexed.weighted and best_value is None:  # no hint, no solution: nothing to improve
        result.wall_time = time.perf_counter() - clock
        return result
    result.lateness_optimal = lateness_known
    model = _Model(indexed, safe_horizon if best_value is None else best_value[1], early, tail,
                   lower_bound)
    if indexed.weighted and best_value is not None:
        model.model.add(model.lateness <= best_value[0])
    model.model.minimize(model.makespan)
    if best is not None:
        model.hint(best)
    status, solver = _run(model.model, budget, wall_left(), seed, workers)
    result.deterministic_time += solver.deterministic_time
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = indexed.left_justified([solver.value(v) for v in model.starts])
        value = indexed.objective(found)
        if best_value is None or value < best_value:
            best, best_value = found, value
        result.makespan_bound = int(solver.best_objective_bound)
        result.optimal = lateness_known and status == cp_model.OPTIMAL
    result.starts = None if best is None else indexed.as_dict(best)
    result.wall_time = time.perf_counter() - clock
    return result


class _Model:
    """The CP-SAT model over ``[0, horizon]``: start variables, makespan, weighted lateness."""

    def __init__(self, indexed: Indexed, horizon: int, early: list[int], tail: list[int],
                 lower_bound: int):
        self.indexed = indexed
        model = self.model = cp_model.CpModel()
        duration = indexed.duration
        self.starts = [model.new_int_var(early[i], max(early[i], horizon - tail[i]), f"s{i}")
                       for i in range(indexed.n)]
        starts = self.starts
        self.makespan = model.new_int_var(min(max(lower_bound, max(
            (e + t for e, t in zip(early, tail, strict=True)), default=0)), horizon), horizon,
            "makespan")
        for i, successors in enumerate(indexed.successors):
            for s in successors:
                model.add(starts[s] >= starts[i] + duration[i])
            if not successors:
                model.add(self.makespan >= starts[i] + duration[i])
        after = model.new_interval_var(self.makespan, horizon - self.makespan, horizon, "after")
        by_resource: list[list[tuple[cp_model.IntervalVar, int]]] = [
            [] for _ in indexed.capacity]
        for i, needs in enumerate(indexed.demands):
            if needs:
                interval = model.new_fixed_size_interval_var(starts[i], duration[i], f"x{i}")
                for r, units in needs:
                    by_resource[r].append((interval, units))
        for r, uses in enumerate(by_resource):
            capacity = indexed.capacity[r]
            if sum(units for _, units in uses) <= capacity:
                continue  # never more than the capacity in use
            model.add_cumulative([interval for interval, _ in uses] + [after],
                                 [units for _, units in uses] + [capacity], capacity)
        self.late: list[tuple[int, cp_model.IntVar]] = []
        for i in indexed.weighted:
            due = indexed.due[i]
            least = max(0, early[i] + duration[i] - due)
            late = model.new_int_var(least, max(least, horizon - due), f"late{i}")
            model.add(late >= starts[i] + duration[i] - due)
            self.late.append((i, late))
        self.lateness = sum(indexed.weight[i] * late for i, late in self.late)

    def hint(self, starts: list[int]) -> None:
        model, duration = self.model, self.indexed.duration
        for variable, value in zip(self.starts, starts, strict=True):
            model.add_hint(variable, value)
        model.add_hint(self.makespan, max((s + d for s, d in zip(starts, duration,
                                                                   strict=True)), default=0))
        for i, late in self.late:
            model.add_hint(late, max(0, starts[i] + duration[i] - self.indexed.due[i]))


def _run(model: cp_model.CpModel, budget: float, wall: float | None, seed: int,
         workers: int) -> tuple[int, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.random_seed = seed
    parameters.max_deterministic_time = max(0.01, budget)
    if wall is not None:
        parameters.max_time_in_seconds = wall
    parameters.num_workers = workers
    if workers > 1:
        parameters.interleave_search = True
    # No LP relaxation: on PSPLIB j30 / j120 and their weighted variants, the search proves
    # and improves faster on propagation alone (measured, see the module doc).
    parameters.linearization_level = 0
    status = solver.solve(model)
    if status == cp_model.MODEL_INVALID:  # a bug here, not in the problem
        raise RuntimeError(f"CP-SAT refused the model: {model.validate()}")
    return status, solver
