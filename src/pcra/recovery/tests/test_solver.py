"""The solvers: priority rules, CP-SAT and ``solve``. Every schedule goes through the
independent checker; optima are the known ones (hand-made cases, PSPLIB j30)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from pcra.recovery.scheduler import bounds
from pcra.recovery.scheduler import cpsat as cpsat_module
from pcra.recovery.scheduler import solve as solve_module
from pcra.recovery.scheduler.checker import violations
from pcra.recovery.scheduler.cpsat import solve_cpsat
from pcra.recovery.scheduler.formats import read_psplib
from pcra.recovery.scheduler.heuristic import (
    Indexed,
    ResourceProfile,
    left_shift,
    priority_schedule,
)
from pcra.recovery.scheduler.model import (
    FEASIBLE,
    OPTIMAL,
    Problem,
    ProblemError,
    Resource,
    Task,
    weighted_lateness,
)
from pcra.recovery.scheduler.solve import CP_SAT, DONE, PRIORITY_RULE, VALIDATING, solve

pytestmark = pytest.mark.no_db

DATA = Path(__file__).parent / "data"
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Optimal makespans, from PSPLIB's j30hrs.sm (row Par, Inst of instance j30<Par>_<Inst>).
J30_OPTIMA = {"j301_1": 43, "j3010_5": 41, "j3013_7": 77, "j3025_3": 76, "j3029_9": 97,
              "j3037_9": 57, "j3041_10": 99, "j3048_10": 54}


# --- helpers shared with test_explain and test_groups ------------------------------------------

@st.composite
def problems(draw, max_tasks: int = 15, max_resources: int = 3) -> Problem:
    """A small valid problem: releases, due times and weights, zero durations, tasks listed in
    any order (not only topological)."""
    count = draw(st.integers(1, max_resources))
    capacities = [draw(st.integers(1, 4)) for _ in range(count)]
    resources = [Resource(f"R{r}", capacity) for r, capacity in enumerate(capacities)]
    n = draw(st.integers(1, max_tasks))
    tasks = []
    for i in range(n):
        demands = {}
        for r, capacity in enumerate(capacities):
            units = draw(st.integers(0, capacity))
            if units:
                demands[f"R{r}"] = units
        successors = draw(st.sets(st.integers(i + 1, n - 1), max_size=3)) if i < n - 1 else set()
        weighted = draw(st.booleans())
        tasks.append(Task(
            id=f"t{i}", duration=draw(st.integers(0, 6)), demands=demands,
            successors=tuple(f"t{j}" for j in sorted(successors)),
            release=draw(st.sampled_from([0, 0, 0, 1, 4, 9])),
            due=draw(st.integers(0, 25)) if weighted else None,
            weight=draw(st.integers(1, 5)) if weighted else 0,
            group=draw(st.sampled_from([None, 1, 2, 3]))))
    order = draw(st.permutations(range(n)))
    return Problem(resources, [tasks[i] for i in order])


def objective(problem: Problem, starts) -> tuple[int, int]:
    makespan = max((starts[t.id] + t.duration for t in problem.tasks), default=0)
    return weighted_lateness(problem, starts), makespan


def psplib(name: str) -> Problem:
    return read_psplib((DATA / f"solver_{name}.sm").read_text(), name=name)


DMIA = [240, 1440, 4320, 10080, 20160]  # minutes: 4 h, 1 day, 3 days, 1 week, 2 weeks


def layered(tasks: int = 3000, teams: int = 6, seed: int = 1, weighted: bool = True) -> Problem:
    """A recovery-like problem: layers of restores (one unit of one team each, 15 min to 8 h),
    a third of milestones (duration 0, no team), some outages waited for (no team), and in the
    last layers activities (milestones) due at a DMIA horizon (4 h to 2 weeks), weighted."""
    generator = random.Random(seed)
    resources = [Resource(f"team{r}", generator.randint(1, 6)) for r in range(teams)]
    layers = 25
    layer_of = [i * layers // tasks for i in range(tasks)]
    members: list[list[int]] = [[] for _ in range(layers)]
    for i, layer in enumerate(layer_of):
        members[layer].append(i)
    successors: list[set[int]] = [set() for _ in range(tasks)]
    for i, layer in enumerate(layer_of):
        if layer:
            for _ in range(generator.randint(1, 3)):
                source_layer = generator.randint(max(0, layer - 3), layer - 1)
                successors[generator.choice(members[source_layer])].add(i)
    built = []
    for i in range(tasks):
        kind = generator.random()
        if kind < 0.33:
            duration, demands = 0, {}
        elif kind < 0.38:
            duration, demands = generator.randint(60, 600), {}
        else:
            duration = generator.choice([15, 30, 45, 60, 90, 120, 180, 240, 480])
            team = generator.choices(resources, [r.capacity for r in resources])[0]
            demands = {team.id: 1}  # busier teams are larger
        activity = weighted and layer_of[i] >= layers - 3 and duration == 0
        built.append(Task(f"n{i}", duration, demands,
                          tuple(f"n{j}" for j in sorted(successors[i])),
                          due=generator.choice(DMIA) if activity else None,
                          weight=generator.randint(1, 10) if activity else 0))
    return Problem(resources, built, name="layered")


# --- the resource profile ----------------------------------------------------------------------

def test_the_profile_finds_the_first_gap_long_enough():
    profile = ResourceProfile(2)
    profile.add(0, 10, 2)
    profile.add(12, 5, 1)
    profile.add(14, 3, 1)
    assert profile.earliest(0, 4, 1) == 10  # one unit is free over [12, 14)
    assert profile.earliest(0, 5, 1) == 17  # but not over [14, 17)
    assert profile.earliest(0, 2, 2) == 10
    assert profile.earliest(0, 3, 2) == 17  # [10, 12) is too short for both units
    assert profile.earliest(0, 3, 0) == 0
    assert profile.earliest(5, 0, 2) == 5
    assert profile.earliest(12, 2, 1) == 12
    assert [profile.used_at(t) for t in (0, 9, 10, 12, 14, 16, 17, 99)] == [2, 2, 0, 1, 2, 2, 0, 0]


def test_the_profile_merges_equal_steps_and_gives_units_back():
    profile = ResourceProfile(1)
    for start in range(0, 100, 10):
        profile.add(start, 10, 1)
    assert profile.times == [0, 100] and profile.used == [1, 0]
    profile.add(40, 10, -1)
    assert profile.times == [0, 40, 50, 100] and profile.used == [1, 0, 1, 0]
    assert profile.earliest(0, 10, 1) == 40
    assert profile.earliest(0, 11, 1) == 100


def test_a_demand_above_the_capacity_is_refused_not_looped_on():
    with pytest.raises(ValueError, match="never fit"):
        ResourceProfile(1).earliest(0, 5, 2)


# --- hand-made problems with a known optimum ---------------------------------------------------

def lateness_case(weighted: bool = True) -> Problem:
    """B must end by 5 (its activity M is due then, weight 10): B first costs the makespan."""
    return Problem([Resource("R", 1)], [
        Task("A", 5, {"R": 1}, ("C",)),
        Task("B", 5, {"R": 1}, ("M",)),
        Task("C", 5),
        Task("M", 0, due=5 if weighted else None, weight=10 if weighted else 0),
    ])


def test_weighted_lateness_comes_before_the_makespan():
    problem = lateness_case()
    schedule = solve(problem, time_limit=5)
    assert violations(problem, schedule.starts) == []
    assert schedule.starts == {"B": 0, "M": 5, "A": 5, "C": 10}
    assert (schedule.weighted_lateness, schedule.makespan) == (0, 15)
    assert schedule.status == OPTIMAL
    assert schedule.lower_bound == 10  # a bound for every schedule, not only on-time ones


def test_without_weights_the_same_problem_is_solved_for_the_makespan():
    problem = lateness_case(weighted=False)
    schedule = solve(problem, time_limit=5)
    assert violations(problem, schedule.starts) == []
    assert schedule.starts == {"A": 0, "B": 5, "C": 5, "M": 10}
    assert (schedule.makespan, schedule.status, schedule.lower_bound) == (10, OPTIMAL, 10)


def release_case() -> Problem:
    """A cannot start before 3: B (3 long) fits before it, C follows A: 9 = 3 + 4 + 2."""
    return Problem([Resource("R", 1)], [
        Task("A", 4, {"R": 1}, ("C",), release=3),
        Task("B", 3, {"R": 1}),
        Task("C", 2),
    ])


def test_a_release_is_waited_for_and_the_gap_before_it_used():
    problem = release_case()
    schedule = solve(problem, time_limit=5)
    assert violations(problem, schedule.starts) == []
    assert schedule.starts == {"A": 3, "B": 0, "C": 7}
    assert (schedule.makespan, schedule.status, schedule.lower_bound) == (9, OPTIMAL, 9)
    # The priority rules meet the critical path: CP-SAT has nothing to prove.
    assert schedule.method == PRIORITY_RULE


def test_cp_sat_alone_finds_the_optimum_without_a_hint():
    problem = lateness_case()
    result = solve_cpsat(problem, deterministic_time=5, workers=1)
    assert violations(problem, result.starts) == []
    assert result.starts == {"B": 0, "M": 5, "A": 5, "C": 10}
    assert result.optimal and result.lateness_optimal


def test_an_empty_problem_has_an_empty_optimal_schedule():
    schedule = solve(Problem([], []), time_limit=1)
    assert (schedule.starts, schedule.makespan, schedule.status) == ({}, 0, OPTIMAL)


def test_an_invalid_problem_is_refused_with_the_task_named():
    problem = Problem([Resource("R", 1)], [Task("A", 1, {"R": 2})])
    with pytest.raises(ProblemError, match="'A' needs 2 units of 'R'"):
        solve(problem)
    with pytest.raises(ValueError, match="time limit"):
        solve(release_case(), time_limit=0)


def test_progress_is_reported_at_each_phase_in_order():
    calls: list[tuple[str, float]] = []
    solve(lateness_case(), time_limit=2, progress=lambda phase, done: calls.append((phase, done)))
    phases = [phase for phase, _ in calls]
    assert phases[0] == VALIDATING and calls[-1] == (DONE, 1.0)
    assert phases == ["validating", "priority-rules", "cp-sat", "done"]
    fractions = [done for _, done in calls]
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)


# --- random small problems ----------------------------------------------------------------------

@FAST
@given(problems())
def test_priority_rules_give_a_feasible_schedule(problem):
    starts = priority_schedule(problem, seed=3, passes=4)
    assert violations(problem, starts) == []
    assert starts == priority_schedule(problem, seed=3, passes=4)


@FAST
@given(problems(), st.randoms(use_true_random=False))
def test_left_shift_is_feasible_and_never_later(problem, generator):
    # A feasible schedule with slack: the priority rules' one, each task then pushed later in
    # order of start by a random delay (the ones after it pushed as much: two tasks apart stay
    # apart, so it stays feasible).
    starts = priority_schedule(problem, passes=0)
    rank = {task_id: k for k, task_id in enumerate(problem.topological_order())}
    delay = 0
    for task_id in sorted(starts, key=lambda t: (starts[t], rank[t])):
        delay += generator.randint(0, 3)
        starts[task_id] += delay
    assert violations(problem, starts) == []
    shifted = left_shift(problem, starts)
    assert violations(problem, shifted) == []
    assert all(shifted[t] <= starts[t] for t in starts)
    assert objective(problem, shifted) <= objective(problem, starts)


@FAST
@given(problems())
def test_solve_is_feasible_optimal_and_never_worse_than_the_rules(problem):
    schedule = solve(problem, time_limit=5, workers=1)
    assert violations(problem, schedule.starts) == []
    assert schedule.status == OPTIMAL  # tiny: always proven
    value = (schedule.weighted_lateness, schedule.makespan)
    assert value <= objective(problem, priority_schedule(problem, passes=8))
    assert bounds.lower_bound(problem) <= schedule.lower_bound <= schedule.makespan
    if not any(t.weight and t.due is not None for t in problem.tasks):
        assert schedule.lower_bound == schedule.makespan
    # CP-SAT without the heuristic's hint reaches the same optimum.
    alone = solve_cpsat(problem, deterministic_time=5, workers=1)
    assert alone.optimal and violations(problem, alone.starts) == []
    assert objective(problem, alone.starts) == value


# --- PSPLIB j30 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(J30_OPTIMA))
def test_j30_instances_are_solved_to_their_known_optimum(name):
    problem = psplib(name)
    schedule = solve(problem, time_limit=30)  # proven after 0 to 1.2 of 3 deterministic s
    assert violations(problem, schedule.starts) == []
    assert (schedule.makespan, schedule.status) == (J30_OPTIMA[name], OPTIMAL)
    assert schedule.lower_bound == J30_OPTIMA[name]
    assert schedule.method in (CP_SAT, PRIORITY_RULE)


def test_the_same_seed_gives_the_same_schedule(monkeypatch):
    # j3013_7 is not proven optimal in 2 s: CP-SAT (whole model, windows, whole model again)
    # stops on its deterministic limit, set low enough to come well before the time limit on
    # a busy machine.
    monkeypatch.setattr(solve_module, "DETERMINISTIC_PER_SECOND", 0.01)
    problem = psplib("j3013_7")
    first = solve(problem, time_limit=2, seed=7)
    second = solve(problem, time_limit=2, seed=7)
    assert violations(problem, first.starts) == []
    assert first.status == second.status == FEASIBLE
    assert first.reproducible and second.reproducible
    assert first.starts == second.starts


def test_a_solve_stopped_by_the_clock_says_it_may_not_be_reproducible(monkeypatch):
    monkeypatch.setattr(solve_module, "DETERMINISTIC_PER_SECOND", 1000.0)  # never reached
    problem = psplib("j1201_1")
    schedule = solve(problem, time_limit=0.5)
    assert violations(problem, schedule.starts) == []
    assert schedule.status == FEASIBLE and not schedule.reproducible
    assert schedule.to_dict()["reproducible"] is False
    assert schedule.solve_seconds < 0.5 + 1.0  # the limit, and some room on a busy machine


# --- the windows (large neighbourhood search) -----------------------------------------------------

def test_windows_improve_a_poor_schedule_the_same_way_twice(monkeypatch):
    monkeypatch.setattr(cpsat_module, "FULL_MODEL_SHARE", 0.01)  # windows do the work
    problem = psplib("j1201_1")
    hint = priority_schedule(problem, passes=0)
    runs = [solve_cpsat(problem, hint=hint, deterministic_time=0.3, seed=5,
                        lower_bound=bounds.lower_bound(problem)) for _ in range(2)]
    first = runs[0]
    assert violations(problem, first.starts) == []
    assert first.windows > 10 and first.windows_improving > 0
    assert objective(problem, first.starts) < objective(problem, hint)
    assert first.starts == runs[1].starts and first.windows == runs[1].windows
    assert not first.stopped_by_clock


def test_windows_bring_the_weighted_lateness_down(monkeypatch):
    monkeypatch.setattr(cpsat_module, "FULL_MODEL_SHARE", 0.0)  # windows only, or nearly
    problem = layered(tasks=240, teams=3, seed=4)
    hint = priority_schedule(problem, passes=0)
    before = objective(problem, hint)
    assert before[0] > 0  # the rules' schedule leaves activities late
    result = solve_cpsat(problem, hint=hint, deterministic_time=0.5, seed=1,
                         lower_bound=bounds.lower_bound(problem))
    assert violations(problem, result.starts) == []
    assert result.windows > 0 and result.windows_improving > 0
    assert objective(problem, result.starts)[0] < before[0]


def test_a_window_keeps_the_tasks_it_fixes_where_they_were(monkeypatch):
    monkeypatch.setattr(cpsat_module, "FULL_MODEL_SHARE", 0.01)
    problem = psplib("j1201_1")
    n = len(problem.tasks)
    run = cpsat_module._run
    checked = []

    def checking_run(model, budget, wall, seed, workers, presolve=True):
        status, solver = run(model, budget, wall, seed, workers, presolve)
        if not presolve:  # a window: the first n variables are the starts
            hint = dict(zip(model.proto.solution_hint.vars, model.proto.solution_hint.values,
                            strict=True))
            fixed = [k for k in range(n)
                     if model.proto.variables[k].domain[0] == model.proto.variables[k].domain[1]]
            assert 0 < len(fixed) < n
            for k in fixed:
                assert model.proto.variables[k].domain[0] == hint[k]
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    assert solver.value(model.get_int_var_from_proto_index(k)) == hint[k]
            checked.append(len(fixed))
        return status, solver

    monkeypatch.setattr(cpsat_module, "_run", checking_run)
    result = solve_cpsat(problem, hint=priority_schedule(problem, passes=0),
                         deterministic_time=0.1, lower_bound=bounds.lower_bound(problem))
    assert checked and len(checked) == result.windows
    assert violations(problem, result.starts) == []


def test_nothing_is_searched_beyond_a_schedule_at_its_lower_bound(monkeypatch):
    # Two chains on one unit: any schedule without idle time meets the work bound (12).
    monkeypatch.setattr(cpsat_module, "FULL_MODEL_SHARE", 0.0)
    problem = Problem([Resource("R", 1)], [
        Task("a", 3, {"R": 1}, ("b",)), Task("b", 3, {"R": 1}),
        Task("c", 3, {"R": 1}, ("d",)), Task("d", 3, {"R": 1})])
    hint = {"a": 0, "b": 3, "c": 6, "d": 9}
    result = solve_cpsat(problem, hint=hint, deterministic_time=5, lower_bound=12)
    assert result.optimal and result.windows == 0  # the floor is met before any window
    assert objective(problem, result.starts) == (0, 12)


def test_cp_sat_stops_on_its_deterministic_limit_the_same_way_twice():
    problem = psplib("j1201_1")
    hint = priority_schedule(problem, passes=0)
    runs = [solve_cpsat(problem, hint=hint, deterministic_time=0.2, seed=3) for _ in range(2)]
    first = runs[0]
    assert not first.optimal and not first.stopped_by_clock
    assert first.deterministic_time + first.windows_overhead >= 0.2 * 0.99
    assert runs[0].starts == runs[1].starts
    assert violations(problem, runs[0].starts) == []
    assert objective(problem, runs[0].starts) <= objective(problem, hint)


def test_the_seed_changes_the_priority_rules_sampling():
    problem = psplib("j1201_1")
    schedules = [priority_schedule(problem, seed=seed, passes=6) for seed in range(4)]
    assert all(violations(problem, starts) == [] for starts in schedules)
    assert len({tuple(sorted(starts.items())) for starts in schedules}) > 1


# --- a recovery plan of hospital size ----------------------------------------------------------------

def test_a_3000_task_plan_is_solved_feasibly_close_to_the_bounds():
    problem = layered()
    schedule = solve(problem, time_limit=5)
    assert violations(problem, schedule.starts) == []
    bound = max(bounds.critical_path(problem), bounds.resource_bound(problem))
    assert schedule.makespan <= 1.10 * bound
    assert schedule.lower_bound >= bound


def test_indexed_keeps_the_problem_order_and_ignores_zero_durations():
    problem = Problem([Resource("R", 2)], [Task("b", 0, {"R": 1}, ("a",)), Task("a", 3, {"R": 2})])
    indexed = Indexed(problem)
    assert indexed.ids == ["b", "a"] and indexed.demands == [(), ((0, 2),)]
    assert indexed.topological == [0, 1] and indexed.successors == [[1], []]
