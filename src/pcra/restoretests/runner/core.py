"""run_test: one restore test, from the repository check to the removed sandbox (no Django)."""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections.abc import Callable

from pcra.backups.engines.base import EngineError, excerpt

from .borg import BorgRun
from .model import ENGINES, LEVELS, SCOPES, Progress, TestResult, TestSpec
from .probe import probe_argv, run_probe
from .process import Cancelled, Control, TimedOut
from .restic import ResticRun
from .sandbox import Sandbox, human_bytes
from .session import Failure, Session
from .verify import choose_sample


def _validate(spec: TestSpec) -> None:
    """Refuse a spec that cannot be run, before touching anything (Failure)."""
    problems = []
    if spec.engine not in ENGINES:
        problems.append(f"the engine must be one of {', '.join(ENGINES)}, not {spec.engine!r}")
    if not spec.repository:
        problems.append("no repository is given")
    if spec.level not in LEVELS:
        problems.append(f"the level must be 1, 2 or 3, not {spec.level!r}")
    if spec.scope not in SCOPES:
        problems.append(f"the scope must be 'full' or 'sample', not {spec.scope!r}")
    if spec.scope == "sample":
        count, percent = spec.sample_files, spec.sample_percent
        if (count is None) == (percent is None):
            problems.append("a sample needs either a number of files or a percentage (one of "
                            "them)")
        elif count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                    or count < 1):
            problems.append(f"the number of files of a sample must be 1 or more, not {count!r}")
        elif percent is not None and not (isinstance(percent, int | float)
                                          and 0 < percent <= 100):
            problems.append(f"the percentage of a sample must be above 0 and at most 100, not "
                            f"{percent!r}")
    if not (isinstance(spec.timeout, int | float) and spec.timeout > 0):
        problems.append(f"the time limit must be positive, not {spec.timeout!r}")
    if not (isinstance(spec.reserve_bytes, int) and spec.reserve_bytes >= 0):
        problems.append(f"the space to keep free must be 0 or more bytes, not "
                        f"{spec.reserve_bytes!r}")
    if problems:
        raise Failure("internal", f"The restore test cannot run: {'; '.join(problems)}.")
    if spec.level == 3:
        try:
            probe_argv(spec.probe_command, "/")
        except ValueError as exc:
            raise Failure("probe_failed", f"The probe command {spec.probe_command!r} cannot be "
                                          f"run: {exc}.") from None
        if not (isinstance(spec.probe_timeout, int | float) and spec.probe_timeout > 0):
            raise Failure("probe_failed", f"The probe's time limit must be positive, not "
                                          f"{spec.probe_timeout!r}.")
        try:
            re.compile(spec.probe_expect)
        except re.error as exc:
            raise Failure("probe_failed", f"The probe's expected output {spec.probe_expect!r} "
                                          f"is not a valid regular expression: {exc}.") from None
    if not os.path.isdir(spec.sandbox_root):
        raise Failure("failed", f"The sandbox directory {spec.sandbox_root!r} does not exist or "
                                f"is not a directory; create it or fix the configured sandbox "
                                f"directory.")


def _space(s: Session, need: int) -> None:
    with s.step("space", "space") as record:
        free = shutil.disk_usage(s.sandbox.path).free
        reserve = s.spec.reserve_bytes
        what = "the restore" if s.spec.scope == "full" else "the sample's restore"
        if need + reserve > free:
            raise Failure(
                "disk_space",
                f"Not enough free space to restore {s.snapshot_label}: {what} needs "
                f"{human_bytes(need)} plus {human_bytes(reserve)} to keep free, but only "
                f"{human_bytes(free)} are free on the sandbox's filesystem "
                f"({s.spec.sandbox_root!r}); nothing was restored.")
        record.detail = (f"{what.capitalize()} needs {human_bytes(need)} plus "
                         f"{human_bytes(reserve)} to keep free; {human_bytes(free)} are free on "
                         f"the sandbox's filesystem.")


def _run(s: Session) -> None:
    spec = s.spec
    engine = ResticRun(s) if spec.engine == "restic" else BorgRun(s)
    s.control.step = "check"
    s.control.report("check")
    version = engine.version()
    if version:
        s.engine_version = version
    engine.check_and_list()
    if spec.level == 1:
        return
    assert s.listing is not None and s.snapshot is not None
    sample = spec.scope == "sample"
    files = s.listing.files
    if not files:
        # An empty backup (a mount missing when it ran…) restores nothing: it proves nothing.
        raise Failure("damaged", f"{s.snapshot_label} holds no file: there is nothing to "
                                 f"restore and verify. Check what this backup was supposed to "
                                 f"hold (a source missing or not mounted when it ran?).")
    if sample:
        files = choose_sample(files, snapshot_id=s.snapshot.id, seed=spec.seed,
                              count=spec.sample_files, percent=spec.sample_percent)
    s.selection = files
    _space(s, sum(entry.size for entry in files))
    engine.restore(files, sample=sample)
    if spec.level == 3 and not s.errors:
        run_probe(s)


def _scrub(value, secret: str):
    """``value`` (str, list, tuple, dict) with the secret replaced by ***."""
    if len(secret) < 4:
        return value
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, secret) for item in value)
    if isinstance(value, dict):
        return {key: _scrub(item, secret) for key, item in value.items()}
    return value


def run_test(
    spec: TestSpec,
    *,
    progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> TestResult:
    """Test one snapshot for real; never raises for what can go wrong with the repository,
    the sandbox or the probe (see the package's documentation)."""
    timeout = spec.timeout if isinstance(spec.timeout, int | float) and spec.timeout > 0 else 1.0
    control = Control(timeout, should_cancel=should_cancel, progress=progress)
    sandbox: Sandbox | None = None
    session: Session | None = None
    status = "failed"
    code = ""
    errors: list[str] = []
    sandbox_removed = True

    def fail(new_code: str, new_errors: list[str]) -> None:
        nonlocal code
        if session is not None:
            session.fail(new_code, new_errors)
        else:
            code = code or new_code
            errors.extend(new_errors)

    try:
        try:
            _validate(spec)
            try:
                sandbox = Sandbox.create(spec.sandbox_root)
            except OSError as exc:
                raise Failure("failed", f"No sandbox could be created in {spec.sandbox_root!r}: "
                                        f"{exc.strerror or exc}. Check that the directory is "
                                        f"writable by the account running the tests.") from None
            home = spec.home or sandbox.home
            if spec.home:
                os.makedirs(spec.home, mode=0o700, exist_ok=True)
            session = Session(spec=spec, control=control, sandbox=sandbox, home=home)
            _run(session)
        except Failure as exc:
            fail(exc.code, exc.errors)
        except EngineError as exc:
            said = [line.strip() for line in exc.detail.splitlines() if line.strip()]
            extra = [f"The engine said: {excerpt(said[0], 300)}"] if (
                exc.code == "failed" and said and said[0] not in exc.message) else []
            fail(exc.code, [exc.message, *extra])
        except Cancelled as exc:
            status = "cancelled"
            fail("cancelled", [f"The restore test was cancelled during the {exc.step or 'first'} "
                               f"step; nothing more was done."])
        except TimedOut as exc:
            fail("timeout", [f"The restore test exceeded its time limit of {timeout:g} seconds "
                             f"during the {exc.step or 'first'} step and was stopped; allow a "
                             f"longer time limit for this repository."])
        except Exception as exc:  # noqa: BLE001 - run_test must always return a result
            fail("internal", [f"The restore test stopped on an unexpected internal error: "
                              f"{type(exc).__name__}: {exc}"])
    finally:
        control.report("cleanup")
        if sandbox is not None:
            sandbox_removed = sandbox.remove()

    s = session
    if s is not None:
        code = "cancelled" if status == "cancelled" else s.code
        errors = s.errors
    if status == "cancelled":
        code = "cancelled"
    if not errors and not code:
        status = "passed"
    elif status != "cancelled":
        status = "failed"
    if status != "passed" and not errors:
        errors = [f"The restore test failed ({code or 'internal'})."]
    code = code or ("" if status == "passed" else "internal")

    restore_seconds = 0.0
    bytes_restored = files_restored = files_verified = 0
    snapshot_id, snapshot_time = "", None
    snapshot_bytes = snapshot_files = None
    throughput = extrapolated = None
    steps: tuple = ()
    engine_version = ""
    probe = None
    if s is not None:
        steps = tuple(s.steps)
        engine_version = s.engine_version
        probe = s.probe
        bytes_restored, files_restored = s.bytes_restored, s.files_restored
        files_verified = s.files_verified
        if s.snapshot is not None:
            snapshot_id, snapshot_time = s.snapshot.id, s.snapshot.time
        if s.listing is not None:
            snapshot_bytes, snapshot_files = s.listing.total_bytes, len(s.listing.files)
        if s.restore_started is not None:
            restore_seconds = (s.restore_ended or time.monotonic()) - s.restore_started
        restored = any(step.name == "restore" and step.ok for step in s.steps)
        if s.restore_completed and restored and bytes_restored > 0 and restore_seconds > 0:
            throughput = bytes_restored / restore_seconds
            if spec.scope == "full":
                extrapolated = restore_seconds
            elif snapshot_bytes:
                extrapolated = restore_seconds * snapshot_bytes / bytes_restored
    secret = spec.secret if isinstance(spec.secret, str) else ""
    return TestResult(
        status=status,
        errors=tuple(_scrub(list(errors), secret)),
        error_code=code,
        level=spec.level,
        scope=spec.scope,
        snapshot_id=snapshot_id,
        snapshot_time=snapshot_time,
        snapshot_bytes=snapshot_bytes,
        snapshot_files=snapshot_files,
        bytes_restored=bytes_restored,
        files_restored=files_restored,
        files_verified=files_verified,
        duration_seconds=round(control.elapsed(), 3),
        restore_seconds=round(restore_seconds, 3),
        throughput_bytes_per_second=throughput,
        extrapolated_full_seconds=(None if extrapolated is None or not math.isfinite(extrapolated)
                                   else round(extrapolated, 3)),
        probe=_scrub(probe, secret),
        steps=tuple(type(step)(step.name, step.ok, step.duration_seconds,
                               _scrub(step.detail, secret)) for step in steps),
        sandbox_removed=sandbox_removed,
        engine_version=engine_version,
    )
