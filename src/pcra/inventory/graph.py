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
        return single_failure_impacts(self, candidates)

    def single_points_of_failure_by_propagation(
            self, candidates: Iterable[Key]) -> dict[Key, set[Key]]:
        """The same answer, one propagation per candidate: the reference the fast path is
        tested against."""
        result: dict[Key, set[Key]] = {}
        for node in candidates:
            if node in self.activities:
                continue
            impacted = self.impacted_activities([node])
            if impacted:
                result[node] = impacted
        return result


# --- Single points of failure in one pass ------------------------------------------------
#
# single_failure_killers computes, for every node u, the set K(u) of nodes whose loss *alone*
# stops u (u included), as an integer bit set. On a DAG,
# K(u) = {u} ∪ ⋃_groups ⋂_{t in group} K(t): u stops when one of its groups loses every
# target, and each target stops exactly when its own K holds the lost node. One pass in reverse
# topological order, one big-integer |/& per edge: the single points of failure of a whole GHT
# (3,000 nodes, 10,000 edges) cost milliseconds, where one failed_nodes([n]) per candidate
# costs a few hundred.


def _all_nodes(graph: DependencyGraph) -> list[Key]:
    seen = dict.fromkeys(graph.activities)
    for mapping in (graph.out, graph.into):
        for key in mapping:
            seen.setdefault(key)
    return list(seen)


def single_failure_killers(graph: DependencyGraph,
                           nodes: Iterable[Key] | None = None) -> tuple[dict[Key, int], list[Key]]:
    """``K(u)`` for every node ``u`` (or for ``nodes`` and what they need), as bit sets.

    Returns ``(killers, keys)``: bit ``i`` of ``killers[u]`` is set when losing ``keys[i]``
    alone stops ``u``. Same semantics as ``graph.failed_nodes([keys[i]])`` (DESIGN §4.2); the
    graph must be acyclic (the services refuse cycles).
    """
    if nodes is None:
        universe = _all_nodes(graph)
    else:
        universe = list(dict.fromkeys(nodes))
        seen = set(universe)
        queue = deque(universe)
        while queue:
            for edge in graph.out.get(queue.popleft(), ()):
                if edge.target not in seen:
                    seen.add(edge.target)
                    universe.append(edge.target)
                    queue.append(edge.target)
    bit = {key: 1 << i for i, key in enumerate(universe)}
    pending = {key: len(graph.out.get(key, ())) for key in universe}
    ready = deque(key for key, count in pending.items() if count == 0)
    killers: dict[Key, int] = {}
    while ready:
        node = ready.popleft()
        mask = bit[node]
        groups: dict[str, int] = {}
        for edge in graph.out.get(node, ()):
            target_mask = killers[edge.target]
            if edge.group:
                groups[edge.group] = groups.get(edge.group, target_mask) & target_mask
            else:
                mask |= target_mask
        for group_mask in groups.values():
            mask |= group_mask
        killers[node] = mask
        for edge in graph.into.get(node, ()):
            source = edge.source
            if source in pending:
                pending[source] -= 1
                if pending[source] == 0:
                    ready.append(source)
    if len(killers) != len(universe):
        raise ValueError("the dependency graph has a cycle")
    return killers, universe


def set_bits(mask: int) -> Iterable[int]:
    """Indices of the set bits (scanning the binary string beats big-integer arithmetic)."""
    digits = bin(mask)[:1:-1]
    i = digits.find("1")
    while i != -1:
        yield i
        i = digits.find("1", i + 1)


def single_failure_impacts(graph: DependencyGraph,
                           candidates: Iterable[Key]) -> dict[Key, set[Key]]:
    """Like ``graph.single_points_of_failure(candidates)``, in one pass over the graph."""
    killers, keys = single_failure_killers(graph)
    index = {key: i for i, key in enumerate(keys)}
    wanted = 0
    for key in candidates:
        if key in index and key not in graph.activities:
            wanted |= 1 << index[key]
    result: dict[Key, set[Key]] = defaultdict(set)
    for activity in graph.activities:
        mask = killers.get(activity, 0) & wanted
        for i in set_bits(mask):
            result[keys[i]].add(activity)
    return dict(result)


def single_points_of_failure_of(graph: DependencyGraph, node: Key) -> set[Key]:
    """The nodes (``node`` excluded) whose loss alone stops ``node``."""
    killers, keys = single_failure_killers(graph, [node])
    return {keys[i] for i in set_bits(killers[node])} - {node}
