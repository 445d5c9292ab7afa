"""Shared types and the process runner of the backup engine adapters (no Django import).

An adapter runs the engine's own binary (restic, borg) as a child process:

* the secret and the repository location travel in the child's environment, never in argv;
* the environment is minimal and stable (PATH, a private HOME, C locale, TZ=UTC);
* the child runs in its own session (no controlling terminal, so ssh cannot prompt), with
  stdin=/dev/null; on timeout the whole process group gets the signal that makes the engine
  remove its lock (restic: SIGINT; borg: SIGTERM), then SIGKILL after a short grace period;
* every failure becomes an :class:`EngineError` whose ``code`` comes from one ordered table of
  stderr patterns per engine (restic 0.14 and borg 1.2 have no specific exit codes).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

CODES = (
    "wrong_password",
    "repository_not_found",
    "repository_locked",
    "unreachable",
    "permission_denied",
    "timeout",
    "engine_missing",
    "garbled_output",
    "failed",
)

DETAIL_LIMIT = 2000
OUTPUT_LIMIT = 20000
MAX_ERRORS = 50
# Seconds granted to an interrupted engine to remove its lock before SIGKILL.
KILL_GRACE_SECONDS = 3.0


class EngineError(Exception):
    """A backup engine could not do what was asked.

    ``code`` is one of :data:`CODES`; ``message`` is a clear English sentence naming the
    repository, what is wrong and what to do; ``detail`` is an excerpt of the engine's stderr.
    """

    def __init__(self, code: str, message: str, *, detail: str = ""):
        if code not in CODES:
            raise ValueError(f"unknown engine error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = excerpt(detail, DETAIL_LIMIT)

    def __repr__(self) -> str:
        return f"EngineError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Snapshot:
    id: str
    name: str
    time: datetime
    hostname: str = ""
    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    size_bytes: int | None = None
    file_count: int | None = None


@dataclass(frozen=True)
class RepositoryInfo:
    encrypted: bool | None
    encryption: str
    total_size_bytes: int | None
    snapshot_count: int


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    error_count: int
    errors: tuple[str, ...]
    subset: tuple[int, int] | None
    read_data: bool
    duration_seconds: float
    output: str


class Engine(Protocol):
    name: str

    def snapshots(self) -> list[Snapshot]: ...

    def info(self) -> RepositoryInfo: ...

    def check(
        self, *, subset: tuple[int, int] | None = None, read_data: bool = True
    ) -> CheckResult: ...


@dataclass(frozen=True)
class ErrorPattern:
    """One row of an engine's stderr classification table (first match wins)."""

    code: str
    regex: re.Pattern[str]
    hint: str


def pattern(code: str, regex: str, hint: str) -> ErrorPattern:
    assert code in CODES, code
    return ErrorPattern(code, re.compile(regex, re.IGNORECASE | re.MULTILINE), hint)


def classify(text: str, table: Sequence[ErrorPattern]) -> ErrorPattern | None:
    for row in table:
        if row.regex.search(text):
            return row
    return None


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes
    duration: float


# ---------------------------------------------------------------------------------------------
# Text helpers


def excerpt(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, keeping its head and its tail."""
    if len(text) <= limit:
        return text
    marker = f"\n[... {len(text) - limit} characters cut ...]\n"
    keep = max(limit - len(marker), 0)
    head = keep // 2
    return text[:head] + marker + text[len(text) - (keep - head):]


_USERINFO = re.compile(r"(://[^/@\s:]*):[^/@\s]*@")


def display_repository(repository: str) -> str:
    """The repository location for messages, without a password embedded in a URL."""
    return repr(_USERINFO.sub(r"\1:***@", repository))


def redact(text: str, secret: str) -> str:
    if len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value: Any) -> datetime:
    """An aware UTC datetime from an ISO 8601 / RFC 3339 string (any fraction length).

    A time without offset is taken as UTC (the adapters run the engines with TZ=UTC).
    """
    if not isinstance(value, str):
        raise ValueError(f"not a time string: {value!r}")
    match = _TIME.match(value.strip())
    if not match:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    date, clock, fraction, offset = match.groups()
    text = f"{date}T{clock}"
    if fraction:
        text += "." + fraction[:6].ljust(6, "0")
    if offset and offset != "Z":
        text += offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Process runner


@contextlib.contextmanager
def private_home(home: str | os.PathLike[str] | None) -> Iterator[str]:
    """The HOME given to the child: ``home`` if given (created), else a throw-away directory."""
    if home is not None:
        path = Path(home)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="pcra-engine-") as tmp:
        yield tmp


def base_environment(home: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH") or os.defpath,
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "TZ": "UTC",
    }
    if os.environ.get("TMPDIR"):
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    engine: str,
    command: str,
    repository: str,
    secret: str = "",
    stop_signal: int = signal.SIGINT,
) -> RunResult:
    """Run one engine command; raise ``engine_missing`` or ``timeout`` EngineErrors.

    On timeout the process group gets ``stop_signal`` (the one that makes the engine remove
    its lock), then SIGKILL after :data:`KILL_GRACE_SECONDS`.
    """
    where = display_repository(repository)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
            close_fds=True,
        )
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise EngineError(
            "engine_missing",
            f"The {engine} program ({argv[0]!r}) was not found, so repository {where} could "
            f"not be read. Install {engine} on this server or fix the configured binary path.",
            detail=str(exc),
        ) from exc
    except PermissionError as exc:
        raise EngineError(
            "engine_missing",
            f"The {engine} program ({argv[0]!r}) is not executable, so repository {where} "
            f"could not be read. Fix the file's permissions or the configured binary path.",
            detail=str(exc),
        ) from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, stop_signal)
        try:
            out, err = proc.communicate(timeout=KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        # Children that ignored SIGINT (ssh...) share the group: the group id cannot be reused
        # while one of them lives, so this cannot hit an unrelated process.
        _signal_group(proc.pid, signal.SIGKILL)
        stderr = redact(err.decode("utf-8", "replace"), secret)
        raise EngineError(
            "timeout",
            f"{engine} {command} on repository {where} did not finish within {timeout:g} "
            f"seconds and was stopped. Check that the storage is reachable and responsive, "
            f"or allow a longer timeout for this repository.",
            detail=stderr,
        ) from None
    return RunResult(
        returncode=proc.returncode,
        stdout=redact(out.decode("utf-8", "replace"), secret),
        stderr=redact(err.decode("utf-8", "replace"), secret),
        stdout_bytes=out,
        duration=time.monotonic() - started,
    )


def load_json(result: RunResult, *, engine: str, command: str, repository: str) -> Any:
    """The JSON document printed on stdout, or a ``garbled_output`` EngineError."""
    try:
        return json.loads(result.stdout_bytes)
    except (ValueError, UnicodeDecodeError):
        raise garbled(result, engine=engine, command=command, repository=repository) from None


def garbled(
    result: RunResult, *, engine: str, command: str, repository: str, why: str = ""
) -> EngineError:
    first = result.stdout_bytes.lstrip()[:80]
    what = f"printed {first!r}" if first else "printed nothing"
    why = f" ({why})" if why else ""
    return EngineError(
        "garbled_output",
        f"{engine} {command} on repository {display_repository(repository)} did not print the "
        f"JSON expected{why}: it {what}. Check that {engine} is a supported version.",
        detail=result.stderr,
    )


def failure(
    result: RunResult,
    table: Sequence[ErrorPattern],
    *,
    engine: str,
    command: str,
    repository: str,
    text: str | None = None,
    detail: str | None = None,
) -> EngineError:
    """The EngineError for a failed command, classified from ``text`` (default: stderr)."""
    text = result.stderr if text is None else text
    detail = result.stderr if detail is None else detail
    where = display_repository(repository)
    row = classify(text, table)
    if row is not None:
        return EngineError(
            row.code, f"{engine} {command} failed on repository {where}: {row.hint}",
            detail=detail,
        )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else "no message"
    return EngineError(
        "failed",
        f"{engine} {command} failed on repository {where} (exit status {result.returncode}): "
        f"{excerpt(first, 300)}. Read the engine's output below and fix the cause.",
        detail=detail,
    )


def validate_subset(subset: tuple[int, int] | None) -> tuple[int, int] | None:
    if subset is None:
        return None
    try:
        n, t = subset
    except (TypeError, ValueError):
        raise ValueError(f"subset must be a pair (n, t), not {subset!r}") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, t)):
        raise ValueError(f"subset must hold two integers, not {subset!r}")
    if not 1 <= n <= t:
        raise ValueError(f"subset {n}/{t} is invalid: 1 <= n <= t is required")
    return (n, t)
