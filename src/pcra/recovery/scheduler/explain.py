"""Why each task starts when it does (plain Python, no Django; plain data, the UI words it).

For a task starting at ``s``, the first that holds of:

* ``start``: ``s`` is 0;
* ``release``: ``s`` is its release time (something outside, a supplier say, is back then);
* ``predecessor``: a predecessor ends exactly at ``s`` (``task``: the first such in the
  problem's order; every other predecessor ended earlier);
* ``resource``: the task could not start any earlier since ``resource`` is used up until ``s``
  (``tasks``: those using it just before ``s``); with integer times, a task that fits at ``s``
  but at no earlier time from its earliest start can only be blocked at the instant ``s - 1``;
* ``choice``: it could start earlier (at ``earliest``) without breaking any constraint: the
  solver chose to wait, the objective being no worse. A left-justified schedule (``solve``,
  ``heuristic.left_shift``) has none.

A release and a predecessor's end may both fall at ``s``: the release is given, being the cause
outside the plan.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from .heuristic import Indexed, ResourceProfile
from .model import Schedule

START, RELEASE, PREDECESSOR, RESOURCE, CHOICE = (
    "start", "release", "predecessor", "resource", "choice")
KINDS = (START, RELEASE, PREDECESSOR, RESOURCE, CHOICE)


@dataclass(frozen=True)
class Reason:
    """Why a task starts at ``start``: see the module's documentation for each ``kind``.
    ``task``: the predecessor waited for; ``resource`` and ``tasks``: the resource used up and
    the tasks using it just before ``start``; ``earliest``: the earliest start the constraints
    allow (release and predecessors, and for ``choice`` the resources too)."""

    kind: str
    start: int
    earliest: int
    task: str | None = None
    resource: str | None = None
    tasks: tuple[str, ...] = ()


def explain(schedule: Schedule) -> dict[str, Reason]:
    """Task id -> Reason, for a feasible schedule (``checker.violations`` is empty)."""
    indexed = Indexed(schedule.problem)
    starts = indexed.as_list(schedule.starts)
    duration, demands = indexed.duration, indexed.demands
    ends = [s + d for s, d in zip(starts, duration, strict=True)]
    profiles = [ResourceProfile(capacity) for capacity in indexed.capacity]
    users: list[list[tuple[int, int]]] = [[] for _ in indexed.capacity]  # (start, task)
    for i, needs in enumerate(demands):
        for r, units in needs:
            profiles[r].add(starts[i], duration[i], units)
            users[r].append((starts[i], i))
    longest = [max((duration[i] for _, i in uses), default=0) for uses in users]
    for uses in users:
        uses.sort()
    reasons: dict[str, Reason] = {}
    for i, task_id in enumerate(indexed.ids):
        start = starts[i]
        earliest = max([indexed.release[i]] + [ends[p] for p in indexed.predecessors[i]])
        if start < earliest:
            raise ValueError(f"Task {task_id!r} starts at {start}, before its release or a "
                             f"predecessor's end ({earliest}): the schedule is not feasible.")
        if start == 0:
            reasons[task_id] = Reason(START, start, earliest)
            continue
        if start == earliest:
            if indexed.release[i] == start:
                reasons[task_id] = Reason(RELEASE, start, earliest)
            else:
                waited = next(p for p in sorted(indexed.predecessors[i]) if ends[p] == start)
                reasons[task_id] = Reason(PREDECESSOR, start, earliest, task=indexed.ids[waited])
            continue
        needs = demands[i]
        for r, units in needs:
            profiles[r].add(start, duration[i], -units)
        fit = _earliest_fit(profiles, needs, earliest, duration[i])
        for r, units in needs:
            profiles[r].add(start, duration[i], units)
        if fit < start:
            reasons[task_id] = Reason(CHOICE, start, fit)
            continue
        instant = start - 1  # the only instant that can block (see the module's doc)
        for r, units in needs:
            if profiles[r].used_at(instant) + units > indexed.capacity[r]:
                break
        else:  # unreachable for a feasible schedule
            raise ValueError(f"Task {task_id!r} cannot be explained: is the schedule feasible?")
        uses = users[r]
        position = bisect_right(uses, (instant, indexed.n))
        running = []
        for k in range(position - 1, -1, -1):
            other_start, other = uses[k]
            if other_start + longest[r] <= instant:
                break
            if other != i and ends[other] > instant:
                running.append(other)
        reasons[task_id] = Reason(RESOURCE, start, earliest, resource=indexed.resource_ids[r],
                                  tasks=tuple(indexed.ids[k] for k in sorted(running)))
    return reasons


def _earliest_fit(profiles: list[ResourceProfile], needs, start: int, duration: int) -> int:
    moved = True
    while moved:
        moved = False
        for r, units in needs:
            fit = profiles[r].earliest(start, duration, units)
            if fit != start:
                start, moved = fit, True
    return start
