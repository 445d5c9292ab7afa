"""State shared by the steps of one restore test (no Django)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pcra.backups.engines.base import EngineError, display_repository

from .model import Step, TestSpec
from .process import Control, Stopped
from .sandbox import Sandbox
from .verify import FileEntry, Listing


class Failure(Exception):
    """The test failed: ``code`` (a TestResult error_code) and clear English sentences."""

    def __init__(self, code: str, errors: list[str] | str, detail: str = ""):
        errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(errors[0] if errors else code)
        self.code = code
        self.errors = errors
        self.detail = detail or (errors[0] if errors else "")


@dataclass
class SnapshotInfo:
    id: str
    name: str  # restic short id, borg archive name
    time: datetime | None


@dataclass
class StepRecord:
    name: str
    ok: bool = True
    detail: str = ""
    duration: float | None = None  # measured by the body (concurrent commands), else the block


@dataclass
class Session:
    spec: TestSpec
    control: Control
    sandbox: Sandbox
    home: str
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    code: str = ""
    engine_version: str = ""
    snapshot: SnapshotInfo | None = None
    listing: Listing | None = None
    selection: list[FileEntry] = field(default_factory=list)
    bytes_restored: int = 0
    files_restored: int = 0
    files_verified: int = 0
    restore_started: float | None = None
    restore_ended: float | None = None
    restore_completed: bool = False  # the restore and its verification ran to their end
    probe: dict | None = None

    @property
    def where(self) -> str:
        return display_repository(self.spec.repository)

    @property
    def snapshot_label(self) -> str:
        snap = self.snapshot
        if snap is None:
            return "the snapshot"
        noun = "snapshot" if self.spec.engine == "restic" else "archive"
        return f"{noun} {snap.name}"

    def fail(self, code: str, errors: list[str] | str) -> None:
        """Record errors without stopping (the first code found wins)."""
        errors = [errors] if isinstance(errors, str) else errors
        if not self.code:
            self.code = code
        self.errors.extend(errors)

    def add_step(self, name: str, ok: bool, duration: float, detail: str) -> None:
        self.steps.append(Step(name, ok, round(max(duration, 0.0), 3), detail))

    @contextlib.contextmanager
    def step(self, name: str, phase: str, *, bytes_total: int = 0,
             files_total: int = 0) -> Iterator[StepRecord]:
        """Run a step: its Step is recorded whatever happens, with the time it took."""
        self.control.step = name
        self.control.report(phase, 0, bytes_total, 0, files_total)
        record = StepRecord(name)
        started = time.monotonic()
        try:
            yield record
        except Stopped as exc:
            record.ok = False
            record.detail = record.detail or (
                f"The {name} step was stopped "
                f"({'cancelled' if type(exc).__name__ == 'Cancelled' else 'out of time'}).")
            raise
        except Failure as exc:
            record.ok = False
            record.detail = exc.detail
            raise
        except EngineError as exc:
            record.ok = False
            record.detail = exc.message
            raise
        except BaseException as exc:
            record.ok = False
            record.detail = f"The {name} step stopped on an unexpected error: {exc}"
            raise
        finally:
            duration = record.duration if record.duration is not None else (
                time.monotonic() - started)
            self.add_step(name, record.ok, duration, record.detail)
