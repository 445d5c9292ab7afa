"""The priority-groups plan of disaster-recovery tools: barriers between groups, effective
groups against deadlocks, always feasible, and worse than ``solve`` when groups are badly
chosen."""

from __future__ import annotations

import pytest
from hypothesis import given

from pcra.recovery.scheduler.checker import violations
from pcra.recovery.scheduler.groups import GROUPS, LAST, effective_groups, schedule_by_groups
from pcra.recovery.scheduler.model import FEASIBLE, OPTIMAL, Problem, ProblemError, Resource, Task
from pcra.recovery.scheduler.solve import solve

from .test_solver import FAST, problems

pytestmark = pytest.mark.no_db


def test_groups_run_one_after_the_other_in_the_problem_order():
    problem = Problem([Resource("R", 1)], [
        Task("B", 3, {"R": 1}, group=1),
        Task("C", 1, group=1),
        Task("A", 2, {"R": 1}, ("D",), group=2),
        Task("D", 1, group=1),  # waits for A (group 2): moved to group 2
        Task("E", 1, {"R": 1}),  # no group: last
    ])
    plan = schedule_by_groups(problem)
    assert violations(problem, plan.starts) == []
    assert plan.starts == {"B": 0, "C": 0, "A": 3, "D": 5, "E": 6}
    assert (plan.method, plan.status, plan.makespan) == (GROUPS, FEASIBLE, 7)
    assert effective_groups(problem) == {"B": 1, "C": 1, "A": 2, "D": 2, "E": LAST}
    assert plan.notes == ["1 task(s) moved to a later group than their own, because a "
                          "predecessor is in a later group: D."]


def test_a_barrier_holds_even_when_the_resources_are_free():
    problem = Problem([Resource("R", 2)], [
        Task("slow", 10, {"R": 1}, group=1),
        Task("quick", 1, {"R": 1}, group=2),
    ])
    plan = schedule_by_groups(problem)
    assert violations(problem, plan.starts) == []
    assert plan.starts == {"slow": 0, "quick": 10}
    assert plan.notes == []
    best = solve(problem, time_limit=2)
    assert violations(problem, best.starts) == []
    assert best.starts == {"slow": 0, "quick": 0}


def test_a_chain_against_the_groups_does_not_deadlock():
    # c (group 1) needs b (group 3), which needs a (group 2): c and b follow a's group.
    problem = Problem([], [Task("c", 1, group=1), Task("b", 2, successors=("c",), group=3),
                           Task("a", 3, successors=("b",), group=2)])
    plan = schedule_by_groups(problem)
    assert violations(problem, plan.starts) == []
    assert effective_groups(problem) == {"a": 2, "b": 3, "c": 3}
    assert plan.starts == {"a": 0, "b": 3, "c": 5}
    assert plan.notes[0].startswith("1 task(s) moved")


def test_badly_chosen_groups_cost_lateness_that_solve_avoids():
    # The activity M is due at 5 and waits for X, put in group 2 behind Y.
    problem = Problem([Resource("team", 1)], [
        Task("Y", 5, {"team": 1}, group=1),
        Task("X", 5, {"team": 1}, ("M",), group=2),
        Task("M", 0, due=5, weight=10, group=2),
    ])
    plan = schedule_by_groups(problem)
    assert violations(problem, plan.starts) == []
    assert plan.starts == {"Y": 0, "X": 5, "M": 10}
    assert plan.weighted_lateness == 50
    best = solve(problem, time_limit=2)
    assert violations(problem, best.starts) == []
    assert (best.weighted_lateness, best.status) == (0, OPTIMAL)
    assert best.starts == {"X": 0, "M": 5, "Y": 5}


def test_an_invalid_problem_is_refused():
    with pytest.raises(ProblemError, match="'a' has priority group 0"):
        schedule_by_groups(Problem([], [Task("a", 1, group=0)]))


@FAST
@given(problems())
def test_the_groups_plan_is_feasible_keeps_its_barriers_and_never_beats_solve(problem):
    plan = schedule_by_groups(problem)
    assert violations(problem, plan.starts) == []
    groups = effective_groups(problem)
    by_id = problem.by_id()
    for task in problem.tasks:
        assert groups[task.id] >= (LAST if task.group is None else task.group)
        for successor in task.successors:
            assert groups[successor] >= groups[task.id]
    for earlier in problem.tasks:
        end = plan.starts[earlier.id] + earlier.duration
        for later in problem.tasks:
            if groups[later.id] > groups[earlier.id]:
                assert plan.starts[later.id] >= end
    moved = sum(groups[t.id] != (LAST if t.group is None else t.group) for t in problem.tasks)
    assert len(plan.notes) == (1 if moved else 0)
    if moved:
        assert plan.notes[0].startswith(f"{moved} task(s) moved")
    best = solve(problem, time_limit=5, workers=1)
    assert violations(problem, best.starts) == []
    assert best.status == OPTIMAL
    assert (best.weighted_lateness, best.makespan) <= (plan.weighted_lateness, plan.makespan)
    assert plan.lower_bound <= plan.makespan
    assert all(plan.starts[t] >= by_id[t].release for t in plan.starts)
