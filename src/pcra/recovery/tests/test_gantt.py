"""The Gantt layout (plain Python): lanes never exceed what ran at once, every bar inside the
chart, DMIA marks beyond the plan's span left out."""

from __future__ import annotations

import random

import pytest

from pcra.recovery.gantt import LABEL_WIDTH, WIDTH, Item, lanes, layout, ticks

pytestmark = pytest.mark.no_db


def item(code, start, end, team="T", kind="restore", node_type="component", due=None):
    return Item(code, code, start, end, kind, team, node_type, True, due)


def test_lanes_pack_overlapping_intervals_without_collision():
    rng = random.Random(3)
    items = []
    for i in range(200):
        start = rng.randrange(0, 500)
        items.append(item(f"t{i}", start, start + rng.randrange(1, 60)))
    assigned = lanes(items)
    by_lane: dict[int, list[Item]] = {}
    for it, lane in zip(items, assigned, strict=True):
        by_lane.setdefault(lane, []).append(it)
    for members in by_lane.values():
        members.sort(key=lambda i: i.start)
        assert all(a.end <= b.start for a, b in zip(members, members[1:], strict=False))
    # As many lanes as the most intervals running at one instant, no more.
    peak = max(sum(1 for i in items if i.start <= t < i.end) for t in range(600))
    assert max(assigned) + 1 == peak


def test_layout_keeps_bars_inside_and_drops_far_dmia_marks():
    items = [item("A", 0, 120, team="Système"), item("B", 60, 180, team="Système"),
             item("EXT", 0, 240, team="", kind="external"),
             item("URG", 0, 180, kind="milestone", node_type="activity", due=60),
             item("ADM", 0, 240, kind="milestone", node_type="activity", due=43200)]
    chart = layout(items, outside_title="Outside", activities_title="Activities")
    assert [band.title for band in chart.bands] == ["Système", "Outside", "Activities"]
    bars = [bar for band in chart.bands for bar in band.bars]
    assert all(LABEL_WIDTH <= bar.x and bar.x + bar.width <= WIDTH + 0.01 for bar in bars)
    system = chart.bands[0]
    assert system.height == 2 * 18  # A and B overlap: two lanes
    urg, adm = (next(b for b in bars if b.code == c) for c in ("URG", "ADM"))
    assert urg.late and urg.due_x is not None and not adm.late and adm.due_x is None
    assert chart.ticks[0] == (LABEL_WIDTH, 0)


def test_ticks_step_gives_a_readable_count():
    for horizon in (60, 500, 3000, 20000, 200000):
        step, marks = ticks(horizon)
        assert 2 <= len(marks) <= 21 and marks[0] == 0 and step in {15, 30, 60, 120, 240, 360,
                                                                   720, 1440, 2880} | {
            10080 * 2 ** k for k in range(8)}
