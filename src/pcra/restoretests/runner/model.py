"""The restore test's input (TestSpec), progress reports (Progress) and result (TestResult)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pcra.backups.engines.base import CODES

SANDBOX_PREFIX = "pcra-restore-"
ENGINES = ("restic", "borg")
SCOPES = ("full", "sample")
LEVELS = (1, 2, 3)
PHASES = ("check", "listing", "space", "restoring", "verifying", "probe", "cleanup")
STEPS = ("check", "listing", "space", "restore", "verify", "probe")
STATUSES = ("passed", "failed", "cancelled")
# Every error_code a TestResult can carry ("" when passed).
ERROR_CODES = (
    *CODES, "damaged", "missing_snapshot", "disk_space", "probe_failed", "cancelled", "internal",
)


@dataclass(frozen=True)
class TestSpec:
    """What to test. ``secret`` travels only in the engine's environment (never in argv)."""

    __test__ = False  # not a pytest test class

    engine: str  # "restic" | "borg"
    repository: str  # path or URL (no secret)
    secret: str = field(repr=False)  # repository password / passphrase
    sandbox_root: str  # existing directory; the runner creates a fresh sandbox inside it
    level: int = 2  # 1, 2 or 3 (cumulative)
    snapshot: str = ""  # restic snapshot id / short id, borg archive name; "" = newest
    scope: str = "full"  # "full" | "sample"
    sample_files: int | None = None  # scope=sample: this many files...
    sample_percent: float | None = None  # ...or this share of the files (0 < p <= 100)
    seed: int = 0  # the sample is deterministic for (snapshot, seed)
    probe_command: str = ""  # level 3: shlex-split, no shell; "{sandbox}" = restored data dir
    probe_expect: str = ""  # optional regex the probe's stdout must match (re.search, MULTILINE)
    probe_timeout: float = 300.0
    timeout: float = 3600.0  # the whole test; each engine command gets what remains
    reserve_bytes: int = 0  # free space to keep on the sandbox's filesystem beyond the restore
    binary: str = ""  # engine binary ("" = "restic" / "borg" on PATH)
    home: str = ""  # private HOME for the engine ("" = a throw-away one inside the sandbox)


# Share of the overall progress at which each phase starts; "restoring" and "verifying" advance
# inside their share with the bytes (else the files) done.
_PHASE_SPAN = {
    "check": (0.0, 0.02),
    "listing": (0.02, 0.05),
    "space": (0.05, 0.05),
    "restoring": (0.05, 0.80),
    "verifying": (0.80, 0.97),
    "probe": (0.97, 0.99),
    "cleanup": (0.99, 0.99),
}


@dataclass(frozen=True)
class Progress:
    phase: str  # one of PHASES
    bytes_done: int
    bytes_total: int  # 0 = unknown
    files_done: int
    files_total: int  # 0 = unknown

    @property
    def fraction(self) -> float | None:
        """Overall progress of the test, 0..1, or None when the phase's size is unknown."""
        span = _PHASE_SPAN.get(self.phase)
        if span is None:
            return None
        start, end = span
        if end == start:
            return start
        if self.bytes_total > 0:
            part = self.bytes_done / self.bytes_total
        elif self.files_total > 0:
            part = self.files_done / self.files_total
        elif self.phase in ("check", "listing"):
            part = 0.0
        else:
            return None
        return start + (end - start) * min(max(part, 0.0), 1.0)


@dataclass(frozen=True)
class Step:
    name: str  # one of STEPS
    ok: bool
    duration_seconds: float
    detail: str  # one clear English sentence


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    status: str  # "passed" | "failed" | "cancelled"
    errors: tuple[str, ...]  # empty iff passed
    error_code: str  # "" when passed, else one of ERROR_CODES
    level: int
    scope: str
    snapshot_id: str
    snapshot_time: datetime | None  # aware UTC
    snapshot_bytes: int | None  # size of all files of the snapshot (what a full restore writes)
    snapshot_files: int | None  # regular files in the snapshot
    bytes_restored: int
    files_restored: int
    files_verified: int  # files whose content was verified against what the snapshot recorded
    duration_seconds: float  # whole test, wall clock
    restore_seconds: float  # restore + verification of the content
    throughput_bytes_per_second: float | None  # bytes_restored / restore_seconds
    extrapolated_full_seconds: float | None
    probe: dict | None  # command, exit_code, stdout, stderr, duration_seconds, ok
    steps: tuple[Step, ...]
    sandbox_removed: bool
    engine_version: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (times in ISO 8601, tuples as lists)."""
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif item.name == "steps":
                value = [dataclasses.asdict(step) for step in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            data[item.name] = value
        return data
