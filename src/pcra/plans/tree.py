"""The contact tree in reading order (plain Python): each person after the one who alerts them,
indented one step further. Used by the directory page and by the binder."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def tree_order(items: Sequence[T], key: Callable[[T], Hashable],
               parent: Callable[[T], Hashable | None]) -> list[tuple[int, T]]:
    """``(depth, item)`` in tree order. An item whose parent is not listed starts a branch;
    items caught in a cycle are never left out (the first of them starts a branch)."""
    listed = {key(item) for item in items}
    children: dict[Hashable | None, list[T]] = {}
    for item in items:
        up = parent(item)
        children.setdefault(up if up in listed else None, []).append(item)
    out: list[tuple[int, T]] = []
    seen: set[Hashable] = set()
    stack = [(0, item) for item in reversed(children.get(None, []))]
    while True:
        while stack:
            depth, item = stack.pop()
            if key(item) in seen:
                continue
            seen.add(key(item))
            out.append((depth, item))
            stack.extend((depth + 1, k) for k in reversed(children.get(key(item), [])))
        missed = [item for item in items if key(item) not in seen]
        if not missed:
            return out
        stack = [(0, missed[0])]
