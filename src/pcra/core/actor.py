"""Who is acting right now, for the audit log: a web user, a CLI command or a background job."""

from __future__ import annotations

import contextlib
import contextvars
import getpass
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("pcra_actor", default=None)


def current_actor() -> Actor:
    actor = _current.get()
    if actor is not None:
        return actor
    try:
        who = getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry
        who = "unknown"
    return Actor(user_id=None, label=f"system:{who}")


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def actor_for_user(user) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(user_id=None, label="anonymous")
    return Actor(user_id=user.pk, label=user.get_username())
