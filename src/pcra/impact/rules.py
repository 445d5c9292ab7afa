"""The business impact analysis and readiness rules (DESIGN §4.3, §4.4), in plain Python.

No Django import: the selectors load the data, these functions apply the rules, and the tests and
the benchmark (``bench/readiness.py``) call them directly. Durations are hours; every number
given (``int``, ``float``, ``Decimal`` from the database) is turned into a ``float``.

**BIA (§4.3).** An impact scale has ordered horizons (code, hours) and a threshold level. Each
activity has an impact level 0–4 per (criterion, horizon); a level holds from its horizon until
the next one. The DMIA is the earliest horizon at which any criterion reaches the threshold;
none reached means no DMIA (the activity is not critical). A declared DMIA (the database insists
on its written justification) overrides the computed one.

**Objectives flow down (§4.4).** The required RTO of a node N is the minimum, over the
activities A that reach N through dependencies (A itself included, with no autonomy), of
``max(DMIA(A), autonomy(A⇝N))``, where ``autonomy(A⇝N)`` is the smallest sum, over the paths
from A to N, of the edges' degraded-mode autonomies (no autonomy counts 0). Activities without
DMIA impose no RTO. The required RPO of N is the smallest PDMA of the same activities. Each
requirement names the activity that imposes it (the *binding* activity).

**Capabilities flow up.** The achieved RTO of a node is the time at which it is back if it and
everything it needs were lost and restored in dependency order by unlimited teams::

    ready(N) = restore(N) + max over N's groups of (min over the group's targets of ready(t))

the worst need wins, the best alternative of a redundancy group wins, and a node cannot be back
before what it needs (a DPI is not back before its VM). Activities restore in 0 h. A restore
duration is measured (a real restore test) or declared (an estimate), measured beating declared;
the result is "measured" only when every duration on its critical chain is. An unknown duration
is never guessed: an alternative whose readiness is unknown is not counted on (the best *known*
alternative wins), and a need with no known alternative makes the result unknown; every unknown
duration among what a node needs is reported all the same. The **gap** is achieved minus
required RTO: positive means late.

Every result is deterministic: where values tie, the smallest key wins (keys in their natural
order when they are comparable, else by type name and ``repr``), never the insertion order of
edges or activities. ``compute_readiness`` costs one pass over the edges plus, per activity, one
pass over what it reaches: about 0.05 s for the synthetic GHT of 20 establishments (600
activities, 3,800 nodes, 14,000 edges), see ``bench/readiness.py``.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from pcra.inventory.graph import CycleError, DependencyGraph, find_cycle, set_bits

Key = Hashable
Hours = int | float | Decimal

COMPUTED = "computed"
DECLARED = "declared"
MEASURED = "measured"
UNKNOWN = "unknown"
NON_CRITICAL = "non-critical"

LEVEL_MIN, LEVEL_MAX = 0, 4
DEFAULT_THRESHOLD = 3
#: (code, hours) of the default horizons: 1 h, 4 h, 24 h, 72 h, 1 week, 1 month
DEFAULT_HORIZONS: tuple[tuple[str, float], ...] = (
    ("h1", 1.0), ("h4", 4.0), ("h24", 24.0), ("h72", 72.0), ("w1", 168.0), ("m1", 720.0))
#: (upper bound in hours, class): DMIA ≤ bound → class; None (or inf) = no upper bound
DEFAULT_CLASSES: tuple[tuple[float | None, str], ...] = (
    (4, "P1"), (24, "P2"), (72, "P3"), (None, "P4"))


def _hours(value: Hours | None, what: str, *about: object) -> float | None:
    """``value`` as a float (None stays None); ValueError, naming ``what.format(*about)``, when
    it is not a duration (negative, NaN)."""
    if value is None:
        return None
    hours = float(value)
    if not hours >= 0:  # also refuses NaN
        raise ValueError(f"{what.format(*about)}: {value!r} is not a duration in hours (≥ 0)")
    return hours


# --- BIA: DMIA, criticality, heatmap ----------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """An impact scale: horizons as (code, hours) pairs and the threshold level (1–4).

    The horizons are sorted by hours on creation; codes and hours must be unique, hours > 0.
    """

    horizons: tuple[tuple[str, float], ...] = DEFAULT_HORIZONS
    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self):
        horizons = tuple(sorted(((str(code), float(hours)) for code, hours in self.horizons),
                                key=lambda horizon: horizon[1]))
        codes = [code for code, _ in horizons]
        hours = [h for _, h in horizons]
        if len(set(codes)) != len(codes) or len(set(hours)) != len(hours):
            raise ValueError(f"horizons must have distinct codes and hours: {horizons}")
        if any(not h > 0 for h in hours):
            raise ValueError(f"horizon hours must be positive: {horizons}")
        if not LEVEL_MIN < self.threshold <= LEVEL_MAX:
            raise ValueError(f"threshold must be between 1 and 4, not {self.threshold}")
        object.__setattr__(self, "horizons", horizons)


DEFAULT_SCALE = Scale()

#: An activity's impact levels: {(criterion code, horizon code): level 0–4}. A missing cell was
#: not assessed; it counts as no impact.
Levels = Mapping[tuple[str, str], int]


def _checked(levels: Levels, scale: Scale) -> list[tuple[str, float, int]]:
    """(criterion, horizon hours, level) of every cell; ValueError naming a bad cell."""
    hours = dict(scale.horizons)
    cells = []
    for (criterion, horizon), level in levels.items():
        if horizon not in hours:
            raise ValueError(f"impact level {criterion}/{horizon}: unknown horizon {horizon!r}")
        if not (isinstance(level, int) and LEVEL_MIN <= level <= LEVEL_MAX):
            raise ValueError(f"impact level {criterion}/{horizon}: {level!r} is not 0–4")
        cells.append((criterion, hours[horizon], level))
    return cells


def dmia_hours(levels: Levels, scale: Scale = DEFAULT_SCALE) -> float | None:
    """The computed DMIA: the hours of the earliest horizon at which any criterion reaches the
    scale's threshold, or None when no criterion ever does (the activity is not critical)."""
    reached = [hours for _, hours, level in _checked(levels, scale) if level >= scale.threshold]
    return min(reached) if reached else None


def effective_dmia(computed: Hours | None, declared: Hours | None) -> tuple[float | None, str]:
    """``(hours or None, source)``: a declared DMIA overrides the computed one.

    Source is ``"declared"`` when a DMIA was declared, else ``"computed"`` (hours may then be
    None: not critical). The written justification a declaration needs is checked where it is
    entered (form, import) and by a database constraint, not here.
    """
    if declared is not None:
        return _hours(declared, "declared DMIA"), DECLARED
    return _hours(computed, "computed DMIA"), COMPUTED


def horizon_maxima(levels: Levels, scale: Scale = DEFAULT_SCALE) -> list[int | None]:
    """For a heatmap: the highest level over the criteria at each horizon, in horizon order;
    None where no criterion has a level at that horizon (not assessed)."""
    best: dict[float, int] = {}
    for _, hours, level in _checked(levels, scale):
        best[hours] = max(level, best.get(hours, level))
    return [best.get(hours) for _, hours in scale.horizons]


def impact_level_at(levels: Levels, hours: Hours, scale: Scale = DEFAULT_SCALE) -> int:
    """The highest level over the criteria in force after ``hours`` of interruption: a level
    holds from its horizon until the next one (0 before the first horizon, and where a cell was
    not assessed)."""
    elapsed = float(hours)
    level = 0
    for (_, horizon), highest in zip(scale.horizons, horizon_maxima(levels, scale), strict=True):
        if horizon <= elapsed:
            level = highest or 0
    return level


def criticality_class(dmia: Hours | None,
                      classes: Sequence[Sequence] | None = DEFAULT_CLASSES,
                      *, none_label: str = NON_CRITICAL) -> str:
    """The criticality class of a DMIA: the first class (by increasing bound) whose upper bound
    (hours, inclusive; None or inf = unbounded) the DMIA does not exceed. No DMIA gives
    ``none_label``; a DMIA beyond every bound falls in the loosest class. Empty or None
    ``classes`` mean the default ones (P1 ≤ 4 h, P2 ≤ 24 h, P3 ≤ 72 h, P4 beyond)."""
    if dmia is None:
        return none_label
    hours = float(dmia)
    bounds = sorted(((math.inf if bound is None else float(bound), str(label))
                     for bound, label in (classes or DEFAULT_CLASSES)), key=lambda c: c[0])
    for bound, label in bounds:
        if hours <= bound:
            return label
    return bounds[-1][1]


# --- Readiness: inputs and results ------------------------------------------------------------


@dataclass(frozen=True)
class ActivityBia:
    """What the BIA says of one activity: its effective DMIA and its PDMA, in hours (None: none)."""

    dmia_hours: Hours | None = None
    pdma_hours: Hours | None = None


@dataclass(frozen=True)
class Duration:
    """The restore duration of an application or component: hours (None = unknown) and where
    it comes from, ``"measured"`` (a real restore test) or ``"declared"`` (an estimate); any
    other source counts as declared (``"unknown"`` goes with no hours)."""

    hours: Hours | None
    source: str = DECLARED


def best_duration(measured: Hours | None, declared: Hours | None) -> Duration:
    """A measured duration beats a declared one; neither gives an unknown duration."""
    if measured is not None:
        return Duration(_hours(measured, "measured duration"), MEASURED)
    if declared is not None:
        return Duration(_hours(declared, "declared duration"), DECLARED)
    return Duration(None, UNKNOWN)


class Requirement(NamedTuple):
    """What the BIA requires of a node (DESIGN §4.4), and why (an immutable named tuple: one
    per node, cheap to build).

    ``rto_hours = max(dmia_hours, autonomy_hours)`` for the binding activity ``rto_activity``,
    whose DMIA is ``dmia_hours`` and whose smallest degraded-mode autonomy on the way to the
    node is ``autonomy_hours`` (0 for the activity itself). ``rpo_hours`` is the PDMA of
    ``rpo_activity``. All None when no activity imposes anything.
    """

    rto_hours: float | None = None
    rto_activity: Key | None = None
    dmia_hours: float | None = None
    autonomy_hours: float | None = None
    rpo_hours: float | None = None
    rpo_activity: Key | None = None

    @property
    def rto_driver(self) -> str | None:
        """``"dmia"`` when the binding activity's DMIA sets the RTO, ``"autonomy"`` when the
        degraded-mode autonomy on the way is longer than that DMIA, None without RTO."""
        if self.rto_hours is None:
            return None
        return "autonomy" if self.autonomy_hours > self.dmia_hours else "dmia"


NO_REQUIREMENT = Requirement()


class Capability(NamedTuple):
    """When a node is back after losing it and everything it needs (unlimited teams); an
    immutable named tuple.

    ``rto_hours``: None when unknown. ``chain``: the nodes, from this one down, that determine
    the value (at each step, the worst need and within it the best alternative); when the value
    is unknown it ends at a node whose duration is unknown. ``source``: ``"measured"`` when every
    duration on the chain is measured, ``"declared"`` when one is an estimate, ``"unknown"``.
    ``unknown``: every node among this one and all it needs (alternatives included) whose
    duration is unknown, even when the value is known (an unknown alternative is never counted
    on: the best *known* alternative wins).
    """

    rto_hours: float | None
    source: str
    chain: tuple[Key, ...]
    unknown: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class Readiness:
    """Requirements and capabilities of every node (both dicts in key order)."""

    required: dict[Key, Requirement]
    achieved: dict[Key, Capability]
    #: the graph's activities, in key order
    activities: tuple[Key, ...]
    #: activities and the nodes they need whose restore duration is unknown
    unknown_durations: frozenset[Key]

    def gap(self, node: Key) -> float | None:
        """Achieved RTO minus required RTO of a node (positive = late); None when either is
        unknown (no activity with a DMIA needs the node, or a duration is unknown)."""
        required, achieved = self.required[node].rto_hours, self.achieved[node].rto_hours
        if required is None or achieved is None:
            return None
        return achieved - required

    def gaps(self) -> dict[Key, float | None]:
        """The gap of every activity, in key order."""
        return {activity: self.gap(activity) for activity in self.activities}


# --- Readiness: computation -------------------------------------------------------------------
#
# Nodes are numbered by their keys' order (so "smallest number" is the deterministic tie-break)
# and the passes work on plain lists indexed by those numbers, in a topological order computed
# once. Few long-lived objects are made: at ten times the size of a GHT, a tuple per edge costs
# more in garbage collection than the computation itself.


def _key_order(keys: Iterable[Key]) -> list[Key]:
    """Keys in their natural order, or by (type name, repr) when they are not comparable."""
    keys = list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=lambda key: (type(key).__name__, repr(key)))


@dataclass
class _Numbered:
    """The graph with nodes numbered in key order: for each node, the targets and autonomies of
    its edges, its ungrouped targets and its redundancy groups (lists of alternatives); and a
    topological order (``order``, every source before its targets) with each node's place in
    it (``place``)."""

    keys: list[Key]
    targets: list[list[int]]
    autonomies: list[list[float] | None]  # None when every autonomy is 0
    singles: list[list[int]]
    groups: list[list[list[int]]]
    order: list[int]
    place: list[int]


def _numbered(graph: DependencyGraph, keys: list[Key], number: dict[Key, int]) -> _Numbered:
    """One pass over the edges, then Kahn's topological sort on integers; CycleError names a
    cycle."""
    n = len(keys)
    empty: list = []
    targets: list[list[int]] = [empty] * n
    autonomies: list[list[float] | None] = [None] * n
    singles: list[list[int]] = [empty] * n
    groups: list[list[list[int]]] = [empty] * n
    for key, edges in graph.out.items():
        if not edges:
            continue
        node_targets, node_singles, raw = [], [], []
        named: dict[str, list[int]] | None = None
        for edge in edges:  # one plain loop: faster than comprehensions over a few edges
            target = number[edge.target]
            node_targets.append(target)
            raw.append(edge.autonomy_hours)
            if edge.group:
                if named is None:
                    named = {}
                named.setdefault(edge.group, []).append(target)
            else:
                node_singles.append(target)
        i = number[key]
        targets[i] = node_targets
        singles[i] = node_targets if named is None else node_singles
        if any(raw):
            autonomies[i] = [0.0 if value is None else
                             _hours(value, "autonomy of an edge of {}", key) for value in raw]
        if named is not None:
            groups[i] = list(named.values())
    pending = [0] * n
    for key, edges in graph.into.items():
        pending[number[key]] = len(edges)
    # Kahn's algorithm taking the smallest ready number first: the nodes of one establishment
    # (whose keys sort together) then come together, which keeps the later passes' memory
    # accesses close (the capability pass is a quarter faster at ten times a GHT than when the
    # nodes are taken level by level).
    ready = [i for i in range(n) if pending[i] == 0]
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for target in targets[i]:
            pending[target] -= 1
            if pending[target] == 0:
                heapq.heappush(ready, target)
    if len(order) != n:
        cycle = find_cycle((e.source, e.target) for edges in graph.out.values() for e in edges)
        raise CycleError(cycle or [])
    place = [0] * n
    for p, i in enumerate(order):
        place[i] = p
    return _Numbered(keys, targets, autonomies, singles, groups, order, place)


def compute_readiness(graph: DependencyGraph, activities: Mapping[Key, ActivityBia],
                      restore: Mapping[Key, Duration]) -> Readiness:
    """Required objectives (flowing down) and achieved capabilities (flowing up) of every node.

    ``graph``: the dependencies (acyclic, else CycleError); ``activities``: the BIA of activities
    of the graph (an activity missing here imposes nothing; a key that is not an activity of the
    graph is a ValueError); ``restore``: the restore durations of applications and components
    (missing = unknown; activities always restore in 0 h). The nodes are the graph's activities,
    the ends of its edges and the keys of ``restore``.

    Cost: one pass over the edges for the capabilities and, per activity with a DMIA or a PDMA,
    one shortest-path pass over the part of the graph it reaches (each reached edge relaxed
    once), so time grows with activities × reached edges.
    """
    stray = [key for key in activities if key not in graph.activities]
    if stray:
        raise ValueError(f"not activities of the graph: {_key_order(stray)[:10]}")
    keys = dict.fromkeys(graph.activities)
    for mapping in (graph.out, graph.into, restore):
        keys.update(dict.fromkeys(mapping))
    ordered = _key_order(keys)
    number = {key: i for i, key in enumerate(ordered)}
    with _collector_paused():
        numbered = _numbered(graph, ordered, number)
        required = _required(numbered, activities, number)
        achieved = _achieved(numbered, graph.activities, restore)
        unknown: set[Key] = set()
        for activity in graph.activities:
            unknown |= achieved[number[activity]].unknown
        return Readiness(required=dict(zip(ordered, required, strict=True)),
                         achieved=dict(zip(ordered, achieved, strict=True)),
                         activities=tuple(key for key in ordered if key in graph.activities),
                         unknown_durations=frozenset(unknown))


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while the result is built.

    The computation makes no reference cycles, but it leaves one result per node alive; past a
    few tens of thousands of nodes that triggers full collections, each scanning the whole
    process (a third of the time at ten times the size of a GHT). Reference counting still frees
    everything; the collector is resumed afterwards if it was running (the switch is process-
    wide: another thread meanwhile only sees its collections put off).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _required(graph: _Numbered, activities: Mapping[Key, ActivityBia],
              number: dict[Key, int]) -> list[Requirement]:
    """Requirements by node number. Activities are taken in key order and a value replaces the
    current one only when strictly smaller, so ties go to the smallest activity key."""
    n = len(graph.keys)
    targets, autonomies, order, place = graph.targets, graph.autonomies, graph.order, graph.place
    rto = [math.inf] * n
    rto_activity: list[Key | None] = [None] * n
    rto_dmia = [0.0] * n
    rto_autonomy = [0.0] * n
    rpo = [math.inf] * n
    rpo_activity: list[Key | None] = [None] * n
    has_rto = [False] * n
    has_rpo = [False] * n
    for activity in sorted(activities, key=number.__getitem__):
        bia = activities[activity]
        dmia = _hours(bia.dmia_hours, "DMIA of {}", activity)
        pdma = _hours(bia.pdma_hours, "PDMA of {}", activity)
        if dmia is None and pdma is None:
            continue
        # The smallest autonomy from the activity to every node it reaches. The heap holds
        # places in the topological order, so each node is taken after all the nodes that lead
        # to it: its distance is final when it is taken, and each edge is relaxed once.
        start = number[activity]
        distance = {start: 0.0}
        heap = [place[start]]
        while heap:
            node = order[heapq.heappop(heap)]
            base = distance[node]
            weights = autonomies[node]
            if weights is None:  # no autonomy on any edge of the node: the common case
                for target in targets[node]:
                    known = distance.get(target)
                    if known is None:
                        distance[target] = base
                        heapq.heappush(heap, place[target])
                    elif base < known:
                        distance[target] = base
                continue
            for target, autonomy in zip(targets[node], weights, strict=True):
                candidate = base + autonomy
                known = distance.get(target)
                if known is None:
                    distance[target] = candidate
                    heapq.heappush(heap, place[target])
                elif candidate < known:
                    distance[target] = candidate
        if dmia is not None:
            for node, autonomy in distance.items():
                value = autonomy if autonomy > dmia else dmia
                if value < rto[node]:
                    rto[node] = value
                    rto_activity[node] = activity
                    rto_dmia[node] = dmia
                    rto_autonomy[node] = autonomy
                    has_rto[node] = True
        if pdma is not None:
            for node in distance:
                if pdma < rpo[node]:
                    rpo[node] = pdma
                    rpo_activity[node] = activity
                    has_rpo[node] = True
    result = []
    for i in range(n):
        if not (has_rto[i] or has_rpo[i]):
            result.append(NO_REQUIREMENT)
        elif not has_rto[i]:
            result.append(Requirement(rpo_hours=rpo[i], rpo_activity=rpo_activity[i]))
        else:
            result.append(Requirement(
                rto[i], rto_activity[i], rto_dmia[i], rto_autonomy[i],
                rpo[i] if has_rpo[i] else None, rpo_activity[i]))
    return result


def _achieved(graph: _Numbered, activities: frozenset,
              restore: Mapping[Key, Duration]) -> list[Capability]:
    """Capabilities by node number, computed from the sinks up (reverse topological order).

    Inside a group the best alternative is the known one with the smallest (hours, declared,
    key); across needs the worst is the largest (hours, declared, then smallest key): on a tie
    the chain goes through a measured alternative but through a declared need, which is what
    the source of the result must reflect. An unknown alternative is skipped; a need whose
    alternatives are all unknown makes the node unknown (the chain then goes to the smallest
    such alternative).
    """
    keys, singles, groups = graph.keys, graph.singles, graph.groups
    n = len(keys)
    ready: list[float | None] = [None] * n
    weak = [0] * n  # 1 when some duration on the chain is declared
    below = [-1] * n  # next node on the chain
    # What each node needs with an unknown duration, as a bit set over the unknown nodes: one
    # big-integer OR per edge (its cost grows with the number of unknown nodes / 30, a few
    # machine words at ten times a GHT).
    unknown_keys = [key for key in keys if key not in activities
                    and (key not in restore or restore[key].hours is None)]
    bit = {key: 1 << b for b, key in enumerate(unknown_keys)}
    mask = [0] * n
    backwards = graph.order[::-1]
    for i in backwards:
        key = keys[i]
        needed = bit.get(key, 0)
        for target in graph.targets[i]:
            below_mask = mask[target]
            if not needed:
                needed = below_mask  # shared, not copied: most nodes need what a target needs
            elif below_mask and below_mask is not needed:
                needed |= below_mask
        mask[i] = needed
        if key in activities:
            own, own_weak = 0.0, 0
        else:
            duration = restore.get(key)
            own = None if duration is None else _hours(duration.hours, "duration of {}", key)
            if own is None:
                continue  # unknown: the chain stops here
            own_weak = 0 if duration.source == MEASURED else 1
        # The worst need so far as (hours, weak, -number), and an unknown need if any.
        worst: tuple | None = None
        blame = -1
        for target in singles[i]:
            hours = ready[target]
            if hours is None:
                if blame < 0 or target < blame:
                    blame = target
            elif worst is None or hours >= worst[0]:
                need = (hours, weak[target], -target)
                if worst is None or need > worst:
                    worst = need
        for group in groups[i]:
            best: tuple | None = None
            for target in group:
                hours = ready[target]
                if hours is not None:
                    alternative = (hours, weak[target], target)
                    if best is None or alternative < best:
                        best = alternative
            if best is None:
                if blame < 0 or min(group) < blame:
                    blame = min(group)
            else:
                need = (best[0], best[1], -best[2])
                if worst is None or need > worst:
                    worst = need
        if blame >= 0:
            below[i] = blame
        elif worst is None:
            # An activity that needs nothing is back at once: a fact of the declared mapping,
            # not a measurement.
            ready[i], weak[i] = own, (1 if key in activities else own_weak)
        else:
            ready[i], weak[i], below[i] = own + worst[0], own_weak | worst[1], -worst[2]
    sets: dict[int, frozenset] = {0: frozenset()}
    chains: list[tuple[Key, ...]] = [()] * n
    result: list[Capability] = [None] * n  # type: ignore[list-item]
    for i in backwards:
        chains[i] = (keys[i], *chains[below[i]]) if below[i] >= 0 else (keys[i],)
        if mask[i] not in sets:
            sets[mask[i]] = frozenset(unknown_keys[b] for b in set_bits(mask[i]))
        source = UNKNOWN if ready[i] is None else (DECLARED if weak[i] else MEASURED)
        result[i] = Capability(ready[i], source, chains[i], sets[mask[i]])
    return result


def autonomy_path(graph: DependencyGraph, activity: Key,
                  node: Key) -> tuple[list[Key], float] | None:
    """The path from ``activity`` to ``node`` with the smallest sum of autonomies, and that sum
    (to explain a requirement); None when the activity does not reach the node. Among equal
    paths, each step back from the node goes to the smallest key."""
    order = {key: i for i, key in enumerate(_key_order(
        {activity, *graph.needs(activity)}))}
    distance = {activity: 0.0}
    previous: dict[Key, Key] = {}
    heap = [(0.0, order[activity], activity)]
    done = set()
    while heap:
        base, _, current = heapq.heappop(heap)
        if current in done:
            continue
        done.add(current)
        for edge in graph.out.get(current, ()):
            target = edge.target
            autonomy = _hours(edge.autonomy_hours, "autonomy of {} → {}", current, target)
            candidate = base + (autonomy or 0.0)
            known = distance.get(target)
            if known is None or candidate < known or (
                    candidate == known and order[current] < order[previous[target]]):
                distance[target] = candidate
                previous[target] = current
                heapq.heappush(heap, (candidate, order[target], target))
    if node not in distance:
        return None
    path = [node]
    while path[-1] != activity:
        path.append(previous[path[-1]])
    return path[::-1], distance[node]
