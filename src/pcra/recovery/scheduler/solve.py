"""The entry point of the scheduling engine: priority rules, a genetic algorithm, then CP-SAT
(plain Python).

``solve`` validates the problem, runs the priority rules (``heuristic``), then the genetic
algorithm (``genetic``) seeded with their orders, then CP-SAT (``cpsat``: its whole model, then
windows) warm-started by the best schedule so far, and returns the best schedule for the
recovery plan's objective (weighted lateness, then makespan), left-justified so that
``explain`` can say why each task starts when it does.

Why three methods: the priority rules are fast on any size (their resource profile is a step
function, whatever the time unit); the genetic algorithm explores many more orders per second
(compiled, on a time-indexed profile: only when that profile fits, ``genetic.fits``) and gives
CP-SAT a much better start on hard problems (PSPLIB j120: 32.4 % above the critical path after
the genetic algorithm alone, where the priority rules then CP-SAT reached 33.8 % in 10 s);
CP-SAT proves optimality (j30) and improves the schedule further by windows.

Time and determinism: the same problem, seed and time limit give the same schedule. Nothing
that decides the schedule reads the clock: the priority rules run a number of passes estimated
from the number of tasks (``PLACEMENTS_PER_SECOND``), the genetic algorithm a number of
schedules estimated from their cost (``GENETIC_WORK_PER_SECOND``), each to fill its share of
the time limit, and CP-SAT (its whole model, then its windows) stops on a deterministic time
limit (``DETERMINISTIC_PER_SECOND`` of CP-SAT's deterministic seconds per second of the time
limit). CP-SAT's deterministic seconds go by at very different paces from one problem to
another (1 to 4 in wall time on j120), so the constant is a compromise: on the reference
machine most solves end on it, the slowest on the wall-clock cap at the time limit. Those say
so (``Schedule.reproducible`` False): two runs may then differ (the schedule is still
feasible, and the best found in the time).

CP-SAT is not run when a heuristic schedule already meets the lower bounds (the schedule is
then proven optimal), or on a problem of more than ``max_cpsat_tasks`` tasks (by default
``CPSAT_TASKS_PER_SECOND`` per second of the time limit): the heuristics then get most of the
time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from . import bounds, cpsat, genetic
from .heuristic import Indexed, rules_for, search
from .model import FEASIBLE, MAX_SEED, OPTIMAL, Problem, Schedule

CP_SAT = "cp-sat"
PRIORITY_RULE = "priority-rule"
GENETIC = "genetic"

#: The phases reported to ``progress``, in order.
VALIDATING, PRIORITY_RULES, GENETIC_PHASE, CP_SAT_PHASE, DONE = (
    "validating", "priority-rules", "genetic", "cp-sat", "done")

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
#: Share of the time limit for the genetic algorithm, before CP-SAT / without CP-SAT.
GENETIC_SHARE = 0.3
GENETIC_ALONE_SHARE = 0.45
#: Work of the genetic algorithm per second (``genetic.schedule_cost`` per schedule).
GENETIC_WORK_PER_SECOND = 80_000_000
#: Schedules per task at most: enough on PSPLIB j120 (more gave nothing measurable), and no
#: long search on small problems, which CP-SAT solves quickly anyway.
GENETIC_SCHEDULES_PER_TASK = 2_000
#: Below these the genetic algorithm is not run: small problems are CP-SAT's, and fewer than
#: about ten generations after the first population (each schedule decoded about three times)
#: would not be worth it. A hospital's plan in minutes (the demo's ransomware: 227 tasks over
#: 60,000 minutes, 62,000 units per schedule) stays with the priority rules and CP-SAT.
GENETIC_MIN_TASKS = 20
GENETIC_MIN_SCHEDULES = 20 * genetic.POPULATION * 3
#: Share of the time limit the genetic algorithm may reach on the wall clock (a guard only),
#: before CP-SAT / without CP-SAT: about twice its planned end.
GENETIC_WALL_SHARE = 0.6
GENETIC_ALONE_WALL_SHARE = WALL_SHARE


def genetic_schedules(indexed: Indexed, seconds: float) -> int:
    """The schedules the genetic algorithm decodes in ``seconds`` (estimated from the problem,
    not the clock: the result does not depend on the machine's load); 0 when it does not fit,
    the problem is small or there is no time for a few generations."""
    if indexed.n < GENETIC_MIN_TASKS or not genetic.fits(indexed):
        return 0
    schedules = min(GENETIC_SCHEDULES_PER_TASK * indexed.n,
                    int(seconds * GENETIC_WORK_PER_SECOND / genetic.schedule_cost(indexed)))
    return schedules if schedules >= GENETIC_MIN_SCHEDULES else 0


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
    (by CP-SAT, or by a heuristic schedule meeting the lower bounds); ``lower_bound`` is a
    lower bound of the makespan of every schedule (CP-SAT's too when no task is weighted; with
    weighted tasks CP-SAT's bound only holds for the schedules of least lateness);
    ``method`` says who found the schedule (or proved it optimal). ``workers``: CP-SAT's
    threads (default ``cpsat.DEFAULT_WORKERS``). ``progress(phase, fraction)`` is called at each
    phase (``VALIDATING``, ``PRIORITY_RULES``, ``GENETIC_PHASE``, ``CP_SAT_PHASE``, ``DONE``;
    the genetic and CP-SAT phases may be skipped) with the
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
    schedules = genetic_schedules(indexed, (GENETIC_SHARE if with_cpsat
                                            else GENETIC_ALONE_SHARE) * time_limit)
    if with_cpsat or schedules:
        share = HEURISTIC_SHARE
    else:
        share = HEURISTIC_ALONE_SHARE
    notes: list[str] = []
    report(PRIORITY_RULES, 0.0)
    passes = heuristic_passes(indexed.n, share * time_limit)
    starts, value = search(indexed, seed=seed, passes=passes)
    starts, value = _left_justified(indexed, starts, value)
    lateness_floor = cpsat.lateness_bound(indexed, indexed.as_list(bounds.earliest_starts(problem)))
    method, status = PRIORITY_RULE, FEASIBLE
    reproducible = True

    def proven(value: tuple[int, int]) -> bool:
        return value == (lateness_floor, lower_bound)

    if schedules and not proven(value):
        report(GENETIC_PHASE, share)
        found = genetic.search(indexed, schedules=schedules, seed=seed,
                               orders=_first_orders(indexed, starts),
                               deadline=clock + (GENETIC_WALL_SHARE if with_cpsat
                                                 else GENETIC_ALONE_WALL_SHARE) * time_limit,
                               target=(lateness_floor, lower_bound))
        if found.stopped_by_clock:
            reproducible = False
            notes.append(f"The genetic algorithm was stopped by the clock after "
                         f"{found.schedules} of {schedules} schedules.")
        found_starts, found_value = _left_justified(indexed, found.starts, found.value)
        if found_value < value:
            starts, value, method = found_starts, found_value, GENETIC
        share += GENETIC_SHARE if with_cpsat else GENETIC_ALONE_SHARE
    if proven(value):
        status = OPTIMAL
    elif not with_cpsat:
        answer = ("the genetic algorithm's" if method == GENETIC else "the priority rules'")
        notes.append(f"{indexed.n} tasks, more than {limit} for CP-SAT within the time limit: "
                     f"{answer} schedule is the answer.")
    else:
        report(CP_SAT_PHASE, share)
        result = cpsat.solve_cpsat(
            problem, hint=indexed.as_dict(starts), seed=seed, workers=workers,
            deterministic_time=(1 - share) * time_limit * deterministic_per_second(indexed.n),
            max_seconds=max(0.1, WALL_SHARE * time_limit - (time.perf_counter() - clock)),
            lower_bound=lower_bound, indexed=indexed)
        if result.starts is not None:
            found_starts, found_value = _left_justified(indexed, indexed.as_list(result.starts),
                                                        None)
            if found_value < value:
                starts, value, method = found_starts, found_value, CP_SAT
            elif result.optimal:
                method = CP_SAT  # it proved the heuristics' schedule optimal
        if result.optimal:
            status = OPTIMAL
        # Even an optimum may be another optimal schedule when the clock cut a phase short.
        if result.stopped_by_clock:
            reproducible = False
        if not indexed.weighted:  # the bound then holds for every schedule
            lower_bound = max(lower_bound, result.makespan_bound)
        if method != CP_SAT:
            notes.append("CP-SAT found no better schedule within the time limit.")
    if status == OPTIMAL and not indexed.weighted:
        lower_bound = value[1]
    report(DONE, 1.0)
    return Schedule(problem=problem, starts=indexed.as_dict(starts), status=status,
                    lower_bound=lower_bound, method=method,
                    solve_seconds=time.perf_counter() - clock, notes=notes,
                    reproducible=reproducible)


def _first_orders(indexed: Indexed, starts: list[int]) -> list[list[int]]:
    """The genetic algorithm's first orders: the best schedule's order of start, then each
    priority rule's order, then the topological order."""
    rank = indexed.rank
    orders = [sorted(range(indexed.n), key=lambda i: (starts[i], rank[i]))]
    ranks = indexed.rule_ranks()
    orders += [indexed.priority_order(ranks[rule]) for rule in rules_for(indexed)]
    orders.append(list(indexed.topological))
    return orders


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
