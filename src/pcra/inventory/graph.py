"""The dependency graph's semantics (DESIGN §4.2), in plain Python with no Django import.

Nodes are any hashable keys (database ids in the app, codes in tests). An edge ``(s, t)``
means "s depends on t". Edges of one source sharing a non-empty redundancy group are
alternatives; an edge without a group is a group of its own.

* A node *works* when it is not lost and each of its groups has at least one working target.
* The activities *impacted* by the loss of a set of nodes are those that no longer work.
  Degraded-mode autonomy only delays an impact, so it plays no part here.

Every function is linear in the size of the part of the graph it touches.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

Key = Hashable


@dataclass(frozen=True)
class Edge:
    source: Key
    target: Key
    autonomy_hours: float | None = None
    group: str = ""


class CycleError(ValueError):
    """The edges would close a cycle; ``cycle`` lists it, first node repeated at the end."""

    def __init__(self, cycle: Sequence[Key]):
        self.cycle = list(cycle)
        super().__init__("dependency cycle: " + " → ".join(str(c) for c in self.cycle))


def _find_path(adjacency: dict[Key, list[Key]], start: Key, goal: Key) -> list[Key] | None:
    """A path start → … → goal following ``adjacency``, or None (breadth-first: shortest)."""
    if start == goal:
        return [start]
    parent: dict[Key, Key] = {start: start}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for nxt in adjacency.get(current, ()):
            if nxt in parent:
                continue
            parent[nxt] = current
            if nxt == goal:
                path = [goal]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            queue.append(nxt)
    return None


def cycle_if_added(adjacency: dict[Key, list[Key]], source: Key, target: Key) -> list[Key] | None:
    """The cycle that the edge source → target would close, or None.

    The edge closes a cycle when ``source`` is reachable from ``target``; the cycle is then
    ``source → target → … → source``.
    """
    path = _find_path(adjacency, target, source)
    if path is None:
        return None
    return [source, *path]


def find_cycle(pairs: Iterable[tuple[Key, Key]]) -> list[Key] | None:
    """A cycle among the edges (first node repeated at the end), or None when acyclic."""
    adjacency: dict[Key, list[Key]] = defaultdict(list)
    nodes: set[Key] = set()
    for s, t in pairs:
        adjacency[s].append(t)
        nodes.update((s, t))
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(nodes, white)
    for root in sorted(nodes, key=str):
        if colour[root] != white:
            continue
        stack: list[tuple[Key, int]] = [(root, 0)]
        path: list[Key] = []
        colour[root] = grey
        path.append(root)
        while stack:
            node, index = stack[-1]
            children = adjacency.get(node, [])
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if colour[child] == grey:
                    start = path.index(child)
                    return [*path[start:], child]
                if colour[child] == white:
                    colour[child] = grey
                    path.append(child)
                    stack.append((child, 0))
            else:
                colour[node] = black
                path.pop()
                stack.pop()
    return None


class DependencyGraph:
    """An immutable view of the graph for impact questions."""

    def __init__(self, activities: Iterable[Key], edges: Iterable[Edge | tuple]):
        self.activities: frozenset[Key] = frozenset(activities)
        self.out: dict[Key, list[Edge]] = defaultdict(list)
        self.into: dict[Key, list[Edge]] = defaultdict(list)
        #: (source, group key) -> number of targets in that group
        self.group_size: dict[tuple[Key, object], int] = defaultdict(int)
        for raw in edges:
            edge = raw if isinstance(raw, Edge) else Edge(*raw)
            self.out[edge.source].append(edge)
            self.into[edge.target].append(edge)
            self.group_size[self.group_key(edge)] += 1

    @staticmethod
    def group_key(edge: Edge) -> tuple[Key, object]:
        return (edge.source, edge.group) if edge.group else (edge.source, ("edge", edge.target))

    def failed_nodes(self, lost: Iterable[Key]) -> set[Key]:
        """Every node that stops working when ``lost`` are lost (the lost ones included)."""
        failed = set(lost)
        remaining: dict[tuple[Key, object], int] = {}
        queue = deque(failed)
        while queue:
            node = queue.popleft()
            for edge in self.into.get(node, ()):
                source = edge.source
                if source in failed:
                    continue
                key = self.group_key(edge)
                left = remaining.get(key)
                if left is None:
                    left = self.group_size[key]
                left -= 1
                remaining[key] = left
                if left == 0:
                    failed.add(source)
                    queue.append(source)
        return failed

    def impacted_activities(self, lost: Iterable[Key]) -> set[Key]:
        """The activities that no longer work when ``lost`` are lost."""
        return self.failed_nodes(lost) & self.activities

    def needs(self, node: Key) -> set[Key]:
        """Every node reachable from ``node`` through dependencies (not ``node`` itself)."""
        seen: set[Key] = set()
        queue = deque([node])
        while queue:
            current = queue.popleft()
            for edge in self.out.get(current, ()):
                if edge.target not in seen:
                    seen.add(edge.target)
                    queue.append(edge.target)
        seen.discard(node)
        return seen

    def dependents(self, node: Key) -> set[Key]:
        """Every node that reaches ``node`` through dependencies (not ``node`` itself)."""
        seen: set[Key] = set()
        queue = deque([node])
        while queue:
            current = queue.popleft()
            for edge in self.into.get(current, ()):
                if edge.source not in seen:
                    seen.add(edge.source)
                    queue.append(edge.source)
        seen.discard(node)
        return seen

    def single_points_of_failure(self, candidates: Iterable[Key]) -> dict[Key, set[Key]]:
        """Candidates whose loss alone impacts at least one activity, with those activities."""
        result: dict[Key, set[Key]] = {}
        for node in candidates:
            if node in self.activities:
                continue
            impacted = self.impacted_activities([node])
            if impacted:
                result[node] = impacted
        return result
