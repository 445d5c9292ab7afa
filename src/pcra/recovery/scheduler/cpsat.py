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

Both phases are warm-started with the best schedule known (``add_hint``), and get
``FULL_MODEL_SHARE`` of the deterministic budget. The rest goes to a large neighbourhood search
(LNS) over time windows, unless the schedule is already proven optimal:

3. take a window of consecutive tasks in the best schedule's order of start (``size`` of them,
   from a seeded random first one); fix every other task that starts before the window's last
   start where it is; let the tasks after the window move together by one shift (earlier only),
   keeping their schedule among themselves; solve that small problem (lexicographic objective
   as one: weighted lateness x (horizon + 1) + makespan) for ``LNS_STEP`` deterministic seconds,
   warm-started by the best schedule; keep the result when it is no worse (a tie moves the
   search along a plateau). ``size`` adapts: two tasks more after a window solved to optimality,
   two fewer otherwise (``LNS_SIZES``). Windows cost their deterministic time plus
   ``LNS_TASK_COST`` per task for the work around CP-SAT;
4. after ``LNS_STALL`` windows in a row without improvement, what is left of the budget goes
   back to phase 2 on the whole model, warm-started by the windows' schedule: that is what
   proves a schedule optimal (windows only do when it meets a lower bound).

The windows are what improves the hard instances: CP-SAT's own search on the whole model, with
one worker, finds most of its improvements in the first seconds, then stalls. Measured on two
samples of 20 PSPLIB j120 instances at 10 s (two solves at once on 2 cores, the wall clock
only): CP-SAT alone for the whole time 33.5 % and 35.8 % above the critical path, a third of
the time to CP-SAT and the rest to windows 32.9 % and 35.1 %. CP-SAT's own portfolio does
worse here: 2 workers 34.6 %, interleaved workers (deterministic) 34.4 to 35.1 %, LNS workers
only 191 instead of 185 on j12011_1; so do ``FIXED_SEARCH`` on the starts (35.2 %), quick
restarts (34.9 %) and restarts from the best schedule with other seeds (34.3 %).

Parameters (measured on PSPLIB j30 / j120 and weighted variants, one worker, 2 shared cores):
the interval makespan proves j3013_7 where the plain model does not; without the LP relaxation
(``linearization_level`` 0) the three hardest j30 instances of a sample are proven in 7 s in all
instead of 13.5 s, and a weighted j120 reaches a lateness of 31 instead of 122 in 10 s;
``push_all_tasks_toward_start``, the cumulative options (time-table edge finding, overload
checker, precedences in cumulative), the lower-bound searches and redundant energy bounds
between pairs of tasks (start(j) >= end(i) + work between them / capacity) gave nothing or
worse.

Determinism: the search stops on a *deterministic* time limit (``max_deterministic_time``, a
count of operations, "as close as possible to a second": here one unit takes 3 to 12 seconds,
depending on the problem). Windows draw their tasks and CP-SAT seeds from ``seed``.
With one worker (the default) the search is sequential; with several, ``interleave_search``
runs them in deterministic batches (the result then depends on the number of workers). A
wall-clock cap (``max_seconds``) only guards against a machine slower than expected: when it,
and not the deterministic limit, stops a phase, the result may differ from one run to the next.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .bounds import earliest_starts, latest_starts
from .checker import violations
from .heuristic import Indexed
from .model import Problem

#: Share of the deterministic budget given to the weighted lateness when both phases run.
LATENESS_SHARE = 0.5
#: Share of the deterministic budget for the two phases on the whole model; the rest goes to
#: the windows (LNS).
FULL_MODEL_SHARE = 0.35
#: Deterministic seconds per window.
LNS_STEP = 0.02
#: Deterministic seconds counted per window and per task for the work outside CP-SAT (copying
#: the model, fixing tasks, justifying the result): measured about 40 us of wall time per task.
LNS_TASK_COST = 3e-5
#: Tasks per window: first, least, most.
LNS_SIZES = (20, 8, 60)
#: Windows in a row without improvement after which the search goes back to the whole model
#: with what is left of the budget (at least ``FINAL_MIN_SHARE`` of it): that can prove the
#: schedule optimal, which windows never do unless it meets a lower bound.
LNS_STALL = 30
FINAL_MIN_SHARE = 0.05


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
    windows: int = 0
    windows_improving: int = 0
    windows_overhead: float = 0.0
    stopped_by_clock: bool = False


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
    if best is not None:  # left-justified: no later, so within every horizon used below
        shifted = indexed.left_justified(best)
        if indexed.objective(shifted) <= best_value:
            best, best_value = shifted, indexed.objective(shifted)
    cpm_lateness = lateness_bound(indexed, early)
    budget = deterministic_time * FULL_MODEL_SHARE
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
        result.stopped_by_clock |= _clock_stopped(status, solver, budget * share)
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

    def makespan_phase(budget: float) -> None:
        """The makespan at the best weighted lateness, on the whole model."""
        nonlocal best, best_value
        model = _Model(indexed, safe_horizon if best_value is None else best_value[1], early,
                       tail, lower_bound)
        if indexed.weighted and best_value is not None:
            model.model.add(model.lateness <= best_value[0])
        model.model.minimize(model.makespan)
        if best is not None:
            model.hint(best)
        status, solver = _run(model.model, budget, wall_left(), seed, workers)
        result.deterministic_time += solver.deterministic_time
        result.stopped_by_clock |= _clock_stopped(status, solver, budget)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = indexed.left_justified([solver.value(v) for v in model.starts])
            value = indexed.objective(found)
            if best_value is None or value < best_value:
                best, best_value = found, value
            result.makespan_bound = max(result.makespan_bound, int(solver.best_objective_bound))
            result.optimal = lateness_known and status == cp_model.OPTIMAL

    makespan_phase(budget)
    lns_budget = deterministic_time - result.deterministic_time
    if (best is not None and not result.optimal and lns_budget > 0
            and (deadline is None or time.perf_counter() < deadline)):
        # The windows stop at a lower bound of the objective; while the weighted lateness may
        # still go down, the makespan may grow (up to the safe horizon).
        if result.lateness_optimal:
            floor = (best_value[0], max(lower_bound, result.makespan_bound))
            horizon = best_value[1]
        else:
            floor, horizon = (cpm_lateness, lower_bound), safe_horizon
        best, best_value = _windows(indexed, best, best_value, early, tail, lower_bound,
                                    horizon, lns_budget, deadline, seed, floor, result)
        if best_value == floor:
            result.optimal = True
        left = deterministic_time - result.deterministic_time - result.windows_overhead
        if (not result.optimal and left > FINAL_MIN_SHARE * deterministic_time
                and (deadline is None or time.perf_counter() < deadline)):
            makespan_phase(left)  # the windows stalled: the whole model again, to prove
    if deadline is not None and time.perf_counter() >= deadline and not result.optimal:
        result.stopped_by_clock = True  # the windows, or the last phase, ran out of time
    result.starts = None if best is None else indexed.as_dict(best)
    result.wall_time = time.perf_counter() - clock
    return result


def _windows(indexed: Indexed, best: list[int], best_value: tuple[int, int], early: list[int],
             tail: list[int], lower_bound: int, horizon: int, budget: float,
             deadline: float | None, seed: int, floor: tuple[int, int], result: CpSatResult
             ) -> tuple[list[int], tuple[int, int]]:
    """The large neighbourhood search over time windows (module doc, step 3): the best schedule
    and its objective, after ``budget`` deterministic seconds (or the ``deadline``, or reaching
    the ``floor``, a lower bound of the objective). Schedules end by ``horizon``; the makespan
    may not grow when ``horizon`` is the best schedule's."""
    n = indexed.n
    capped = horizon == best_value[1]
    base = _Model(indexed, horizon, early, tail, lower_bound)
    # One objective for both: weighted lateness x (horizon + 1) + makespan, when that fits in
    # 64 bits; else the makespan, the lateness kept at most at the best (never worse).
    most_late = sum(indexed.weight[i] for i in indexed.weighted) * horizon
    combined = most_late * (horizon + 1) + horizon < 2**62
    base.model.minimize(base.lateness * (horizon + 1) + base.makespan if combined
                        else base.makespan)
    start_index = [variable.index for variable in base.starts]
    makespan_index = base.makespan.index
    late_index = [(i, late.index) for i, late in base.late]
    generator = random.Random(seed)
    first, least, most = LNS_SIZES
    size = min(first, n)
    spent = 0.0
    stalled = 0
    overhead = LNS_TASK_COST * n
    rank, duration, due = indexed.rank, indexed.duration, indexed.due
    while spent < budget and best_value > floor and (deadline is None
                                                      or time.perf_counter() < deadline):
        order = sorted(range(n), key=lambda i: (best[i], rank[i]))
        begin = generator.randrange(max(1, n - size + 1))
        window = set(order[begin:begin + size])
        last_start = max(best[i] for i in window)
        model = base.model.clone()
        proto = model.proto
        shift = model.new_int_var(-horizon, 0, "shift")
        for i in range(n):
            if i in window:
                continue
            if best[i] <= last_start:
                domain = proto.variables[start_index[i]].domain
                domain[0] = domain[1] = best[i]
            else:
                model.add(model.get_int_var_from_proto_index(start_index[i]) == best[i] + shift)
        if capped:
            proto.variables[makespan_index].domain[1] = best_value[1]
        for i in range(n):
            model.add_hint(model.get_int_var_from_proto_index(start_index[i]), best[i])
        model.add_hint(model.get_int_var_from_proto_index(makespan_index), best_value[1])
        model.add_hint(shift, 0)
        if not combined and late_index:
            model.add(sum(indexed.weight[i] * model.get_int_var_from_proto_index(k)
                          for i, k in late_index) <= best_value[0])
        for i, k in late_index:
            model.add_hint(model.get_int_var_from_proto_index(k),
                           max(0, best[i] + duration[i] - due[i]))
        step = min(LNS_STEP, max(0.001, budget - spent))
        status, solver = _run(model, step, None if deadline is None
                              else max(0.01, deadline - time.perf_counter()),
                              generator.randrange(1 << 30), 1, presolve=False)
        spent += solver.deterministic_time + overhead
        result.deterministic_time += solver.deterministic_time
        result.stopped_by_clock |= _clock_stopped(status, solver, step)
        result.windows_overhead += overhead
        result.windows += 1
        stalled += 1
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = indexed.left_justified(
                [solver.value(model.get_int_var_from_proto_index(k)) for k in start_index])
            value = indexed.objective(found)
            if value <= best_value:
                if value < best_value:
                    result.windows_improving += 1
                    stalled = 0
                best, best_value = found, value
        if stalled >= LNS_STALL:
            break
        size = min(most, n, size + 2) if status == cp_model.OPTIMAL else max(least, size - 2)
    return best, best_value


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


def _clock_stopped(status, solver: cp_model.CpSolver, budget: float) -> bool:
    """Whether a search stopped before its deterministic limit without finishing (proof or
    infeasibility): the wall clock stopped it, so its result may change from run to run."""
    if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        return False
    return solver.deterministic_time < 0.99 * max(0.01, budget)


def _run(model: cp_model.CpModel, budget: float, wall: float | None, seed: int,
         workers: int, presolve: bool = True) -> tuple[int, cp_model.CpSolver]:
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
    if not presolve:  # a window: a small problem solved in milliseconds, where presolve and
        # symmetry detection took most of the time (measured: 7 ms instead of 15 ms each)
        parameters.cp_model_presolve = False
        parameters.symmetry_level = 0
    status = solver.solve(model)
    if status == cp_model.MODEL_INVALID:  # a bug here, not in the problem
        raise RuntimeError(f"CP-SAT refused the model: {model.validate()}")
    return status, solver
