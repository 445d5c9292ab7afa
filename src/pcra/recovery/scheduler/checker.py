"""An independent feasibility check of a schedule (plain Python, no Django).

Written apart from the solvers and sharing nothing with them but the problem's fields: the tests
run every schedule any solver returns through it. It checks that every task has exactly one
whole start, no earlier than 0 and its release; that every task ends no later than each of its
successors starts; and that at every instant the tasks running use no more of any resource than
its capacity (a sweep over the starts and ends: the usage only changes there).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from .model import Problem


def violations(problem: Problem, starts: Mapping[str, int], *, limit: int = 20) -> list[str]:
    """Sentences describing what is wrong with ``starts`` (at most ``limit``); [] = feasible."""
    found: list[str] = []

    def add(sentence: str) -> bool:
        found.append(sentence)
        return len(found) >= limit

    tasks = {task.id: task for task in problem.tasks}
    for task_id in starts:
        if task_id not in tasks and add(f"Task {task_id!r} is scheduled but not in the problem."):
            return found
    for task in problem.tasks:
        start = starts.get(task.id)
        if start is None:
            if add(f"Task {task.id!r} has no start."):
                return found
            continue
        if not isinstance(start, int) or isinstance(start, bool):
            if add(f"Task {task.id!r} starts at {start!r}, not a whole number."):
                return found
            continue
        if start < 0 and add(f"Task {task.id!r} starts at {start}, before 0."):
            return found
        if start < task.release and add(f"Task {task.id!r} starts at {start}, before its "
                                        f"release at {task.release}."):
            return found
    if found:
        return found
    for task in problem.tasks:
        end = starts[task.id] + task.duration
        for successor in task.successors:
            if starts[successor] < end and add(
                    f"Task {successor!r} starts at {starts[successor]}, before its predecessor "
                    f"{task.id!r} ends at {end}."):
                return found
    capacity = {resource.id: resource.capacity for resource in problem.resources}
    # Usage changes only where a task starts or ends: at each such instant, ends come first
    # (a task ending at t frees its units for a task starting at t).
    events: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for task in problem.tasks:
        if task.duration == 0:
            continue
        start = starts[task.id]
        for resource, units in task.demands.items():
            if units:
                events[start].append((1, resource, units))
                events[start + task.duration].append((0, resource, -units))
    usage: dict[str, int] = defaultdict(int)
    for instant in sorted(events):
        for _, resource, delta in sorted(events[instant]):
            usage[resource] += delta
        for resource, used in usage.items():
            if used > capacity.get(resource, 0):
                running = sorted(t.id for t in problem.tasks
                                 if t.duration and t.demands.get(resource)
                                 and starts[t.id] <= instant < starts[t.id] + t.duration)
                if add(f"At time {instant}, {used} units of resource {resource!r} are in use "
                       f"while its capacity is {capacity.get(resource, 0)} (running: "
                       f"{', '.join(running)})."):
                    return found
    return found
