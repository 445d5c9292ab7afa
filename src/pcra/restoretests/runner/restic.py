"""restic steps of a restore test (restic 0.14; no Django).

* check + listing, at once: ``restic check`` (exclusive lock, structure and snapshot metadata, no
  data read) while ``restic --no-lock ls --json <snapshot|latest>`` resolves the snapshot and
  lists its files (the first JSON line is the snapshot itself; an unknown id prints nothing on
  stdout, "Ignoring ..." on stderr, and exits 0);
* restore: ``restic restore <id> --target <sandbox>/data --verify [--include <file>...]``;
  restic re-reads every restored file and compares it with the blobs the snapshot recorded,
  then prints ``finished verifying N files``. restic 0.14 prints no restore progress: the
  progress is measured by walking the sandbox.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time

from pcra.backups.engines.base import (
    EngineError,
    RunResult,
    base_environment,
    classify,
    excerpt,
    failure,
    parse_time,
)
from pcra.backups.engines.restic import RESTIC_ERRORS, check_errors

from .process import Child, run_one, wait
from .sandbox import TreeMeter, human_bytes
from .session import Failure, Session, SnapshotInfo
from .verify import FileEntry, Listing, check_presence, describe_problems

# stderr that proves restic found damaged or missing repository data (not an access problem).
DAMAGE = re.compile(
    r"repository contains errors|LoadIndex returned errors|config or key .* is damaged"
    r"|error loading index|invalid data returned|ciphertext verification failed"
    r"|Pack ID does not match|unexpected file size|pack \S+: does not exist|does not match"
    r"|StreamPack|not found in (the )?index|blob \S+ not found|tree \S+ not found"
    r"|unexpected EOF|decrypt|checksum|hash mismatch|invalid (blob|tree|pack)",
    re.IGNORECASE,
)
NO_SPACE = re.compile(r"no space left on device|disk quota exceeded", re.IGNORECASE)
FILE_ERROR = re.compile(r"^ignoring error for (.*?): (.*)$", re.IGNORECASE)
VERIFIED = re.compile(r"finished verifying (\d+) files")
# Errors about one file kept in memory (the rest are only counted).
KEEP_FILE_ERRORS = 10000
# Bytes of --include arguments per restore command (ARG_MAX is about 2 MB).
INCLUDE_BATCH_BYTES = 256 * 1024


def _glob_escape(path: str) -> str:
    return re.sub(r"([\\*?\[])", r"\\\1", path)


class _Ls:
    """Parses ``restic ls --json`` line by line."""

    def __init__(self):
        self.snapshot: dict | None = None
        self.files: list[FileEntry] = []
        self.error = ""

    def feed(self, line: bytes) -> None:
        if self.error or not line.strip():
            return
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not an object")
            if self.snapshot is None:
                if item.get("struct_type", "snapshot") != "snapshot" or "id" not in item:
                    raise ValueError("the first line is not the snapshot")
                self.snapshot = item
            elif item.get("type") == "file":
                size = item.get("size", 0)
                path = item["path"]
                if not isinstance(size, int) or size < 0 or not isinstance(path, str):
                    raise ValueError(f"bad file entry {item!r:.200}")
                self.files.append(FileEntry(path, size))
        except (ValueError, KeyError, TypeError) as exc:
            self.error = f"{exc}: {line[:200]!r}"


class ResticRun:
    name = "restic"

    def __init__(self, session: Session):
        self.s = session
        self.spec = session.spec
        self.binary = self.spec.binary or "restic"

    # -- plumbing ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = base_environment(self.s.home)
        env["RESTIC_REPOSITORY"] = self.spec.repository
        env["RESTIC_PASSWORD"] = self.spec.secret
        env["RESTIC_CACHE_DIR"] = os.path.join(self.s.home, "cache")
        return env

    def child(self, args: list[str], command: str, **kwargs) -> Child:
        # SIGINT: restic 0.14 removes its lock on SIGINT, not on SIGTERM.
        return Child([self.binary, "--no-cache", *args], env=self.env(), engine="restic",
                     command=command, repository=self.spec.repository, secret=self.spec.secret,
                     stop_signal=signal.SIGINT, **kwargs)

    def _run_result(self, child: Child) -> RunResult:
        out = child.stdout
        return RunResult(returncode=child.returncode or 0, stdout=out, stderr=child.stderr,
                         stdout_bytes=out.encode(), duration=child.duration)

    def _access_error(self, child: Child, command: str) -> EngineError | None:
        """The adapter's EngineError when stderr names an access problem, else None."""
        if classify(child.stderr, RESTIC_ERRORS) is None:
            return None
        return failure(self._run_result(child), RESTIC_ERRORS, engine="restic", command=command,
                       repository=self.spec.repository)

    def _fatal(self, child: Child, command: str) -> Exception:
        """Why ``command`` failed: damage, an access problem, or something else."""
        stderr = child.stderr
        if DAMAGE.search(stderr):
            lines = [ln.strip() for ln in stderr.splitlines()
                     if ln.strip() and not ln.startswith("Load(")]
            return Failure("damaged", [
                f"restic {command} on repository {self.s.where} found damaged data: "
                f"{excerpt(line, 500)}" for line in describe_problems(lines, noun="lines")])
        access = self._access_error(child, command)
        if access is not None:
            return access
        return failure(self._run_result(child), RESTIC_ERRORS, engine="restic",
                       command=command, repository=self.spec.repository)

    # -- steps ------------------------------------------------------------------------------

    def version(self) -> str:
        child = run_one(Child([self.binary, "version"], env=self.env(), engine="restic",
                              command="version", repository=self.spec.repository,
                              secret=self.spec.secret, stop_signal=signal.SIGINT), self.s.control)
        match = re.search(r"restic\s+(\S+)", child.stdout)
        return f"restic {match.group(1)}" if match else "restic (unknown version)"

    def check_and_list(self) -> None:
        s = self.s
        ls = _Ls()
        target = self.spec.snapshot or "latest"
        check = self.child(["check"], "check")
        lister = self.child(["--no-lock", "ls", "--json", target], "ls", on_stdout=ls.feed,
                            capture_stdout=False)
        s.control.step = "check"
        s.control.report("check")
        s.control.poll(force=True)
        started = time.monotonic()
        children = [check.start(), lister.start()]
        listed_reported = False

        def tick():
            nonlocal listed_reported
            if not check.running and lister.running and not listed_reported:
                listed_reported = True
                s.control.step = "listing"
            s.control.report("listing" if listed_reported else "check", 0, 0, len(ls.files), 0)

        try:
            wait(children, s.control, tick=tick)
        except BaseException:
            for child, name in ((check, "check"), (lister, "listing")):
                s.add_step(name, False, child.duration or time.monotonic() - started,
                           f"The {name} step was stopped before it ended.")
            raise

        # -- judge the check ----------------------------------------------------------------
        check_problem: Exception | None = None
        if check.returncode == 0:
            s.add_step("check", True, check.duration,
                       f"restic check found no error in repository {s.where} (structure, index "
                       f"and the metadata of every snapshot; the data itself is read by the "
                       f"restore).")
        else:
            errors, summaries = check_errors(check.stderr)
            if DAMAGE.search(check.stderr) or (errors and self._access_error(check, "check")
                                               is None):
                lines = errors or summaries or [f"restic check exited with status "
                                                f"{check.returncode}"]
                check_problem = Failure("damaged", [
                    f"restic check found an error in repository {s.where}: {excerpt(line, 500)}"
                    for line in describe_problems(lines, noun="errors")])
            else:
                check_problem = self._fatal(check, "check")
            message = (check_problem.errors[0] if isinstance(check_problem, Failure)
                       else check_problem.message)
            s.add_step("check", False, check.duration, message)

        # -- judge the listing ----------------------------------------------------------------
        list_problem: Exception | None = None
        if lister.returncode != 0:
            list_problem = self._fatal(lister, "ls")
        elif ls.error:
            list_problem = EngineError(
                "garbled_output",
                f"restic ls --json on repository {s.where} did not print the JSON expected "
                f"({ls.error}). Check that restic is a supported version (0.14+).",
                detail=lister.stderr)
        elif ls.snapshot is None:
            list_problem = self._missing_snapshot(lister.stderr)
        else:
            snap = ls.snapshot
            try:
                when = parse_time(snap.get("time"))
            except ValueError:
                when = None
            s.snapshot = SnapshotInfo(id=str(snap["id"]),
                                      name=str(snap.get("short_id") or str(snap["id"])[:8]),
                                      time=when)
            s.listing = Listing(ls.files)
            s.add_step("listing", True, lister.duration,
                       f"Snapshot {s.snapshot.name}"
                       f"{' of ' + when.strftime('%Y-%m-%d %H:%M UTC') if when else ''} holds "
                       f"{len(ls.files)} regular files, {human_bytes(s.listing.total_bytes)}.")
        if list_problem is not None:
            message = (list_problem.errors[0] if isinstance(list_problem, Failure)
                       else list_problem.message)
            s.add_step("listing", False, lister.duration, message)

        # An access problem first (both commands usually report it), then damage, then the rest.
        problems = [p for p in (check_problem, list_problem) if p is not None]
        for problem in problems:
            if isinstance(problem, EngineError):
                raise problem
        if problems:
            first = problems[0]
            assert isinstance(first, Failure)
            for extra in problems[1:]:
                assert isinstance(extra, Failure)
                first.errors.extend(extra.errors)
            raise first

    def _missing_snapshot(self, stderr: str) -> Failure:
        s = self.s
        said = " ".join(line.strip() for line in stderr.splitlines() if line.strip())[:300]
        if not self.spec.snapshot:
            return Failure("missing_snapshot",
                           f"Repository {s.where} holds no snapshot to restore (restic said: "
                           f"{said or 'nothing'}).")
        newest = self._newest()
        tail = (f"the newest snapshot there is {newest}." if newest
                else "the repository holds no snapshot." if newest == ""
                else "the list of its snapshots could not be read.")
        return Failure("missing_snapshot",
                       f"Snapshot {self.spec.snapshot!r} is not in repository {s.where}"
                       f"{' (' + said + ')' if 'multiple' in said.lower() else ''}; {tail}")

    def _newest(self) -> str | None:
        """``"<short id> of <time>"`` of the newest snapshot, "" if none, None if unknown."""
        child = self.child(["--no-lock", "snapshots", "--json"], "snapshots",
                           stdout_limit=64 * 1024 * 1024)  # parsed whole
        try:
            run_one(child, self.s.control)
        except EngineError:
            return None
        if child.returncode != 0:
            return None
        try:
            items = json.loads(child.stdout or "null")
            newest = max(items, key=lambda item: parse_time(item["time"])) if items else None
        except (ValueError, TypeError, KeyError):
            return None
        if newest is None:
            return ""
        when = parse_time(newest["time"]).strftime("%Y-%m-%d %H:%M UTC")
        return f"{newest.get('short_id') or newest['id'][:8]} of {when}"

    def restore(self, files: list[FileEntry], *, sample: bool) -> None:
        """Restore (+ restic's --verify) the snapshot or the sample, then pcra's comparison."""
        s = self.s
        assert s.snapshot is not None
        total_bytes = sum(entry.size for entry in files)
        batches: list[list[str]] = [[]]
        if sample:
            size = 0
            for entry in files:
                pattern = _glob_escape(entry.path)
                if size + len(pattern) > INCLUDE_BATCH_BYTES and batches[-1]:
                    batches.append([])
                    size = 0
                batches[-1] += ["--include", pattern]
                size += len(pattern) + 12
        verified = 0
        file_errors: list[tuple[str, str]] = []
        file_error_count = 0
        fatal: Exception | None = None
        no_space = False
        state = {"verifying": False}

        def on_stdout(line: bytes) -> None:
            nonlocal verified
            text = line.decode("utf-8", "replace")
            if text.startswith("verifying files in"):
                state["verifying"] = True
                s.control.report("verifying", 0, total_bytes, 0, len(files))
            match = VERIFIED.search(text)
            if match:
                verified += int(match.group(1))

        def on_stderr(line: bytes) -> None:
            nonlocal file_error_count
            text = line.decode("utf-8", "replace").rstrip()
            match = FILE_ERROR.match(text)
            if match:
                file_error_count += 1
                if len(file_errors) < KEEP_FILE_ERRORS:
                    file_errors.append((match.group(1), match.group(2)))

        with s.step("restore", "restoring", bytes_total=total_bytes,
                        files_total=len(files)) as record:
            s.restore_started = time.monotonic()
            with TreeMeter(s.sandbox.data) as meter:
                def tick():
                    if state["verifying"]:
                        s.control.report("verifying", 0, total_bytes, 0, len(files))
                    else:
                        s.control.report("restoring", min(meter.bytes, total_bytes), total_bytes,
                                         min(meter.files, len(files)), len(files))

                for batch in batches:
                    state["verifying"] = False
                    child = self.child(
                        ["restore", s.snapshot.id, "--target", s.sandbox.data, "--verify",
                         *batch], "restore", on_stdout=on_stdout, on_stderr=on_stderr)
                    run_one(child, s.control, tick=tick)
                    if child.returncode != 0:
                        stderr = child.stderr
                        no_space = no_space or bool(NO_SPACE.search(stderr)) or any(
                            NO_SPACE.search(msg) for _, msg in file_errors)
                        if not file_errors and not no_space:
                            fatal = self._fatal(child, "restore")
                        break
            record.duration = time.monotonic() - s.restore_started
            if no_space:
                free = _free(s.sandbox.data)
                raise Failure("disk_space",
                              f"The sandbox's filesystem ({self.spec.sandbox_root!r}) ran out of "
                              f"space during the restore of {s.snapshot_label} "
                              f"({human_bytes(total_bytes)} to write, {free} free now): restic "
                              f"reported 'no space left on device'.")
            if isinstance(fatal, EngineError):
                raise fatal
            if isinstance(fatal, Failure):
                s.fail(fatal.code, fatal.errors)
                record.ok = False
                record.detail = fatal.errors[0]
            named: set[str] = set()
            if file_errors:
                record.ok = False
                sentences, code = self._file_errors(file_errors, file_error_count)
                named = {path for path, _ in file_errors}
                s.fail(code, sentences)
                record.detail = (f"restic could not restore {len(named)} of the "
                                 f"{len(files)} files of {s.snapshot_label}; the first: "
                                 f"{file_errors[0][0]!r}: {excerpt(file_errors[0][1], 200)}.")
            elif record.ok:
                record.detail = (f"restic restored {len(files)} files "
                                 f"({human_bytes(total_bytes)}) of {s.snapshot_label} and "
                                 f"verified their content against the snapshot (--verify).")

        with s.step("verify", "verifying", bytes_total=total_bytes,
                    files_total=len(files)) as record:
            s.control.report("verifying", total_bytes, total_bytes, 0, len(files))
            presence = check_presence(s.sandbox.data, files, poll=s.control.poll)
            s.files_restored = presence.found
            s.bytes_restored = presence.bytes
            s.files_verified = min(verified, presence.present)
            problems = [text for path, text in presence.problems if path not in named]
            if problems:
                s.fail("damaged", describe_problems(problems, noun="files with a problem"))
            if not s.errors and verified != len(files):
                s.fail("damaged",
                       f"restic verified {verified} files but {s.snapshot_label} has "
                       f"{len(files)} {'chosen ' if sample else ''}regular files.")
            s.restore_ended = time.monotonic()
            s.restore_completed = True
            if s.errors:
                record.ok = False
                record.detail = (f"{presence.present} of {len(files)} files are present with "
                                 f"their recorded size; restic verified the content of "
                                 f"{verified}.")
            else:
                record.detail = (f"All {len(files)} files are present with the size the snapshot "
                                 f"recorded, and restic verified the content of all "
                                 f"{verified}.")

    def _file_errors(self, errors: list[tuple[str, str]], count: int) -> tuple[list[str], str]:
        """Sentences for restic's per-file errors and their code: "damaged" when the data read
        was corrupt or missing, an access code, else "failed" (metadata, for instance)."""
        first: dict[str, str] = {}
        for path, message in errors:
            # "UtimesNano: no such file" and the like follow the real error of the same file.
            first.setdefault(path, message)
        sentences = []
        code = ""
        for path, message in first.items():
            sentences.append(f"File {path!r} of {self.s.snapshot_label} could not be restored: "
                             f"{excerpt(message, 400)}.")
            if code:
                continue
            if DAMAGE.search(message):
                code = "damaged"
            else:
                row = classify(message, RESTIC_ERRORS)
                code = row.code if row is not None else "failed"
        sentences = describe_problems(sentences, noun="files that could not be restored")
        if count > len(errors):
            sentences.append(f"restic reported {count} errors in all; the first "
                             f"{len(errors)} are examined above.")
        return sentences, code or "failed"


def _free(path: str) -> str:
    try:
        from .sandbox import free_bytes

        return human_bytes(free_bytes(path))
    except OSError:
        return "unknown"
