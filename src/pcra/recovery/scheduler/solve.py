"""The entry point of the scheduling engine: priority rules, then CP-SAT (plain Python).

``solve`` validates the problem, runs the priority rules (``heuristic``), then CP-SAT
(``cpsat``) warm-started by their schedule, and returns the best schedule for the recovery
plan's objective (weighted lateness, then makespan), left-justified so that ``explain`` can say
why each task starts when it does.

Time and determinism: the same problem, seed and time limit give the same schedule. Nothing
that decides the schedule reads the clock: the priority rules run a number of passes estimated
from the number of tasks (``PLACEMENTS_PER_SECOND``) to fill their share of the time limit, and
CP-SAT (its whole model, then its windows) stops on a deterministic time limit
(``DETERMINISTIC_PER_SECOND`` of CP-SAT's deterministic seconds per second of the time limit).
CP-SAT's deterministic seconds go by at very different paces from one problem to another
(1 to 4 in wall time on j120), so the constant is a compromise: on the reference machine most
solves end on it, the slowest on the wall-clock cap at the time limit. Those say so
(``Schedule.reproducible`` False): two runs may then differ (the schedule is still
feasible, and the best found in the time).

CP-SAT is not run when the priority rules already meet the lower bounds (the schedule is then
proven optimal), or on a problem of more than ``max_cpsat_tasks`` tasks (by default
``CPSAT_TASKS_PER_SECOND`` per second of the time limit): the priority rules then get most of
the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from . import bounds, cpsat
from .heuristic import Indexed, search
from .model import FEASIBLE, MAX_SEED, OPTIMAL, Problem, Schedule

CP_SAT = "cp-sat"
PRIORITY_RULE = "priority-rule"

#: The phases reported to ``progress``, in order.
VALIDATING, PRIORITY_RULES, CP_SAT_PHASE, DONE = "validating", "priority-rules", "cp-sat", "done"

#: Share of the time limit for the priority rules, before CP-SAT / alone (before CP-SAT, more
#: passes gave nothing measurable on j120: CP-SAT's first seconds improve the schedule more).
HEURISTIC_SHARE = 0.05
HEURISTIC_ALONE_SHARE = 0.6
#: Task placements per second of the serial scheme (measured, with a margin).
PLACEMENTS_PER_SECOND = 200_000
#: Placements per pass: a schedule and its double justification (two placements per round).
PLACEMENTS_PER_TASK_AND_PASS = 5
MAX_PASSES = 300
#: CP-SAT's deterministic seconds per second of time limit. On the reference machine (2 shared
#: cores, two solves at once) CP-SAT does 0.08 to 0.34 deterministic seconds per second on
#: PSPLIB j120 (0.11 to 0.17 on the hardest parameter sets), so that most solves end on this
#: limit, at 30 % to 90 % of the time limit; the slowest end on the wall-clock cap and say so
#: (``Schedule.reproducible``).
DETERMINISTIC_PER_SECOND = 0.09
#: Small problems go through deterministic time faster (measured: j30 solves end on their
#: limit after a tenth of the time limit at the rate above): the rate is multiplied by
#: SMALL_PROBLEM_TASKS / tasks, between 1 and SMALL_PROBLEM_FACTOR.
SMALL_PROBLEM_TASKS = 120
SMALL_PROBLEM_FACTOR = 4.0


def deterministic_per_second(tasks: int) -> float:
    """CP-SAT's deterministic seconds per second of time limit for a problem of ``tasks``."""
    factor = min(SMALL_PROBLEM_FACTOR, max(1.0, SMALL_PROBLEM_TASKS / max(tasks, 1)))
    return DETERMINISTIC_PER_SECOND * factor
#: Share of the time limit CP-SAT may reach on the wall clock: the rest is for building its
#: model before and justifying its schedule after, so that the answer comes within the limit.
WALL_SHARE = 0.9
#: Tasks per second of time limit up to which CP-SAT runs by default.
CPSAT_TASKS_PER_SECOND = 400


def heuristic_passes(tasks: int, seconds: float) -> int:
    """The random-biased passes estimated to fit in ``seconds`` (from the number of tasks, not
    the clock, so that the result does not depend on the machine's load)."""
    placements = seconds * PLACEMENTS_PER_SECOND
    return max(0, min(MAX_PASSES, int(placements / (max(tasks, 1) * PLACEMENTS_PER_TASK_AND_PASS))))


def solve(problem: Problem, *, time_limit: float = 10.0, seed: int = 0,
          workers: int | None = None, max_cpsat_tasks: int | None = None,
          progress: Callable[[str, float], None] | None = None) -> Schedule:
    """The best schedule found within about ``time_limit`` seconds.

    ``status`` is "optimal" when the weighted lateness, then the makespan, are proven minimal
    (by CP-SAT, or by a priority-rule schedule meeting the lower bounds); ``lower_bound`` is a
    lower bound of the makespan of every schedule (CP-SAT's too when no task is weighted; with
    weighted tasks CP-SAT's bound only holds for the schedules of least lateness);
    ``method`` says who found the schedule (or proved it optimal). ``workers``: CP-SAT's
    threads (default ``cpsat.DEFAULT_WORKERS``). ``progress(phase, fraction)`` is called at
    each phase (``VALIDATING``, ``PRIORITY_RULES``, ``CP_SAT_PHASE``, ``DONE``) with the
    planned fraction of the time spent. Raises ProblemError for an invalid problem."""
    clock = time.perf_counter()
    if not time_limit > 0:
        raise ValueError(f"The time limit must be positive, not {time_limit!r}.")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"The seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")

    def report(phase: str, fraction: float) -> None:
        if progress is not None:
            progress(phase, min(1.0, max(0.0, fraction)))

    report(VALIDATING, 0.0)
    problem.validate()
    indexed = Indexed(problem)
    lower_bound = bounds.lower_bound(problem)
    limit = (max_cpsat_tasks if max_cpsat_tasks is not None
             else int(CPSAT_TASKS_PER_SECOND * time_limit))
    with_cpsat = indexed.n <= limit
    share = HEURISTIC_SHARE if with_cpsat else HEURISTIC_ALONE_SHARE
    notes: list[str] = []
    report(PRIORITY_RULES, 0.0)
    passes = heuristic_passes(indexed.n, share * time_limit)
    starts, value = search(indexed, seed=seed, passes=passes)
    starts, value = _left_justified(indexed, starts, value)
    lateness_floor = cpsat.lateness_bound(indexed, indexed.as_list(bounds.earliest_starts(problem)))
    method, status = PRIORITY_RULE, FEASIBLE
    reproducible = True
    if value == (lateness_floor, lower_bound):
        status = OPTIMAL
    elif not with_cpsat:
        notes.append(f"{indexed.n} tasks, more than {limit} for CP-SAT within the time limit: "
                     f"the priority rules' schedule is the answer.")
    else:
        report(CP_SAT_PHASE, share)
        result = cpsat.solve_cpsat(
            problem, hint=indexed.as_dict(starts), seed=seed, workers=workers,
            deterministic_time=(1 - share) * time_limit * deterministic_per_second(indexed.n),
            max_seconds=max(0.1, WALL_SHARE * time_limit - (time.perf_counter() - clock)),
            lower_bound=lower_bound, indexed=indexed)
        if result.starts is not None:
            found, found_value = _left_justified(indexed, indexed.as_list(result.starts), None)
            if found_value < value:
                starts, value, method = found, found_value, CP_SAT
            elif result.optimal:
                method = CP_SAT  # it proved the priority rules' schedule optimal
        if result.optimal:
            status = OPTIMAL
        # Even an optimum may be another optimal schedule when the clock cut a phase short.
        reproducible = not result.stopped_by_clock
        if not indexed.weighted:  # the bound then holds for every schedule
            lower_bound = max(lower_bound, result.makespan_bound)
        if method == PRIORITY_RULE:
            notes.append("CP-SAT found no better schedule within the time limit.")
    if status == OPTIMAL and not indexed.weighted:
        lower_bound = value[1]
    report(DONE, 1.0)
    return Schedule(problem=problem, starts=indexed.as_dict(starts), status=status,
                    lower_bound=lower_bound, method=method,
                    solve_seconds=time.perf_counter() - clock, notes=notes,
                    reproducible=reproducible)


def _left_justified(indexed: Indexed, starts: list[int], value: tuple[int, int] | None
                    ) -> tuple[list[int], tuple[int, int]]:
    """``starts`` left-justified, unless (never, for a feasible schedule) that were worse."""
    if value is None:
        value = indexed.objective(starts)
    shifted = indexed.left_justified(starts)
    shifted_value = indexed.objective(shifted)
    if shifted_value <= value:
        return shifted, shifted_value
    return starts, value
