"""Child processes of a restore test: run, watch, stop (no Django).

Same hygiene as :func:`pcra.backups.engines.base.run` (new session, stdin=/dev/null, the secret
only in the environment, the engine's own stop signal then SIGKILL), plus what a long restore
needs: output read line by line while the command runs (listings are parsed as they stream),
cancellation polled while waiting, one deadline for the whole test, and a periodic tick for the
progress reports.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from pcra.backups.engines.base import (
    KILL_GRACE_SECONDS,
    EngineError,
    display_repository,
    redact,
)

from .model import Progress

# How often the waiting loop wakes up (process exit, progress tick) and polls should_cancel.
WAKE_SECONDS = 0.1
CANCEL_POLL_SECONDS = 0.25
# Progress reports inside a phase: at most one per this many seconds (phase changes: at once).
PROGRESS_SECONDS = 1.0
# Bytes of a command's output kept for messages (head and tail); parsers see everything.
CAPTURE_HEAD = 256 * 1024
CAPTURE_TAIL = 64 * 1024
# Seconds a finished command's output pipes may stay open (a grandchild holding them).
DRAIN_SECONDS = 5.0


class Stopped(Exception):
    """The test must stop: cancelled, or out of time. ``step`` is where it happened."""

    def __init__(self, step: str):
        super().__init__(step)
        self.step = step


class Cancelled(Stopped):
    pass


class TimedOut(Stopped):
    pass


class LimitReached(Exception):
    """A command exceeded its own time limit (the probe's), not the whole test's."""


class Control:
    """Deadline, cancellation and throttled progress reports of one test."""

    def __init__(
        self,
        timeout: float,
        *,
        should_cancel: Callable[[], bool] | None = None,
        progress: Callable[[Progress], None] | None = None,
    ):
        self.started = time.monotonic()
        self.timeout = timeout
        self.deadline = self.started + timeout
        self.step = ""
        self._should_cancel = should_cancel
        self._progress = progress
        self._cancelled = False
        self._last_cancel_poll = -math.inf
        self._last_report = -math.inf
        self._phase = ""
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def cancelled(self, *, force: bool = False) -> bool:
        """should_cancel(), asked at most every CANCEL_POLL_SECONDS (errors in it are ignored)."""
        if self._cancelled or self._should_cancel is None:
            return self._cancelled
        now = time.monotonic()
        if force or now - self._last_cancel_poll >= CANCEL_POLL_SECONDS:
            self._last_cancel_poll = now
            try:
                self._cancelled = bool(self._should_cancel())
            except Exception:  # noqa: BLE001 - a broken callback must not kill the test
                self._cancelled = False
        return self._cancelled

    def poll(self, *, force: bool = False) -> None:
        """Raise Cancelled or TimedOut when the test must stop now."""
        if self.cancelled(force=force):
            raise Cancelled(self.step)
        if time.monotonic() >= self.deadline:
            raise TimedOut(self.step)

    def due(self, phase: str) -> bool:
        """Whether a report of ``phase`` would be passed on now (to skip costly measures)."""
        return self._progress is not None and (
            phase != self._phase or time.monotonic() - self._last_report >= PROGRESS_SECONDS)

    def report(
        self,
        phase: str,
        bytes_done: int = 0,
        bytes_total: int = 0,
        files_done: int = 0,
        files_total: int = 0,
    ) -> None:
        """Call the progress callback: at once on a phase change, else at most once a second."""
        if self._progress is None:
            return
        with self._lock:
            now = time.monotonic()
            if phase == self._phase and now - self._last_report < PROGRESS_SECONDS:
                return
            self._phase = phase
            self._last_report = now
        with contextlib.suppress(Exception):  # a broken callback must not kill the test
            self._progress(Progress(phase, max(int(bytes_done), 0), max(int(bytes_total), 0),
                                    max(int(files_done), 0), max(int(files_total), 0)))


class _Capture:
    """The head and the tail of a stream, for messages."""

    def __init__(self, head: int = CAPTURE_HEAD, tail: int = CAPTURE_TAIL):
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0
        self._head_limit = head
        self._tail_limit = tail

    def add(self, data: bytes) -> None:
        room = self._head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            extra = len(self.tail) - self._tail_limit
            if extra > 0:
                del self.tail[:extra]
                self.dropped += extra

    def value(self) -> bytes:
        if not self.dropped:
            return bytes(self.head + self.tail)
        return bytes(self.head) + f"\n[... {self.dropped} bytes cut ...]\n".encode() + bytes(
            self.tail)


Handler = Callable[[bytes], None]


class Child:
    """One command of the test, its output read by two threads as it comes."""

    def __init__(
        self,
        argv: Sequence[str | bytes],
        *,
        env: Mapping[str, str],
        engine: str,
        command: str,
        repository: str = "",
        secret: str = "",
        cwd: str | None = None,
        stop_signal: int = signal.SIGTERM,
        on_stdout: Handler | None = None,
        on_stderr: Handler | None = None,
        stdout_separator: bytes = b"\n",
        capture_stdout: bool = True,
        stdout_limit: int = CAPTURE_HEAD,
    ):
        self.argv = list(argv)
        self.env = dict(env)
        self.engine = engine
        self.command = command
        self.repository = repository
        self.secret = secret
        self.cwd = cwd
        self.stop_signal = stop_signal
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.ended = 0.0
        self.handler_error: BaseException | None = None
        self.stopped = False
        # ``stdout_limit``: bytes of stdout kept whole (a JSON document parsed at the end must
        # fit); beyond it only the head and the tail are kept, for messages.
        self._out = _Capture(head=stdout_limit) if capture_stdout else None
        self._err = _Capture()
        self._handlers = (on_stdout, on_stderr)
        self._separator = stdout_separator
        self._threads: list[threading.Thread] = []

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> Child:
        what = f"repository {display_repository(self.repository)}" if self.repository else ""
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                close_fds=True,
            )
        except (FileNotFoundError, NotADirectoryError) as exc:
            program = os.fsdecode(self.argv[0])
            raise EngineError(
                "engine_missing",
                f"The {self.engine} program ({program!r}) was not found, so {what or 'the test'} "
                f"could not be read. Install {self.engine} on this server or fix the configured "
                f"binary path.",
                detail=str(exc),
            ) from exc
        except PermissionError as exc:
            program = os.fsdecode(self.argv[0])
            raise EngineError(
                "engine_missing",
                f"The {self.engine} program ({program!r}) is not executable, so "
                f"{what or 'the test'} could not be read. Fix the file's permissions or the "
                f"configured binary path.",
                detail=str(exc),
            ) from exc
        self.started = time.monotonic()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        for pipe, separator, handler, capture in (
            (self.proc.stdout, self._separator, self._handlers[0], self._out),
            (self.proc.stderr, b"\n", self._handlers[1], self._err),
        ):
            thread = threading.Thread(target=self._pump, args=(pipe, separator, handler, capture),
                                      daemon=True, name=f"pcra-{self.engine}-{self.command}")
            thread.start()
            self._threads.append(thread)
        return self

    def _pump(self, pipe, separator: bytes, handler: Handler | None, capture: _Capture | None):
        pending = b""
        try:
            while True:
                chunk = pipe.read1(1 << 16)
                if not chunk:
                    break
                if capture is not None:
                    capture.add(chunk)
                if handler is None:
                    continue
                pending += chunk
                if separator not in chunk:
                    continue
                records = pending.split(separator)
                pending = records.pop()
                for record in records:
                    self._handle(handler, record)
            if handler is not None and pending:
                self._handle(handler, pending)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                pipe.close()

    def _handle(self, handler: Handler, record: bytes) -> None:
        if self.handler_error is not None:
            return
        try:
            handler(record)
        except BaseException as exc:  # noqa: BLE001 - re-raised by wait() in the main thread
            self.handler_error = exc

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def signal_stop(self) -> None:
        """Send the engine's stop signal to the process group (if the leader still runs)."""
        if self.running:
            self.stopped = True
            self._signal(self.stop_signal)

    def finish_stop(self, grace_until: float) -> None:
        """Wait for a stopped command until ``grace_until``, then SIGKILL its group."""
        assert self.proc is not None
        try:
            self.proc.wait(timeout=max(grace_until - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait()
        self._done()

    def _done(self) -> None:
        if not self.ended:
            self.ended = time.monotonic()
        limit = time.monotonic() + DRAIN_SECONDS
        for thread in self._threads:
            thread.join(max(limit - time.monotonic(), 0.0))
        if any(thread.is_alive() for thread in self._threads):
            # A grandchild holds the pipes open: its group is alive, so its id is not reused.
            self._signal(signal.SIGKILL)
            for thread in self._threads:
                thread.join(1.0)

    # -- results ----------------------------------------------------------------------------

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    @property
    def duration(self) -> float:
        return (self.ended or time.monotonic()) - self.started if self.started else 0.0

    @property
    def stdout(self) -> str:
        data = self._out.value() if self._out is not None else b""
        return redact(data.decode("utf-8", "replace"), self.secret)

    @property
    def stderr(self) -> str:
        return redact(self._err.value().decode("utf-8", "replace"), self.secret)


def stop_all(children: Sequence[Child]) -> None:
    """Stop every command still running: its stop signal, a grace period, then SIGKILL."""
    started = [child for child in children if child.proc is not None]
    for child in started:
        child.signal_stop()
    grace_until = time.monotonic() + KILL_GRACE_SECONDS
    for child in started:
        child.finish_stop(grace_until)


def wait(
    children: Sequence[Child],
    control: Control,
    *,
    tick: Callable[[], None] | None = None,
    limit: float | None = None,
    until: Callable[[], bool] | None = None,
) -> None:
    """Wait until every child exits (or ``until()``), polling cancellation, the deadline, ``limit``.

    On cancellation, timeout (whole test) or ``limit`` (a monotonic time) every child still
    running is stopped and Cancelled / TimedOut / LimitReached is raised. A parser error
    raised in a reader thread is re-raised here.
    """
    children = [child for child in children if child.proc is not None]
    try:
        while True:
            alive = [child for child in children if child.running]
            for child in children:
                if not child.running and not child.ended:
                    child._done()
            if not alive or (until is not None and until()):
                break
            control.poll()
            if limit is not None and time.monotonic() >= limit:
                raise LimitReached()
            if tick is not None:
                tick()
            with contextlib.suppress(subprocess.TimeoutExpired):
                assert alive[0].proc is not None
                alive[0].proc.wait(timeout=WAKE_SECONDS)
    except BaseException:
        stop_all(children)
        raise
    for child in children:
        if child.handler_error is not None and not child.running:
            raise child.handler_error


def run_one(child: Child, control: Control, *, tick: Callable[[], None] | None = None) -> Child:
    """Start ``child`` and wait for it (see :func:`wait`)."""
    control.poll(force=True)
    child.start()
    wait([child], control, tick=tick)
    return child
