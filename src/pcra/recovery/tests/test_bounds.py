"""Lower bounds and critical-path passes: hand-made problems with known values, the PSPLIB
instances against the MPM-Time printed in each file, and random problems against the
definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcra.recovery.scheduler.bounds import (
    critical_path,
    earliest_starts,
    find_cycle,
    latest_starts,
    lower_bound,
    resource_bound,
)
from pcra.recovery.scheduler.checker import violations
from pcra.recovery.scheduler.formats import read_problem
from pcra.recovery.scheduler.model import Problem, ProblemError, Resource, Task

pytestmark = pytest.mark.no_db

DATA = Path(__file__).parent / "data"

# instance: (MPM-Time in its PROJECT INFORMATION, best known makespan from j30hrs.sm/j120hrs.sm)
PSPLIB = {
    "j301_1": (38, 43), "j3010_5": (41, 41), "j3025_3": (44, 76), "j3037_9": (46, 57),
    "j3048_10": (54, 54), "j1201_1": (99, 105), "j12030_4": (83, 83), "j12060_10": (85, 89),
}


def releases_problem() -> Problem:
    """a -> b, a -> d, c -> d; b released at 4, c at 10."""
    return Problem(resources=[], tasks=[
        Task("a", 3, successors=("b", "d")),
        Task("b", 2, release=4),
        Task("c", 1, successors=("d",), release=10),
        Task("d", 4),
    ])


def test_earliest_starts_count_predecessors_and_release_times():
    problem = releases_problem()
    assert earliest_starts(problem) == {"a": 0, "b": 4, "c": 10, "d": 11}
    assert critical_path(problem) == 15


def test_latest_starts_go_back_from_the_horizon():
    problem = releases_problem()
    assert latest_starts(problem, 15) == {"a": 8, "b": 13, "c": 10, "d": 11}
    assert latest_starts(problem, 20) == {"a": 13, "b": 18, "c": 15, "d": 16}
    # Below the critical path some latest starts come before the earliest ones, even below 0.
    assert latest_starts(problem, 3) == {"a": -4, "b": 1, "c": -2, "d": -1}


def test_a_diamond_follows_its_longer_branch():
    problem = Problem(resources=[], tasks=[
        Task("s", 0, successors=("x", "y")), Task("x", 2, successors=("t",)),
        Task("y", 5, successors=("t",)), Task("t", 1)])
    assert earliest_starts(problem) == {"s": 0, "x": 0, "y": 0, "t": 5}
    assert latest_starts(problem, 6) == {"s": 0, "x": 3, "y": 0, "t": 5}
    assert critical_path(problem) == 6


def work_problem(*, chain: bool) -> Problem:
    return Problem(
        resources=[Resource("team", 3), Resource("db", 1), Resource("idle", 0)],
        tasks=[Task("p", 4, {"team": 2}, ("q",) if chain else ()),
               Task("q", 3, {"team": 3, "db": 1}, ("r",) if chain else ()),
               Task("r", 5, {"team": 1, "idle": 0}),
               Task("s", 2, {"db": 1}),
               Task("z", 0, {"db": 1})])


def test_the_resource_bound_is_the_work_of_the_busiest_resource():
    # team: 4*2 + 3*3 + 5*1 = 22 -> ceil(22 / 3) = 8; db: 3 + 2 = 5 (z lasts 0); idle: unused.
    problem = work_problem(chain=False)
    assert resource_bound(problem) == 8
    assert critical_path(problem) == 5
    assert lower_bound(problem) == 8
    problem = work_problem(chain=True)  # p -> q -> r: 12 on the path
    assert (critical_path(problem), resource_bound(problem), lower_bound(problem)) == (12, 8, 12)


def test_a_resource_of_capacity_zero_counts_only_when_a_task_needs_it():
    unused = Problem(resources=[Resource("x", 0)], tasks=[Task("a", 2, {"x": 0}),
                                                          Task("b", 0, {"x": 1})])
    assert resource_bound(unused) == 0
    needed = Problem(resources=[Resource("x", 0)], tasks=[Task("a", 2, {"x": 1})])
    with pytest.raises(ProblemError, match="Resource 'x' has capacity 0, but task 'a' needs "
                                           "it: no schedule exists."):
        resource_bound(needed)


def test_an_empty_problem_has_bounds_zero():
    problem = Problem(resources=[Resource("r", 1)], tasks=[])
    assert (critical_path(problem), resource_bound(problem), lower_bound(problem)) == (0, 0, 0)
    assert earliest_starts(problem) == latest_starts(problem, 10) == {}


def test_a_cycle_is_named_even_when_a_task_after_it_comes_first():
    # "end" follows the cycle and is listed first: a walk along successors from it finds none.
    problem = Problem(resources=[], tasks=[
        Task("end", 1), Task("a", 1, successors=("b",)), Task("b", 1, successors=("end", "a"))])
    assert find_cycle(problem) == ["a", "b", "a"]
    for bound in (critical_path, lower_bound, earliest_starts, lambda p: latest_starts(p, 9)):
        with pytest.raises(ProblemError, match="The precedence relations form a cycle: "
                                               "a → b → a."):
            bound(problem)
    assert find_cycle(Problem([], [Task("a", 1, successors=("a",))])) == ["a", "a"]
    assert find_cycle(releases_problem()) is None


def test_a_structure_error_names_the_task_or_resource():
    with pytest.raises(ProblemError, match="Task 'a' has successor 'zz', which is not a task."):
        critical_path(Problem([], [Task("a", 1, successors=("zz",))]))
    with pytest.raises(ProblemError, match="Task 'a' is defined twice."):
        critical_path(Problem([], [Task("a", 1), Task("b", 1), Task("a", 2)]))
    with pytest.raises(ProblemError, match="Task 'a' needs resource 'r', which is not defined."):
        resource_bound(Problem([], [Task("a", 1, {"r": 1})]))


def test_long_chains_and_wide_fans_are_handled_without_recursion():
    chain = Problem(resources=[Resource("r", 1)], tasks=[
        Task(f"t{i}", 1, {"r": 1}, (f"t{i + 1}",) if i < 4999 else ()) for i in range(5000)])
    assert critical_path(chain) == resource_bound(chain) == lower_bound(chain) == 5000
    assert latest_starts(chain, 5000)["t0"] == 0
    fan = Problem(resources=[Resource("r", 2)], tasks=[
        Task("source", 0, successors=tuple(f"t{i}" for i in range(5000))),
        *(Task(f"t{i}", 3, {"r": 1}) for i in range(5000))])
    assert (critical_path(fan), resource_bound(fan)) == (3, 7500)


@pytest.mark.parametrize("instance", PSPLIB)
def test_psplib_critical_path_is_the_mpm_time_and_bounds_the_best_known(instance):
    mpm_time, best_known = PSPLIB[instance]
    problem = read_problem(DATA / f"{instance}.sm")
    assert critical_path(problem) == mpm_time
    assert mpm_time <= lower_bound(problem) <= best_known
    sink = problem.task_ids[-1]
    earliest = earliest_starts(problem)
    latest = latest_starts(problem, mpm_time)
    assert earliest[sink] == latest[sink] == mpm_time
    assert latest[problem.task_ids[0]] == 0
    assert all(latest[task_id] >= earliest[task_id] for task_id in problem.task_ids)


@st.composite
def dags(draw) -> Problem:
    """Random problems: successors only to later tasks (acyclic), listed in a shuffled order,
    demands within capacity."""
    count = draw(st.integers(0, 12))
    capacity = draw(st.integers(1, 4))
    tasks = []
    for index in range(count):
        later = [f"t{j}" for j in range(index + 1, count)]
        tasks.append(Task(
            f"t{index}", draw(st.integers(0, 9)), {"r": draw(st.integers(0, capacity))},
            tuple(draw(st.lists(st.sampled_from(later), unique=True)) if later else []),
            release=draw(st.integers(0, 20))))
    return Problem(resources=[Resource("r", capacity)], tasks=draw(st.permutations(tasks)))


@settings(deadline=None)
@given(dags(), st.integers(0, 60))
def test_random_problems_meet_the_definitions(problem, horizon):
    by_id = problem.by_id()
    predecessors = problem.predecessors()
    earliest = earliest_starts(problem)
    for task in problem.tasks:
        assert earliest[task.id] == max(
            [task.release] + [earliest[p] + by_id[p].duration for p in predecessors[task.id]])
    latest = latest_starts(problem, horizon)
    for task in problem.tasks:
        assert latest[task.id] == min(
            [horizon] + [latest[s] for s in task.successors]) - task.duration
    assert critical_path(problem) == max(
        (earliest[t.id] + t.duration for t in problem.tasks), default=0)
    # One task at a time, in topological order: a feasible schedule, no shorter than the bound.
    starts, clock = {}, 0
    for task_id in problem.topological_order():
        starts[task_id] = clock = max(clock, by_id[task_id].release, earliest[task_id])
        clock += by_id[task_id].duration
    assert violations(problem, starts) == []
    assert lower_bound(problem) <= max(
        (starts[t.id] + t.duration for t in problem.tasks), default=0)
