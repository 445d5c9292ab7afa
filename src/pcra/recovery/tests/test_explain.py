"""Why each task starts when it does: the reason on hand-made schedules, and on any
left-justified schedule never "choice"."""

from __future__ import annotations

import pytest
from hypothesis import given

from pcra.recovery.scheduler.checker import violations
from pcra.recovery.scheduler.explain import (
    CHOICE,
    PREDECESSOR,
    RELEASE,
    RESOURCE,
    START,
    Reason,
    explain,
)
from pcra.recovery.scheduler.heuristic import left_shift, priority_schedule
from pcra.recovery.scheduler.model import Problem, Resource, Schedule, Task
from pcra.recovery.scheduler.solve import solve

from .test_solver import FAST, lateness_case, problems, release_case

pytestmark = pytest.mark.no_db


def reasons(problem: Problem, starts: dict[str, int]) -> dict[str, Reason]:
    return explain(Schedule(problem, starts))


def test_start_release_and_predecessor():
    problem = release_case()  # B 0-3, A from its release at 3 (B ends then too), C after A
    assert reasons(problem, {"B": 0, "A": 3, "C": 7}) == {
        "B": Reason(START, 0, earliest=0),
        "A": Reason(RELEASE, 3, earliest=3),
        "C": Reason(PREDECESSOR, 7, earliest=7, task="A"),
    }


def test_the_predecessor_named_is_the_one_ending_at_the_start():
    problem = Problem([], [Task("early", 2, successors=("x",)), Task("late", 5, successors=("x",)),
                           Task("x", 1)])
    assert reasons(problem, {"early": 0, "late": 0, "x": 5})["x"] == Reason(
        PREDECESSOR, 5, earliest=5, task="late")


def test_a_resource_used_up_until_the_start_names_the_tasks_using_it():
    problem = Problem([Resource("team", 2)], [
        Task("a", 3, {"team": 1}), Task("b", 4, {"team": 1}), Task("c", 2, {"team": 1}),
        Task("d", 1, {"team": 2}),
    ])
    explained = reasons(problem, {"a": 0, "b": 0, "c": 3, "d": 5})
    assert explained["c"] == Reason(RESOURCE, 3, earliest=0, resource="team", tasks=("a", "b"))
    # d needs both units: b (until 4) then c (until 5) hold one of them.
    assert explained["d"] == Reason(RESOURCE, 5, earliest=0, resource="team", tasks=("c",))


def test_a_gap_too_short_is_a_resource_reason_not_a_choice():
    problem = Problem([Resource("team", 1)], [
        Task("a", 2, {"team": 1}), Task("b", 2, {"team": 1}), Task("long", 3, {"team": 1}),
    ])
    # A gap [2, 4) of 2 before b: "long" needs 3, so it waits for b.
    explained = reasons(problem, {"a": 0, "b": 4, "long": 6})
    assert explained["long"] == Reason(RESOURCE, 6, earliest=0, resource="team", tasks=("b",))
    assert explained["b"] == Reason(CHOICE, 4, earliest=2)


def test_waiting_with_nothing_in_the_way_is_a_choice():
    problem = lateness_case()
    explained = reasons(problem, {"A": 0, "B": 5, "C": 5, "M": 12})
    assert explained["M"] == Reason(CHOICE, 12, earliest=10)
    assert explained["C"] == Reason(PREDECESSOR, 5, earliest=5, task="A")
    assert explained["B"] == Reason(RESOURCE, 5, earliest=0, resource="R", tasks=("A",))


def test_an_infeasible_schedule_is_refused():
    with pytest.raises(ValueError, match="'C' starts at 6"):
        reasons(release_case(), {"B": 0, "A": 3, "C": 6})


def test_the_solved_plan_is_explained_without_choices():
    schedule = solve(lateness_case(), time_limit=2)
    assert violations(schedule.problem, schedule.starts) == []
    explained = explain(schedule)
    assert {task: reason.kind for task, reason in explained.items()} == {
        "B": START, "M": PREDECESSOR, "A": RESOURCE, "C": PREDECESSOR}


@FAST
@given(problems())
def test_after_left_shift_no_task_could_start_earlier(problem):
    starts = left_shift(problem, priority_schedule(problem, passes=2))
    assert violations(problem, starts) == []
    explained = reasons(problem, starts)
    assert set(explained) == set(problem.task_ids)
    by_id = problem.by_id()
    for task_id, reason in explained.items():
        assert reason.kind != CHOICE
        assert reason.start == starts[task_id] >= reason.earliest
        if reason.kind == RELEASE:
            assert by_id[task_id].release == reason.start
        if reason.kind == PREDECESSOR:
            assert task_id in by_id[reason.task].successors
            assert starts[reason.task] + by_id[reason.task].duration == reason.start
        if reason.kind == RESOURCE:
            task = by_id[task_id]
            assert reason.tasks and task.demands.get(reason.resource)
            for other in reason.tasks:  # each runs at start - 1 on that resource
                assert by_id[other].demands.get(reason.resource)
                assert starts[other] < reason.start <= starts[other] + by_id[other].duration
            used = sum(by_id[other].demands[reason.resource] for other in reason.tasks)
            capacity = problem.capacity()[reason.resource]
            assert used + task.demands[reason.resource] > capacity
