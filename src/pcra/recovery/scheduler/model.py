"""The scheduling problem and its schedule (plain Python, no Django).

A problem is a set of tasks with integer durations, finish-to-start precedence (``successors``)
and demands on renewable resources of fixed capacity (the RCPSP of PSPLIB), plus what the
recovery of a hospital adds: a release time (a supplier back at T), a due time and a weight
(the lateness of an activity against its DMIA, weighted by its BIA impact) and a hand-made
priority group (how disaster-recovery tools order restores, for the comparison).

Time is an integer number of units: PSPLIB periods, or minutes for a recovery plan.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

OPTIMAL = "optimal"
FEASIBLE = "feasible"
STATUSES = (OPTIMAL, FEASIBLE)
#: The largest number a problem may hold (a duration, release, due time, weight, capacity or
#: demand: 10^9 minutes is about 1,900 years), and the largest horizon (latest release plus
#: the sum of the durations) and business impact (sum of the weights x horizon), so that every
#: sum the solvers make stays within CP-SAT's 64-bit integers.
MAX_NUMBER = 10**9
#: The largest seed (CP-SAT's seeds are 32-bit).
MAX_SEED = 2**31 - 1
MAX_HORIZON = 2**40
MAX_IMPACT = 2**60


class ProblemError(ValueError):
    """A problem that cannot be scheduled as given: the message names the task or resource."""


@dataclass(frozen=True, slots=True)
class Resource:
    """A renewable resource: at every instant, the tasks running use at most ``capacity``."""

    id: str
    capacity: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class Task:
    """One task. ``demands``: resource id -> units used while it runs (zeros may be omitted).
    ``release``: earliest start. ``due`` / ``weight``: the objective counts
    ``weight * max(0, end - due)`` (no due or weight 0: not counted). ``group``: hand-made
    priority group (1 first; None: last)."""

    id: str
    duration: int
    demands: Mapping[str, int] = field(default_factory=dict)
    successors: tuple[str, ...] = ()
    release: int = 0
    due: int | None = None
    weight: int = 0
    group: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Problem:
    resources: tuple[Resource, ...]
    tasks: tuple[Task, ...]
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "resources", tuple(self.resources))
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "_by_id", None)

    @property
    def task_ids(self) -> list[str]:
        return [task.id for task in self.tasks]

    def task(self, task_id: str) -> Task:
        cached = self._by_id
        if cached is None:
            cached = {task.id: task for task in self.tasks}
            object.__setattr__(self, "_by_id", cached)
        return cached[task_id]

    def by_id(self) -> dict[str, Task]:
        return {task.id: task for task in self.tasks}

    def capacity(self) -> dict[str, int]:
        return {resource.id: resource.capacity for resource in self.resources}

    def predecessors(self) -> dict[str, list[str]]:
        preds: dict[str, list[str]] = {task.id: [] for task in self.tasks}
        for task in self.tasks:
            for successor in task.successors:
                preds[successor].append(task.id)
        return preds

    def topological_order(self) -> list[str]:
        """Task ids, every task after its predecessors (ties in the problem's order)."""
        order, _successors = precedence_order(self)
        if len(order) != len(self.tasks):
            raise ProblemError("The precedence relations form a cycle: "
                               + " → ".join(find_cycle(self) or []) + ".")
        return [self.tasks[position].id for position in order]

    def validate(self) -> None:
        """Raise ProblemError, naming the task or resource, for anything that makes the problem
        meaningless or infeasible: duplicate ids, unknown successors or resources, negative
        numbers, a demand above its resource's capacity, a cycle of precedence."""
        resources: dict[str, Resource] = {}
        for resource in self.resources:
            if not isinstance(resource.id, str) or not resource.id:
                raise ProblemError(f"A resource has no id ({resource!r}).")
            if resource.id in resources:
                raise ProblemError(f"Resource {resource.id!r} is defined twice.")
            if not _is_int(resource.capacity) or resource.capacity < 0:
                raise ProblemError(f"Resource {resource.id!r} has capacity "
                                   f"{resource.capacity!r}: a whole number >= 0 is expected.")
            resources[resource.id] = resource
        ids: set[str] = set()
        for task in self.tasks:
            if not isinstance(task.id, str) or not task.id:
                raise ProblemError(f"A task has no id ({task!r}).")
            if task.id in ids:
                raise ProblemError(f"Task {task.id!r} is defined twice.")
            ids.add(task.id)
        for task in self.tasks:
            where = f"Task {task.id!r}"
            for name in ("duration", "release"):
                value = getattr(task, name)
                if not _is_int(value) or value < 0:
                    raise ProblemError(f"{where} has {name} {value!r}: a whole number >= 0 is "
                                       f"expected.")
            if task.due is not None and (not _is_int(task.due) or task.due < 0):
                raise ProblemError(f"{where} has due time {task.due!r}: a whole number >= 0 "
                                   f"is expected.")
            if not _is_int(task.weight) or task.weight < 0:
                raise ProblemError(f"{where} has weight {task.weight!r}: a whole number >= 0 "
                                   f"is expected.")
            if task.group is not None and (not _is_int(task.group) or task.group < 1):
                raise ProblemError(f"{where} has priority group {task.group!r}: a whole number "
                                   f">= 1 is expected.")
            for resource_id, units in task.demands.items():
                resource = resources.get(resource_id)
                if resource is None:
                    raise ProblemError(f"{where} needs resource {resource_id!r}, which is not "
                                       f"defined.")
                if not _is_int(units) or units < 0:
                    raise ProblemError(f"{where} needs {units!r} units of {resource_id!r}: a "
                                       f"whole number >= 0 is expected.")
                if units > resource.capacity:
                    raise ProblemError(f"{where} needs {units} units of {resource_id!r}, whose "
                                       f"capacity is {resource.capacity}: it can never run.")
            seen: set[str] = set()
            for successor in task.successors:
                if successor not in ids:
                    raise ProblemError(f"{where} has successor {successor!r}, which is not a "
                                       f"task.")
                if successor == task.id:
                    raise ProblemError(f"{where} is its own successor.")
                if successor in seen:
                    raise ProblemError(f"{where} lists successor {successor!r} twice.")
                seen.add(successor)
        for resource in self.resources:
            if resource.capacity > MAX_NUMBER:
                raise ProblemError(f"Resource {resource.id!r} has capacity {resource.capacity}: "
                                   f"at most {MAX_NUMBER} is expected.")
        for task in self.tasks:
            for name in ("duration", "release", "due", "weight"):
                value = getattr(task, name)
                if value is not None and value > MAX_NUMBER:
                    raise ProblemError(f"Task {task.id!r} has {name} {value}: at most "
                                       f"{MAX_NUMBER} is expected.")
        horizon = (max((task.release for task in self.tasks), default=0)
                   + sum(task.duration for task in self.tasks))
        if horizon > MAX_HORIZON:
            raise ProblemError(f"The latest release plus the sum of the durations is {horizon}: "
                               f"at most {MAX_HORIZON} is expected.")
        impact = sum(task.weight for task in self.tasks if task.due is not None) * horizon
        if impact > MAX_IMPACT:
            raise ProblemError(f"The sum of the weights times the horizon is {impact}: at most "
                               f"{MAX_IMPACT} is expected (smaller weights give the same "
                               f"plan).")
        self.topological_order()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def find_cycle(problem: Problem) -> list[str] | None:
    """One cycle of precedence, as task ids with the first repeated at the end
    (``["a", "b", "a"]``, starting from its task listed first in the problem), or None when the
    precedence relations are acyclic. Successors must be tasks of the problem (ProblemError)."""
    order, successors = precedence_order(problem)
    if len(order) == len(problem.tasks):
        return None
    return _cycle(problem, order, successors)


def precedence_order(problem: Problem) -> tuple[list[int], list[list[int]]]:
    """Kahn's algorithm over task indices, ties in the problem's order: the order stops short
    of the tasks on or after a cycle. Also the successors of each task, by index."""
    tasks = problem.tasks
    index = {task.id: position for position, task in enumerate(tasks)}
    if len(index) != len(tasks):
        for position, task in enumerate(tasks):
            if index[task.id] != position:  # a later task of the same id took the index
                raise ProblemError(f"Task {task.id!r} is defined twice.")
    waiting = [0] * len(tasks)
    successors: list[list[int]] = []
    for task in tasks:
        targets = []
        for successor in task.successors:
            target = index.get(successor)
            if target is None:
                raise ProblemError(f"Task {task.id!r} has successor {successor!r}, which is not "
                                   f"a task.")
            waiting[target] += 1
            targets.append(target)
        successors.append(targets)
    ready = [position for position, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        position = heapq.heappop(ready)
        order.append(position)
        for target in successors[position]:
            waiting[target] -= 1
            if waiting[target] == 0:
                heapq.heappush(ready, target)
    return order, successors


def _cycle(problem: Problem, order: list[int], successors: list[list[int]]) -> list[str]:
    """One cycle among the tasks Kahn's algorithm left. Each of them has a predecessor that is
    also left (otherwise it would have become ready), so walking back through such predecessors
    must come back to a task already met: the walk closes a cycle."""
    done = set(order)
    left = [position for position in range(len(problem.tasks)) if position not in done]
    left_set = set(left)
    predecessor: dict[int, int] = {}
    for position in left:
        for target in successors[position]:
            if target in left_set:
                predecessor.setdefault(target, position)
    walk: dict[int, int] = {}
    current = left[0]
    while current not in walk:
        walk[current] = len(walk)
        current = predecessor[current]
    path = list(walk)[walk[current]:]
    path.reverse()  # the walk went backwards: successors order now
    first = path.index(min(path))
    cycle = path[first:] + path[:first]
    return [problem.tasks[position].id for position in cycle + cycle[:1]]


@dataclass
class Schedule:
    """A schedule: the start of every task, and how it was found.

    ``status``: "optimal" when the solver proved the objective optimal, else "feasible".
    ``lower_bound``: a proven lower bound of the makespan. ``weighted_lateness``: the business
    objective (sum of weight * lateness). ``method``: "cp-sat", "genetic", "priority-rule" or
    "groups".
    ``reproducible``: False when the search was stopped by the wall clock rather than by its
    deterministic limits, so that the same problem, seed and time limit may give another
    schedule (on a machine slower or busier than the calibration).
    """

    problem: Problem
    starts: dict[str, int]
    status: str = FEASIBLE
    lower_bound: int = 0
    method: str = ""
    solve_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    reproducible: bool = True

    def end(self, task_id: str) -> int:
        return self.starts[task_id] + self.problem.task(task_id).duration

    @property
    def makespan(self) -> int:
        by_id = self.problem.by_id()
        return max((self.starts[t] + by_id[t].duration for t in self.starts), default=0)

    @property
    def weighted_lateness(self) -> int:
        return weighted_lateness(self.problem, self.starts)

    def to_dict(self) -> dict:
        by_id = self.problem.by_id()
        return {
            "makespan": self.makespan,
            "status": self.status,
            "lower_bound": self.lower_bound,
            "weighted_lateness": self.weighted_lateness,
            "method": self.method,
            "reproducible": self.reproducible,
            "tasks": [{"id": task_id, "start": self.starts[task_id],
                       "end": self.starts[task_id] + by_id[task_id].duration}
                      for task_id in self.problem.task_ids],
        }


def weighted_lateness(problem: Problem, starts: Mapping[str, int]) -> int:
    total = 0
    for task in problem.tasks:
        if task.weight and task.due is not None:
            total += task.weight * max(0, starts[task.id] + task.duration - task.due)
    return total


def resources_of(tasks: Iterable[Task]) -> set[str]:
    return {resource for task in tasks for resource, units in task.demands.items() if units}
