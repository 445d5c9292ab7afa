"""The hand-made priority-groups plan, as disaster-recovery tools build it (plain Python).

The user sorts the tasks into priority groups (``Task.group``: 1 first; None: after every
numbered group). A group starts only when every task of the groups before it has ended (a
barrier); inside a group, tasks start in the group's order (the problem's order, each after its
predecessors) as soon as their predecessors and the resources allow.

A predecessor in a later group would deadlock such a plan (a group-1 task waiting for its
group-3 predecessor, which waits for the group-2 barrier, which waits for group 1). So each
task first takes its *effective* group, max(own group, effective groups of its predecessors),
and the plan says how many tasks were moved that way (DR tools make the user fix it by hand).
Zero-duration tasks (milestones) take part like any other. The plan is always feasible; it is
what ``solve`` is compared against.
"""

from __future__ import annotations

import time

from . import bounds
from .heuristic import Indexed, ResourceProfile
from .model import FEASIBLE, Problem, Schedule

GROUPS = "groups"
#: The effective group of the tasks without a group: after every numbered group.
LAST = float("inf")
#: Tasks named in the note on moved tasks (the rest are counted).
NAMED = 10


def effective_groups(problem: Problem) -> dict[str, float]:
    """Task id -> max(own group, effective groups of its predecessors); ``LAST`` for None."""
    by_id = problem.by_id()
    predecessors = problem.predecessors()
    groups: dict[str, float] = {}
    for task_id in problem.topological_order():
        own = by_id[task_id].group
        group = LAST if own is None else own
        for predecessor in predecessors[task_id]:
            if groups[predecessor] > group:
                group = groups[predecessor]
        groups[task_id] = group
    return groups


def moved_tasks(problem: Problem) -> list[str]:
    """The tasks whose effective group is later than their own, in the problem's order."""
    groups = effective_groups(problem)
    return [task.id for task in problem.tasks
            if groups[task.id] != (LAST if task.group is None else task.group)]


def schedule_by_groups(problem: Problem) -> Schedule:
    """The priority-groups plan of ``problem`` (validated: ProblemError when invalid), with
    ``method`` "groups" and a note counting the tasks moved to a later group."""
    clock = time.perf_counter()
    problem.validate()
    indexed = Indexed(problem)
    groups = effective_groups(problem)
    moved = moved_tasks(problem)
    duration, demands = indexed.duration, indexed.demands
    profiles = [ResourceProfile(capacity) for capacity in indexed.capacity]
    starts = [0] * indexed.n
    ends = [0] * indexed.n
    barrier = 0
    for group in sorted(set(groups.values())):
        members = [i for i in indexed.topological if groups[indexed.ids[i]] == group]
        group_end = barrier
        for i in members:
            t = max(barrier, indexed.release[i])
            for p in indexed.predecessors[i]:
                t = max(t, ends[p])
            needs = demands[i]
            moved_on = True
            while moved_on:
                moved_on = False
                for r, units in needs:
                    fit = profiles[r].earliest(t, duration[i], units)
                    if fit != t:
                        t, moved_on = fit, True
            for r, units in needs:
                profiles[r].add(t, duration[i], units)
            starts[i], ends[i] = t, t + duration[i]
            group_end = max(group_end, ends[i])
        barrier = group_end
    notes = []
    if moved:
        named = ", ".join(moved[:NAMED]) + (", …" if len(moved) > NAMED else "")
        notes.append(f"{len(moved)} task(s) moved to a later group than their own, because a "
                     f"predecessor is in a later group: {named}.")
    return Schedule(problem=problem, starts=indexed.as_dict(starts), status=FEASIBLE,
                    lower_bound=bounds.lower_bound(problem), method=GROUPS,
                    solve_seconds=time.perf_counter() - clock, notes=notes)
