"""Lower bounds and the critical-path passes of a scheduling problem (plain Python, no Django).

Every function here is linear in the number of tasks plus precedence edges (a topological order
by Kahn's algorithm, then one pass), so they run as well on a recovery plan of 5,000 tasks as on
a PSPLIB instance. They expect whole numbers (a problem that passed ``Problem.validate``) but
check the structure they rely on themselves: an unknown successor, an undefined resource or a
cycle of precedence raises ``ProblemError`` naming it.
"""

from __future__ import annotations

from .model import Problem, ProblemError, find_cycle, precedence_order


def earliest_starts(problem: Problem) -> dict[str, int]:
    """The CPM forward pass, resources ignored: the earliest start of every task, that is
    max(its release, the latest end of its predecessors at their earliest starts)."""
    tasks = problem.tasks
    order, successors = _graph(problem)
    starts = [task.release for task in tasks]
    for index in order:
        end = starts[index] + tasks[index].duration
        for successor in successors[index]:
            if end > starts[successor]:
                starts[successor] = end
    return {task.id: starts[index] for index, task in enumerate(tasks)}


def latest_starts(problem: Problem, horizon: int) -> dict[str, int]:
    """The CPM backward pass, resources ignored: the latest start of every task such that every
    task still ends by ``horizon`` (its successors at their latest starts).

    Release times do not move latest starts. With a horizon below ``critical_path(problem)``,
    some latest starts are below the earliest ones (even negative): priority rules (LST, LFT)
    only compare them, so this is not an error."""
    tasks = problem.tasks
    order, successors = _graph(problem)
    starts = [horizon - task.duration for task in tasks]
    for index in reversed(order):
        finish = horizon
        for successor in successors[index]:
            if starts[successor] < finish:
                finish = starts[successor]
        starts[index] = finish - tasks[index].duration
    return {task.id: starts[index] for index, task in enumerate(tasks)}


def critical_path(problem: Problem) -> int:
    """The length of the longest path, resources ignored and release times counted: the end of
    the last task when every task starts at its earliest start. 0 without tasks."""
    starts = earliest_starts(problem)
    return max((starts[task.id] + task.duration for task in problem.tasks), default=0)


def resource_bound(problem: Problem) -> int:
    """The work bound: max over resources of ceil(sum of duration * demand / capacity). A
    resource nobody needs is ignored (even at capacity 0); a resource of capacity 0 that some
    task needs for a positive duration makes the problem infeasible: ProblemError."""
    capacity = {resource.id: resource.capacity for resource in problem.resources}
    work = dict.fromkeys(capacity, 0)
    first_user: dict[str, str] = {}
    for task in problem.tasks:
        for resource_id, units in task.demands.items():
            if resource_id not in work:
                raise ProblemError(f"Task {task.id!r} needs resource {resource_id!r}, which is "
                                   f"not defined.")
            if units and task.duration:
                work[resource_id] += task.duration * units
                first_user.setdefault(resource_id, task.id)
    bound = 0
    for resource_id, total in work.items():
        if not total:
            continue
        if capacity[resource_id] <= 0:
            raise ProblemError(f"Resource {resource_id!r} has capacity {capacity[resource_id]}, "
                               f"but task {first_user[resource_id]!r} needs it: no schedule "
                               f"exists.")
        bound = max(bound, -(-total // capacity[resource_id]))
    return bound


def lower_bound(problem: Problem) -> int:
    """A lower bound of the makespan: max(critical_path, resource_bound)."""
    return max(critical_path(problem), resource_bound(problem))


def _graph(problem: Problem) -> tuple[list[int], list[list[int]]]:
    """A topological order (task indices) and the successors of each task by index; a cycle
    raises ProblemError naming it."""
    order, successors = precedence_order(problem)
    if len(order) != len(problem.tasks):
        cycle = find_cycle(problem) or []
        raise ProblemError("The precedence relations form a cycle: " + " → ".join(cycle) + ".")
    return order, successors


__all__ = ["critical_path", "earliest_starts", "find_cycle", "latest_starts", "lower_bound",
           "resource_bound"]
