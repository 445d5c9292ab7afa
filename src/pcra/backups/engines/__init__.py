"""Adapters for the backup engines (restic, borg): snapshots, repository info, checks.

Pure Python (no Django): each adapter runs the engine's binary with the secret in the child's
environment and turns every failure into an :class:`EngineError` with a stable ``code``.
"""

from __future__ import annotations

import os

from .base import CODES, CheckResult, Engine, EngineError, RepositoryInfo, Snapshot
from .borg import BorgEngine
from .restic import ResticEngine

ENGINES = ("restic", "borg")

__all__ = [
    "CODES",
    "ENGINES",
    "BorgEngine",
    "CheckResult",
    "Engine",
    "EngineError",
    "RepositoryInfo",
    "ResticEngine",
    "Snapshot",
    "engine_for",
]


def engine_for(
    name: str,
    repository: str,
    secret: str,
    timeout: float = 600.0,
    *,
    binary: str | None = None,
    home: str | os.PathLike[str] | None = None,
) -> ResticEngine | BorgEngine:
    """The adapter for engine ``name`` ("restic" or "borg"); ValueError for any other name."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key == "restic":
        return ResticEngine(repository, secret, timeout=timeout, binary=binary or "restic",
                            home=home)
    if key == "borg":
        return BorgEngine(repository, secret, timeout=timeout, binary=binary or "borg",
                          home=home)
    raise ValueError(f"unknown backup engine {name!r}: expected one of {', '.join(ENGINES)}")
