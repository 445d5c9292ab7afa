"""A genetic algorithm over activity lists, compiled by numba (plain Python, no Django).

Each individual is a precedence-feasible order of the tasks (an activity list). It is decoded
by the serial schedule-generation scheme (SSGS, as in ``heuristic``) on a time-indexed resource
profile (an array of free units per resource and per time unit: the reason for numba, and for
``fits``), then improved by forward-backward justification (every task pushed as late as
possible in order of end, then as early as possible in order of start, twice at most); the best
of those schedules for the recovery plan's objective (weighted lateness, then makespan) and its
order of start replace the individual (Lamarckian evolution).

Each generation makes as many children as the population: two parents drawn by binary
tournaments, a two-point order crossover (the child keeps the mother's head, then the father's
order for the middle, then the mother's: the order stays precedence-feasible), mutation by swaps
of neighbours that do not depend on each other. The population then keeps its best individuals
among parents and children, a schedule found twice counting once ((mu + lambda) survival).
After ``RESTART`` generations without a better schedule every individual but the best is drawn
again. The first population: the orders given (the priority rules', the best schedule so far),
then random orders biased by the CPM latest starts.

Measured on PSPLIB j120 (600 instances, before CP-SAT): 32.37 % above the critical-path bound
with 20,000 schedules per instance (0.4 s), where the priority rules and CP-SAT with its windows
reached 33.82 % in 10 s. See docs/benchmarks.md.

Determinism: the search stops after a number of schedule decodings (``schedules``), and draws
its random numbers from its own generator seeded by ``seed`` (splitmix64, in the state arrays:
no global state, so two searches in two threads do not disturb each other). A wall-clock
``deadline`` only guards against a machine slower than expected (the result then says so).
numba compiles the functions on first use and caches them beside this file (``cache=True``);
``make install`` warms that cache.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from .bounds import latest_starts
from .heuristic import Indexed

#: Individuals in the population. Measured on 20 j120 instances, 150,000 schedules each: 60
#: individuals 31.53 % above the critical path, 120 31.16 %, 200 30.85 %, 300 30.89 %.
POPULATION = 200
#: Probability of swapping each pair of neighbours of a child.
MUTATION = 0.05
#: Generations without a better schedule after which the population is drawn again.
RESTART = 40
#: Spread of the random orders: each task's latest start plus up to this share of the largest.
NOISE = 0.3
#: Cells of the time-indexed profile (resources x time units, 8 bytes each) above which the
#: genetic algorithm is not run: a plan in minutes over months would need too much memory and
#: time per schedule (the priority rules' step-function profile has no such cost).
MAX_CELLS = 4_000_000
#: Generations run between two looks at the wall clock (and at the target).
CHUNK_GENERATIONS = 1


def cells(indexed: Indexed) -> int:
    """The cells of the time-indexed profile the genetic algorithm would use."""
    return max(1, len(indexed.capacity)) * (horizon(indexed) + 1)


def horizon(indexed: Indexed) -> int:
    """A time by which every SSGS schedule ends: the largest release plus every duration."""
    return max(indexed.release, default=0) + sum(indexed.duration)


def fits(indexed: Indexed) -> bool:
    """Whether the genetic algorithm can run on this problem (see ``MAX_CELLS``)."""
    return indexed.n > 1 and cells(indexed) <= MAX_CELLS


def schedule_cost(indexed: Indexed) -> int:
    """The work of one schedule, decoded and justified, in units of about 12 ns (measured on
    the reference machine: PSPLIB j30 and j120, recovery plans of 300 and 1,000 tasks in
    minutes, within a factor 0.75 to 4, mostly over): a fixed part, a part per task (sorting,
    copying) and a check per time unit and resource used (the time-indexed profile looks at
    every unit). A task that waits for a busy resource also looks at every unit of the wait:
    not counted (it cannot be known before scheduling), so that on problems where one resource
    is the bottleneck of many long tasks the search may stop on its wall-clock ``deadline``."""
    return 100 + 6 * indexed.n + sum(
        1 + duration * len(needs)
        for duration, needs in zip(indexed.duration, indexed.demands, strict=True))


@dataclass
class GeneticResult:
    starts: list[int]
    value: tuple[int, int]
    schedules: int
    generations: int
    stopped_by_clock: bool


def search(indexed: Indexed, *, schedules: int, seed: int = 0,
           orders: Sequence[Sequence[int]] = (), deadline: float | None = None,
           target: tuple[int, int] | None = None,
           population: int = POPULATION, mutation: float = MUTATION,
           restart: int = RESTART, noise: float = NOISE) -> GeneticResult:
    """The best schedule found after about ``schedules`` SSGS decodings (weighted lateness,
    then makespan). ``orders``: precedence-feasible orders for the first population (at most
    ``population`` of them are used). ``deadline``: a ``time.perf_counter()`` value after which
    the search stops early (``stopped_by_clock``). ``target``: a lower bound of (weighted
    lateness, makespan): the search stops once a schedule meets it (it is then optimal). The
    problem must be valid and ``fits``."""
    if not fits(indexed):
        raise ValueError(f"The genetic algorithm needs {cells(indexed)} profile cells, more "
                         f"than {MAX_CELLS}: use the priority rules.")
    if population < 2:
        raise ValueError("The population needs at least 2 individuals.")
    data = _arrays(indexed)
    late = latest_starts(indexed.problem, 0)
    lowest = min(late.values())
    lst = np.array([late[t] - lowest for t in indexed.ids], np.float64)
    spread = noise * max(1.0, float(lst.max()))
    n = indexed.n
    first = [list(order) for order in orders][:population] or [indexed.topological]
    for order in first:
        if sorted(order) != list(range(n)):
            raise ValueError("An initial order is not a permutation of the tasks.")
        position = {task: k for k, task in enumerate(order)}
        for i, successors in enumerate(indexed.successors):
            for s in successors:
                if position[s] < position[i]:
                    raise ValueError(f"An initial order puts {indexed.ids[s]!r} before its "
                                     f"predecessor {indexed.ids[i]!r}.")
    init = np.array(first, np.int64)
    rng = np.array([np.uint64(seed) ^ np.uint64(0x5DEECE66D)], np.uint64)
    pop = np.empty((2 * population, n), np.int64)
    starts = np.empty((2 * population, n), np.int64)
    fit = np.empty((2 * population, 2), np.int64)
    meta = np.zeros(3, np.int64)  # schedules decoded, stale generations, generations
    work = _Work(n, len(indexed.capacity), horizon(indexed))
    _initialise(init, lst, spread, *data, rng, pop, starts, fit, meta, *work.arrays)
    stopped = False
    def met() -> bool:
        return target is not None and (int(fit[0, 0]), int(fit[0, 1])) <= target

    while meta[0] < schedules and not met():
        _generations(lst, spread, *data, rng, pop, starts, fit, meta, *work.arrays,
                     schedules, CHUNK_GENERATIONS, mutation, restart)
        if (meta[0] < schedules and not met() and deadline is not None
                and time.perf_counter() > deadline):
            stopped = True
            break
    best = [int(x) for x in starts[0]]
    return GeneticResult(starts=best, value=(int(fit[0, 0]), int(fit[0, 1])),
                         schedules=int(meta[0]), generations=int(meta[2]),
                         stopped_by_clock=stopped)


class _Work:
    """Scratch arrays of the compiled functions (allocated once per search)."""

    def __init__(self, n: int, resources: int, end: int):
        self.arrays = (
            np.zeros((resources, end + 1), np.int64),  # free units (kept at capacity between)
            np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(n, np.int64), np.empty(n, np.bool_), np.empty(n, np.int64),
            np.empty(n, np.int64),
        )


def _arrays(indexed: Indexed) -> tuple:
    """The problem as numba-friendly arrays: durations, releases, demands (task x resource),
    capacities, predecessors and successors (compressed rows), due times, weights, ranks."""
    n, resources = indexed.n, len(indexed.capacity)
    demand = np.zeros((n, resources), np.int64)
    for i, needs in enumerate(indexed.demands):
        for r, units in needs:
            demand[i, r] = units

    def compressed(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        pointers = np.zeros(n + 1, np.int64)
        flat: list[int] = []
        for i, items in enumerate(lists):
            pointers[i + 1] = pointers[i] + len(items)
            flat += items
        return pointers, np.array(flat, np.int64)

    pptr, pidx = compressed(indexed.predecessors)
    sptr, sidx = compressed(indexed.successors)
    weighted = set(indexed.weighted)
    due = np.array([indexed.due[i] if i in weighted else 0 for i in range(n)], np.int64)
    weight = np.array([indexed.weight[i] if i in weighted else 0 for i in range(n)], np.int64)
    return (np.array(indexed.duration, np.int64), np.array(indexed.release, np.int64), demand,
            np.array(indexed.capacity, np.int64), pptr, pidx, sptr, sidx, due, weight,
            np.array(indexed.rank, np.int64))


# --- compiled core -------------------------------------------------------------------------
# Arrays: dur, rel, dem, cap, pptr, pidx, sptr, sidx, due, weight, rank (see ``_arrays``);
# scratch: avail (free units, at capacity between calls), start, other, keys, best, used,
# waiting, child.


@njit(cache=True, nogil=True)
def _next(rng):
    """splitmix64: the next 64 random bits."""
    x = rng[0] + np.uint64(0x9E3779B97F4A7C15)
    rng[0] = x
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def _uniform(rng):
    return float(_next(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def _below(rng, k):
    return np.int64(_next(rng) % np.uint64(k))


@njit(cache=True, nogil=True)
def _ssgs(order, dur, rel, dem, pptr, pidx, avail, start):
    """The serial scheme: each task of ``order`` at its earliest feasible start. ``avail`` is
    at capacity before and after (the units are given back at the end)."""
    R = dem.shape[1]
    n = order.shape[0]
    for k in range(n):
        j = order[k]
        t = rel[j]
        for q in range(pptr[j], pptr[j + 1]):
            p = pidx[q]
            e = start[p] + dur[p]
            if e > t:
                t = e
        d = dur[j]
        needs = False
        for r in range(R):
            if dem[j, r] > 0:
                needs = True
                break
        if d > 0 and needs:
            tau = t
            while tau < t + d:  # the scan only goes forward: a conflict at tau restarts after
                ok = True
                for r in range(R):
                    if dem[j, r] > 0 and avail[r, tau] < dem[j, r]:
                        ok = False
                        break
                if ok:
                    tau += 1
                else:
                    t = tau + 1
                    tau = t
            for r in range(R):
                if dem[j, r] > 0:
                    for tau in range(t, t + d):
                        avail[r, tau] -= dem[j, r]
        start[j] = t
    for j in range(n):
        d = dur[j]
        for r in range(R):
            if dem[j, r] > 0:
                for tau in range(start[j], start[j] + d):
                    avail[r, tau] += dem[j, r]


@njit(cache=True, nogil=True)
def _objective(start, dur, due, weight):
    late = 0
    makespan = 0
    for j in range(start.shape[0]):
        e = start[j] + dur[j]
        if e > makespan:
            makespan = e
        if weight[j] > 0 and e > due[j]:
            late += weight[j] * (e - due[j])
    return late, makespan


@njit(cache=True, nogil=True)
def _start_order(start, rank, keys, n):
    """The tasks in order of start, ties in topological order."""
    for j in range(n):
        keys[j] = start[j] * n + rank[j]
    return np.argsort(keys, kind="mergesort")


@njit(cache=True, nogil=True)
def _decode(order, dur, rel, dem, pptr, pidx, sptr, sidx, due, weight, rank, zero,
            avail, start, other, keys, best):
    """Decode ``order`` then justify it: ``best`` receives the best schedule, ``order`` its
    order of start. Returns (weighted lateness, makespan, decodings)."""
    n = order.shape[0]
    _ssgs(order, dur, rel, dem, pptr, pidx, avail, start)
    late, makespan = _objective(start, dur, due, weight)
    for j in range(n):
        best[j] = start[j]
    count = 1
    for _ in range(2):
        _, span = _objective(start, dur, zero, zero)
        # Backward: the mirrored problem (time span - end), successors as predecessors.
        for j in range(n):
            keys[j] = (span - start[j] - dur[j]) * n + (n - 1 - rank[j])
        mirrored = np.argsort(keys, kind="mergesort")
        _ssgs(mirrored, dur, zero, dem, sptr, sidx, avail, other)
        for j in range(n):
            other[j] = span - other[j] - dur[j]
        forward = _start_order(other, rank, keys, n)
        _ssgs(forward, dur, rel, dem, pptr, pidx, avail, start)
        count += 2
        new_late, new_makespan = _objective(start, dur, due, weight)
        if new_late < late or (new_late == late and new_makespan < makespan):
            late, makespan = new_late, new_makespan
            for j in range(n):
                best[j] = start[j]
        else:
            break
    final = _start_order(best, rank, keys, n)
    for k in range(n):
        order[k] = final[k]
    return late, makespan, count


@njit(cache=True, nogil=True)
def _random_order(lst, spread, pptr, sptr, sidx, rng, waiting, keys_f, out):
    """A precedence-feasible order: the task of least (latest start + noise) first."""
    n = lst.shape[0]
    for j in range(n):
        waiting[j] = pptr[j + 1] - pptr[j]
        keys_f[j] = lst[j] + spread * _uniform(rng)
    for k in range(n):
        chosen = -1
        for j in range(n):
            if waiting[j] == 0 and (chosen < 0 or keys_f[j] < keys_f[chosen]):
                chosen = j
        out[k] = chosen
        waiting[chosen] = -1
        for q in range(sptr[chosen], sptr[chosen + 1]):
            waiting[sidx[q]] -= 1


@njit(cache=True, nogil=True)
def _evaluate(i, pop, starts, fit, dur, rel, dem, pptr, pidx, sptr, sidx, due, weight, rank,
              zero, avail, start, other, keys, best):
    late, makespan, count = _decode(pop[i], dur, rel, dem, pptr, pidx, sptr, sidx, due,
                                    weight, rank, zero, avail, start, other, keys, best)
    for j in range(best.shape[0]):
        starts[i, j] = best[j]
    fit[i, 0] = late
    fit[i, 1] = makespan
    return count


@njit(cache=True, nogil=True)
def _better(fit, a, b):
    return fit[a, 0] < fit[b, 0] or (fit[a, 0] == fit[b, 0] and fit[a, 1] < fit[b, 1])


@njit(cache=True, nogil=True)
def _survive(pop, starts, fit, size):
    """Keep the best ``size`` of the 2 x ``size`` individuals, best first, each schedule once
    (duplicates only to fill the population)."""
    total = 2 * size
    n = pop.shape[1]
    idx = np.arange(total)
    for a in range(1, total):  # stable insertion sort on (lateness, makespan)
        x = idx[a]
        b = a - 1
        while b >= 0 and _better(fit, x, idx[b]):
            idx[b + 1] = idx[b]
            b -= 1
        idx[b + 1] = x
    chosen = np.empty(total, np.int64)
    taken = np.zeros(total, np.bool_)
    kept = 0
    for t in range(total):
        i = idx[t]
        duplicate = False
        for u in range(kept):
            j = chosen[u]
            if fit[j, 0] == fit[i, 0] and fit[j, 1] == fit[i, 1]:
                same = True
                for k in range(n):
                    if starts[j, k] != starts[i, k]:
                        same = False
                        break
                if same:
                    duplicate = True
                    break
        if not duplicate:
            chosen[kept] = i
            taken[t] = True
            kept += 1
            if kept == size:
                break
    t = 0
    while kept < size:
        if not taken[t]:
            chosen[kept] = idx[t]
            kept += 1
        t += 1
    pop[:size] = pop[chosen[:size]].copy()
    starts[:size] = starts[chosen[:size]].copy()
    fit[:size] = fit[chosen[:size]].copy()


@njit(cache=True, nogil=True)
def _initialise(init, lst, spread, dur, rel, dem, cap, pptr, pidx, sptr, sidx, due, weight,
                rank, rng, pop, starts, fit, meta, avail, start, other, keys, best, used,
                waiting, child):
    R = cap.shape[0]
    for r in range(R):
        for t in range(avail.shape[1]):
            avail[r, t] = cap[r]
    size = pop.shape[0] // 2
    n = dur.shape[0]
    zero = np.zeros(n, np.int64)
    keys_f = np.empty(n, np.float64)
    for i in range(2 * size):
        if i < init.shape[0]:
            for k in range(n):
                pop[i, k] = init[i, k]
        else:
            _random_order(lst, spread, pptr, sptr, sidx, rng, waiting, keys_f, pop[i])
        meta[0] += _evaluate(i, pop, starts, fit, dur, rel, dem, pptr, pidx, sptr, sidx, due,
                             weight, rank, zero, avail, start, other, keys, best)
    _survive(pop, starts, fit, size)


@njit(cache=True, nogil=True)
def _crossover(mother, father, q1, q2, child, used):
    n = mother.shape[0]
    for j in range(n):
        used[j] = False
    k = 0
    for i in range(q1):
        child[k] = mother[i]
        used[mother[i]] = True
        k += 1
    i = 0
    while k < q2 and i < n:
        f = father[i]
        if not used[f]:
            child[k] = f
            used[f] = True
            k += 1
        i += 1
    i = 0
    while k < n:
        m = mother[i]
        if not used[m]:
            child[k] = m
            used[m] = True
            k += 1
        i += 1


@njit(cache=True, nogil=True)
def _precedes(a, b, sptr, sidx):
    for q in range(sptr[a], sptr[a + 1]):
        if sidx[q] == b:
            return True
    return False


@njit(cache=True, nogil=True)
def _tournament(fit, size, rng):
    a = _below(rng, size)
    b = _below(rng, size)
    return a if not _better(fit, b, a) else b


@njit(cache=True, nogil=True)
def _generations(lst, spread, dur, rel, dem, cap, pptr, pidx, sptr, sidx, due, weight, rank,
                 rng, pop, starts, fit, meta, avail, start, other, keys, best, used, waiting,
                 child, schedules, generations, mutation, restart):
    """At most ``generations`` generations, until ``schedules`` decodings are done."""
    size = pop.shape[0] // 2
    n = dur.shape[0]
    zero = np.zeros(n, np.int64)
    keys_f = np.empty(n, np.float64)
    for _ in range(generations):
        if meta[0] >= schedules:
            return
        if meta[1] >= restart:  # stale: every individual but the best drawn again
            meta[1] = 0
            for i in range(1, size):
                _random_order(lst, spread, pptr, sptr, sidx, rng, waiting, keys_f, pop[i])
                meta[0] += _evaluate(i, pop, starts, fit, dur, rel, dem, pptr, pidx, sptr,
                                     sidx, due, weight, rank, zero, avail, start, other, keys,
                                     best)
            _survive_in_place(pop, starts, fit, size)
        best_late, best_makespan = fit[0, 0], fit[0, 1]
        for c in range(size):
            mother = _tournament(fit, size, rng)
            father = _tournament(fit, size, rng)
            q1 = _below(rng, n)
            q2 = _below(rng, n)
            if q1 > q2:
                q1, q2 = q2, q1
            _crossover(pop[mother], pop[father], q1, q2, child, used)
            for k in range(n - 1):
                if _uniform(rng) < mutation and not _precedes(child[k], child[k + 1], sptr,
                                                              sidx):
                    x = child[k]
                    child[k] = child[k + 1]
                    child[k + 1] = x
            for k in range(n):
                pop[size + c, k] = child[k]
            meta[0] += _evaluate(size + c, pop, starts, fit, dur, rel, dem, pptr, pidx, sptr,
                                 sidx, due, weight, rank, zero, avail, start, other, keys, best)
        _survive(pop, starts, fit, size)
        meta[2] += 1
        if fit[0, 0] < best_late or (fit[0, 0] == best_late and fit[0, 1] < best_makespan):
            meta[1] = 0
        else:
            meta[1] += 1


@njit(cache=True, nogil=True)
def _survive_in_place(pop, starts, fit, size):
    """Sort the first ``size`` individuals, best first (after a restart)."""
    for a in range(1, size):
        b = a
        while b > 0 and _better(fit, b, b - 1):
            for k in range(pop.shape[1]):
                x = pop[b, k]
                pop[b, k] = pop[b - 1, k]
                pop[b - 1, k] = x
                x = starts[b, k]
                starts[b, k] = starts[b - 1, k]
                starts[b - 1, k] = x
            for k in range(2):
                x = fit[b, k]
                fit[b, k] = fit[b - 1, k]
                fit[b - 1, k] = x
            b -= 1


def warm() -> None:
    """Compile (or load from numba's cache) every function, on a small problem: ``make
    install`` calls it so that the first recovery plan does not spend its time limit there."""
    from .model import Problem, Resource, Task

    problem = Problem(
        resources=[Resource("team", 1)],
        tasks=[Task("a", 2, {"team": 1}, successors=("c",), due=1, weight=1),
               Task("b", 1, {"team": 1}, successors=("c",)),
               Task("c", 0)])
    search(Indexed(problem), schedules=200, population=4, restart=1)
