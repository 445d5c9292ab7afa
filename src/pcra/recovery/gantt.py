"""The layout of a plan's Gantt chart (plain Python; the template draws it as SVG).

One band per team, with as many lanes as it ran restores at once (intervals packed greedily,
in start order, into the first free lane), one band for what outside parties bring back, and
one line per activity: a bar from the start of the crisis to the moment it is back, its DMIA
marked. Times are minutes; x positions are in the chart's own units (``WIDTH`` wide).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

WIDTH = 1000
LABEL_WIDTH = 180
LANE_HEIGHT = 18
BAND_GAP = 10
TICK_STEPS = (15, 30, 60, 120, 240, 360, 720, 1440, 2880, 10080)


@dataclass
class Bar:
    code: str
    title: str
    start: int
    end: int
    x: float
    width: float
    y: float
    kind: str  # restore / external / activity
    visible: bool
    late: bool = False
    due_x: float | None = None

    @property
    def fill(self) -> str:
        """The bar's colour, as an SVG attribute (the PDF renderer ignores CSS inside SVG)."""
        if not self.visible:
            return "#b8c2cb"
        if self.kind == "activity":
            return "#d9534f" if self.late else "#7fb59c"
        return "#9a7bd0" if self.kind == "external" else "#2f7f93"


@dataclass
class Band:
    title: str
    y: float
    height: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: float
    label_width: int
    horizon: int
    ticks: list[tuple[float, int]]
    bands: list[Band]


@dataclass(frozen=True)
class Item:
    """What the chart needs of one task."""

    code: str
    title: str
    start: int
    end: int
    kind: str  # restore / external / milestone
    team: str
    node_type: str
    visible: bool
    due: int | None = None


def lanes(items: list[Item]) -> list[int]:
    """The lane of each item (in the given order): intervals in start order, each in the lowest
    free lane, so a team with capacity c never uses more than c lanes."""
    order = sorted(range(len(items)), key=lambda i: (items[i].start, items[i].end, i))
    free: list[int] = []  # lane numbers
    busy: list[tuple[int, int]] = []  # (end, lane)
    count = 0
    result = [0] * len(items)
    for index in order:
        item = items[index]
        while busy and busy[0][0] <= item.start:
            _, lane = heapq.heappop(busy)
            heapq.heappush(free, lane)
        if free:
            lane = heapq.heappop(free)
        else:
            lane = count
            count += 1
        result[index] = lane
        heapq.heappush(busy, (item.end, lane))
    return result


def ticks(horizon: int, target: int = 10) -> tuple[int, list[int]]:
    """A tick step (minutes) giving about ``target`` ticks, and the ticks from 0."""
    step = next((s for s in TICK_STEPS if horizon / s <= target), TICK_STEPS[-1])
    while horizon / step > target * 2:
        step *= 2
    return step, list(range(0, horizon + 1, step))


def layout(items: Iterable[Item], *, outside_title: str, activities_title: str) -> Chart:
    items = list(items)
    # The plan's span sets the scale; a DMIA beyond it is not drawn (the table gives it).
    horizon = max([i.end for i in items] + [60])
    step, marks = ticks(horizon)
    horizon = max(horizon, marks[-1] + (step if marks[-1] < horizon else 0))
    scale = (WIDTH - LABEL_WIDTH) / horizon

    def x(minutes: int) -> float:
        return LABEL_WIDTH + minutes * scale

    bands: list[Band] = []
    y = 0.0
    groups: dict[str, list[Item]] = {}
    for item in items:
        if item.kind == "restore":
            groups.setdefault(item.team, []).append(item)
    external = [i for i in items if i.kind == "external"]
    named = [(team, groups[team]) for team in sorted(groups)]
    if external:
        named.append((outside_title, external))
    for title, members in named:
        members.sort(key=lambda i: (i.start, i.code))
        assigned = lanes(members)
        height = (max(assigned) + 1) * LANE_HEIGHT
        band = Band(title, y, height)
        for item, lane in zip(members, assigned, strict=True):
            band.bars.append(Bar(item.code, item.title, item.start, item.end, x(item.start),
                                 max(1.0, (item.end - item.start) * scale),
                                 y + lane * LANE_HEIGHT, item.kind, item.visible))
        bands.append(band)
        y += height + BAND_GAP
    activities = sorted((i for i in items if i.node_type == "activity" and i.visible),
                        key=lambda i: (i.end, i.code))
    if activities:
        # The band's title on a line of its own, then one line per activity.
        band = Band(activities_title, y, (len(activities) + 1) * LANE_HEIGHT)
        for row, item in enumerate(activities, start=1):
            late = item.due is not None and item.end > item.due
            shown_due = item.due is not None and item.due <= horizon
            band.bars.append(Bar(item.code, item.title, 0, item.end, x(0),
                                 max(1.0, item.end * scale), y + row * LANE_HEIGHT, "activity",
                                 True, late=late, due_x=x(item.due) if shown_due else None))
        bands.append(band)
        y += band.height
    return Chart(WIDTH, y, LABEL_WIDTH, horizon, [(x(m), m) for m in marks], bands)
