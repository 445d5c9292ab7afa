"""Borg steps of a restore test (borg 1.2; no Django).

Every command runs with ``--log-json --lock-wait N`` and TZ=UTC, in a throw-away home unless
one is configured:

* resolve: ``borg list --json --show-version`` (the archives, checkpoints left out; the version
  line costs no extra process);
* check: ``borg check --archives-only ::<archive>``: the manifest, the archive's metadata and
  every chunk it references present in the repository index (exclusive lock; about 0.6 s for
  10,000 files). The repository part of ``borg check`` (every segment's CRC) is not run: it
  reads the whole repository, and ``borg extract`` below reads and authenticates every chunk
  of the archive anyway;
* listing: ``borg list --format {type}{NUL}{size}{NUL}{source}{NUL}{health}{NUL}{bpath}{NUL}
  ::<archive>`` (metadata only: sizes for the space check and the sample; an item borg marks
  ``broken`` — chunks lost and replaced with zeros by ``check --repair`` — is damage, at every
  level);
* restore: ``borg extract --list --noflags ::<archive> [--patterns-from <chosen files>]`` in
  the sandbox (see ``_selection``). borg checks every chunk it reads — its id, the hash of its
  plaintext (keyed in the encrypted and "authenticated" modes; a plain SHA-256 without
  encryption, which catches accidents, not tampering), after the MAC of the encrypted modes —
  and every file's size against the sum of its chunks, so every byte it writes is the
  archive's; a file it cannot restore intact makes it exit non-zero (1 for a file with
  zero-filled chunks, a warning to borg, a failure to pcra).
  ``--list`` names each item as it starts, so each finished file chosen for the read-back
  (below) is hashed while borg writes the next; ``--noflags``: a restored immutable flag would
  stop the clean-up;
* verify: every file present, regular, with the size the archive recorded; and what borg does
  not do, reading the restored data back: the SHA-256 of the files chosen for the read-back
  compared with ``borg list --format {type}{NUL}{size}{NUL}{sha256}{NUL}{bpath}{NUL}
  ::<archive> --patterns-from <files read back>``, run while borg extract runs (shared locks;
  borg reads and decrypts those files' chunks a second time for it). A sample-scope test
  reads back every chosen file; a full-scope test, each file with the probability
  READBACK_FRACTION, whatever its size (about that share of the bytes at each run; reading
  back every file would cost a second decryption of the whole archive: 1.4 to 1.8 x the
  extract, see docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import random
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
from pcra.backups.engines.borg import BORG_ERRORS, LogLine, check_errors, haystack, parse_log

from .process import Child, run_one, stop_all, wait
from .sandbox import free_bytes, human_bytes, path_in
from .session import Failure, Session, SnapshotInfo
from .verify import (
    FileEntry,
    HashPool,
    Listing,
    check_presence,
    choose_readback,
    describe_problems,
)

LOCK_WAIT_SECONDS = 10
# The read-back of a full-scope test: each file with this probability (about this share of
# the bytes), at least READBACK_MIN_FILES files (all of them when fewer), at most
# READBACK_MAX_FILES (the patterns file stays small). 1.0 reads every file back.
READBACK_FRACTION = 0.05
READBACK_MIN_FILES = 20
READBACK_MAX_FILES = 2000
CHECKPOINT = re.compile(r"\.checkpoint(\.\d+)?$")
DAMAGE = re.compile(
    r"^\[IntegrityError\]|^\[(Repository\.)?ObjectNotFound\]|data integrity error"
    r"|integrity error|checksum mismatch|MAC Authentication failed|object with key .* not found"
    r"|segment .* not found|No such file or directory: '[^']*/data/\d+/\d+'"
    r"|archive metadata damaged|missing file chunk|errors found|problems found"
    r"|orphaned objects found|object count mismatch|is corrupted|manifest (not found|is corrupted)"
    r"|metadata block .* (is missing|is corrupted)|IntegrityError"
    r"|damaged \(all-zero\) chunks|Size inconsistency detected",
    re.IGNORECASE | re.MULTILINE,
)
NO_SPACE = re.compile(r"No space left on device|\[Errno 28\]|Disk quota exceeded", re.IGNORECASE)
# Bytes of PATH arguments per extract / list command (ARG_MAX is about 2 MB).
PATH_BATCH_BYTES = 256 * 1024
# Log lines of a borg extract kept for its errors (the --list lines are not kept).
KEEP_LINES = 5000


def _messages(lines: list[LogLine]) -> list[str]:
    """Readable messages of the ERROR / WARNING lines: a traceback becomes its exception."""
    messages = []
    for line in lines:
        if line.level not in ("ERROR", "CRITICAL", "WARNING") and line.level:
            continue
        text = line.message.strip()
        if not text:
            continue
        if text.startswith("Traceback"):
            body = text.split("\n\nPlatform:")[0].strip().splitlines()
            text = body[-1].strip() if body else text
            if messages and messages[-1] == "Local Exception":
                messages.pop()
        text = " ".join(text.split())
        # A traceback ends with the exception already logged: "module.Error: <message>".
        if any(text.endswith(": " + known) or text == known for known in messages):
            continue
        messages.append(text)
    return messages


def _sentence(exc: BaseException, step: str) -> str:
    if isinstance(exc, Failure):
        return exc.errors[0] if exc.errors else exc.code
    if isinstance(exc, EngineError):
        return exc.message
    return f"The {step} step was stopped."


def _file_sink(files: list[FileEntry], broken: list[str]):
    """A record sink for ``{type}{NUL}{size}{NUL}{source}{NUL}{health}{NUL}{bpath}{NUL}``:
    regular files, and the items borg knows are damaged (``broken``: a ``check --repair``
    replaced chunks it could not find with zeros)."""
    by_path: dict[str, FileEntry] = {}

    def sink(record: list[bytes]) -> None:
        kind, size, source, health, bpath = record
        if health == b"broken":
            broken.append(os.fsdecode(bpath))
        if kind != b"-":
            return
        path = os.fsdecode(bpath)
        entry = FileEntry(path, int(size))
        if source:
            # A borg 1.2 hard link: size 0 in the listing, the content is its master's.
            entry.link = os.fsdecode(source)
            master = by_path.get(entry.link)
            if master is not None:
                entry.size = master.size
        files.append(entry)
        by_path[path] = entry

    return sink


class _Fields:
    """Groups the NUL-separated fields of a ``borg list --format`` output into records."""

    def __init__(self, width: int, sink):
        self.width = width
        self.sink = sink
        self.pending: list[bytes] = []
        self.error = ""

    def feed(self, field: bytes) -> None:
        if self.error:
            return
        self.pending.append(field)
        if len(self.pending) == self.width:
            record, self.pending = self.pending, []
            try:
                self.sink(record)
            except (ValueError, IndexError) as exc:
                self.error = f"{exc}: {b'|'.join(record)[:200]!r}"


class BorgRun:
    name = "borg"

    def __init__(self, session: Session):
        self.s = session
        self.spec = session.spec
        self.binary = self.spec.binary or "borg"
        self.archive = ""
        self.notes: list[str] = []  # borg's warnings of a command that exited 0

    # -- plumbing ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        home = self.s.home
        env = base_environment(home)
        env.update({
            "BORG_REPO": self.spec.repository,
            "BORG_PASSPHRASE": self.spec.secret,
            "BORG_BASE_DIR": home,
            "BORG_RELOCATED_REPO_ACCESS_IS_OK": "no",
            "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
            "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING": "NO",
            "BORG_DELETE_I_KNOW_WHAT_I_AM_DOING": "NO",
            "BORG_DISPLAY_PASSPHRASE": "no",
            "BORG_RSH": "ssh -o BatchMode=yes",
        })
        return env

    def child(self, args: list[str | bytes], command: str, **kwargs) -> Child:
        lock_wait = int(max(1, min(LOCK_WAIT_SECONDS, self.s.control.remaining())))
        # SIGTERM: borg handles it (removes its lock) even when SIGINT was inherited ignored.
        return Child([self.binary, "--log-json", "--lock-wait", str(lock_wait), *args],
                     env=self.env(), engine="borg", command=command,
                     repository=self.spec.repository, secret=self.spec.secret,
                     stop_signal=signal.SIGTERM, **kwargs)

    def _fatal(self, child: Child, command: str, lines: list[LogLine] | None = None, *,
               current: str = "") -> Exception:
        """Why ``command`` failed: no space, damage, an access problem, or something else."""
        lines = parse_log(child.stderr) if lines is None else lines
        text = haystack(lines)
        messages = _messages(lines) or [f"borg {command} exited with status {child.returncode}"]
        if command == "extract" and NO_SPACE.search(text):
            return Failure("disk_space",
                           f"The sandbox's filesystem ({self.spec.sandbox_root!r}) ran out of "
                           f"space during the restore of {self.s.snapshot_label} "
                           f"({_free(self.s.sandbox.data)} free now): borg reported "
                           f"'{excerpt(next((m for m in messages if NO_SPACE.search(m)), ''), 200)}'.")
        if DAMAGE.search(text):
            where = f" (while restoring {current!r})" if current else ""
            return Failure("damaged", [
                f"borg {command} of {self.s.snapshot_label} in repository {self.s.where} found "
                f"damaged or missing data: {excerpt(self._explain(m), 500)}{where}"
                for m in describe_problems(messages, noun="messages")])
        result = RunResult(returncode=child.returncode or 0, stdout="", stderr=child.stderr,
                           stdout_bytes=b"", duration=child.duration)
        return failure(result, BORG_ERRORS, engine="borg", command=command,
                       repository=self.spec.repository, text=text, detail="\n".join(messages))

    @staticmethod
    def _explain(message: str) -> str:
        missing = re.search(r"No such file or directory: '([^']*/data/\d+/(\d+))'", message)
        if missing:
            return (f"segment file {missing.group(1)!r} (segment {missing.group(2)}) is missing "
                    f"from the repository")
        return message

    # -- steps ------------------------------------------------------------------------------

    def version(self) -> str:
        # Known after the first command (--show-version); see resolve().
        return ""

    def check_and_list(self) -> None:
        """Resolve the archive, then ``borg check`` and the listing at the same time.

        The check holds borg's exclusive lock; the listing only reads the archive's metadata
        and runs beside it with ``--bypass-lock`` (if a check rewrote the index meanwhile, the
        listing would fail: a failed test, never a passed one).
        """
        s = self.s
        s.control.step = "check"
        s.control.report("check")
        started = time.monotonic()
        try:
            self._resolve()  # opening the repository and finding the archive belong to "check"
        except BaseException as exc:
            s.add_step("check", False, time.monotonic() - started, _sentence(exc, "check"))
            raise
        resolved = time.monotonic() - started
        files: list[FileEntry] = []
        broken: list[str] = []
        parser = _Fields(5, _file_sink(files, broken))
        check = self.child(["check", "--archives-only", "--info", f"::{self.archive}"], "check")
        lister = self.child(
            ["list", "--bypass-lock", "--format",
             "{type}{NUL}{size}{NUL}{source}{NUL}{health}{NUL}{bpath}{NUL}",
             f"::{self.archive}"],
            "list", on_stdout=parser.feed, stdout_separator=b"\0", capture_stdout=False)
        s.control.poll(force=True)
        children = [check.start(), lister.start()]
        try:
            wait(children, s.control)
        except BaseException:
            s.add_step("check", False, resolved + check.duration, "The check was stopped.")
            s.add_step("listing", False, lister.duration, "The listing was stopped.")
            raise

        check_problem: Exception | None = None
        lines = parse_log(check.stderr)
        errors, summaries = check_errors(lines)
        text = haystack(lines)
        if check.returncode != 0 and not DAMAGE.search(text) and classify(
                text, BORG_ERRORS) is not None:
            check_problem = self._fatal(check, "check", lines)
        elif check.returncode != 0 or errors or summaries:
            found = errors or summaries or _messages(lines)[-3:] or [
                f"borg check exited with status {check.returncode}"]
            check_problem = Failure("damaged", [
                f"borg check of {s.snapshot_label} in repository {s.where} found an error: "
                f"{excerpt(line, 500)}" for line in describe_problems(found, noun="errors")])
        if check_problem is None:
            notes = self.notes + [line.message for line in lines if line.level == "WARNING"]
            detail = (f"borg check found no problem in the metadata of {s.snapshot_label} in "
                      f"repository {s.where} (every chunk it references is in the repository "
                      f"index; the data itself is read by the restore)"
                      + (f"; borg noted: {excerpt('; '.join(notes), 400)}" if notes else "")
                      + ".")
        else:
            detail = _sentence(check_problem, "check")
        s.add_step("check", check_problem is None, resolved + check.duration, detail)

        list_problem: Exception | None = None
        if lister.returncode != 0:
            list_problem = self._fatal(lister, "list")
        elif parser.error or parser.pending:
            list_problem = EngineError(
                "garbled_output",
                f"borg list on repository {s.where} did not print the listing expected "
                f"({parser.error or 'a record was cut'}).", detail=lister.stderr)
        elif broken:
            list_problem = Failure("damaged", describe_problems(
                [f"Archive {self.archive} in repository {s.where} records file {path!r} as "
                 f"damaged: some of its chunks were lost and replaced with zeros (borg check "
                 f"--repair)." for path in broken], noun="damaged files"))
        else:
            s.listing = Listing(files)
            when = s.snapshot.time if s.snapshot else None
            detail = (f"Archive {self.archive}"
                      f"{' of ' + when.strftime('%Y-%m-%d %H:%M UTC') if when else ''} holds "
                      f"{len(files)} regular files, {human_bytes(s.listing.total_bytes)}.")
        if list_problem is not None:
            detail = _sentence(list_problem, "listing")
        s.add_step("listing", list_problem is None, lister.duration, detail)
        # The check's verdict first: the listing's failure is often the same problem.
        for problem in (check_problem, list_problem):
            if problem is not None:
                raise problem

    def _resolve(self) -> None:
        s = self.s
        # The archive list is parsed whole: room for about 300,000 archives.
        child = run_one(self.child(["list", "--json", "--show-version"], "list",
                                   stdout_limit=64 * 1024 * 1024), s.control)
        lines = parse_log(child.stderr)
        for line in lines:
            match = re.match(r"borgbackup version (\S+)", line.message)
            if match:
                s.engine_version = f"borg {match.group(1)}"
        self.notes += [line.message for line in lines if line.level == "WARNING"]
        if child.returncode not in (0, 1) or not child.stdout.strip():
            raise self._fatal(child, "list", lines)
        try:
            data = json.loads(child.stdout)
            archives = []
            for item in data["archives"]:
                archives.append((str(item["name"]), str(item["id"]),
                                 parse_time(item.get("start", item.get("time")))))
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineError("garbled_output",
                              f"borg list --json on repository {s.where} did not print the JSON "
                              f"expected ({exc}). Check that borg is a supported version (1.2+).",
                              detail=child.stderr) from None
        regular = sorted((a for a in archives if not CHECKPOINT.search(a[0])),
                         key=lambda a: a[2])
        wanted = self.spec.snapshot
        chosen = None
        if not wanted:
            chosen = regular[-1] if regular else None
            if chosen is None:
                raise Failure("missing_snapshot",
                              f"Repository {s.where} holds no archive to restore.")
        else:
            chosen = next((a for a in archives if a[0] == wanted), None)
            if chosen is None and re.fullmatch(r"[0-9a-f]{8,64}", wanted):
                matches = [a for a in archives if a[1].startswith(wanted)]
                chosen = matches[0] if len(matches) == 1 else None
            if chosen is None:
                newest = (f"the newest archive there is {regular[-1][0]!r} of "
                          f"{regular[-1][2].strftime('%Y-%m-%d %H:%M UTC')}." if regular
                          else "the repository holds no archive.")
                raise Failure("missing_snapshot",
                              f"Archive {wanted!r} is not in repository {s.where}; {newest}")
        self.archive = chosen[0]
        s.snapshot = SnapshotInfo(id=chosen[1], name=chosen[0], time=chosen[2])

    def restore(self, files: list[FileEntry], *, sample: bool) -> None:
        s = self.s
        total_bytes = sum(entry.size for entry in files)
        expected = {entry.path: entry for entry in files}
        readback = files if sample else choose_readback(
            files, fraction=READBACK_FRACTION, min_files=READBACK_MIN_FILES,
            max_files=READBACK_MAX_FILES, rng=random.Random(os.urandom(16)))
        to_hash = {entry.path for entry in readback}
        # A borg 1.2 hard link's SHA-256 is listed on the item that holds its content.
        listed = sorted(to_hash | {entry.link for entry in readback if entry.link})
        extract_batches = (_selection([entry.path for entry in files], s.sandbox.tmp, "extract")
                           if sample else [[]])
        # Reading back every file: list the whole archive rather than name each file.
        list_batches = ([[]] if len(readback) == len(files) and not sample
                        else _selection(listed, s.sandbox.tmp, "list"))
        pool = HashPool(s.sandbox.data)
        # Path -> SHA-256 as listed (several for names that borg lists alike, with "?").
        recorded: dict[str, list[str]] = {}
        listers: list[Child] = []
        parsers: list[_Fields] = []
        state = {"previous": "", "files": 0, "bytes": 0}
        kept: list[bytes] = []

        def finished(path: str) -> None:
            entry = expected.get(path)
            if entry is not None:
                state["files"] += 1
                state["bytes"] += entry.size
                full = path_in(s.sandbox.data, path)
                # (A name borg listed with "?" is found, and hashed, by the verify step.)
                if path in to_hash and os.path.lexists(full):
                    pool.submit(full, full)

        def on_extract_stderr(line: bytes) -> None:
            if b'"borg.output.list"' in line:
                try:
                    path = json.loads(line)["message"]
                except (ValueError, KeyError, TypeError):
                    path = None
                if isinstance(path, str):
                    if state["previous"]:
                        finished(state["previous"])
                    state["previous"] = path
                    return
            if len(kept) < KEEP_LINES:
                kept.append(line)

        def hashes(record: list[bytes]) -> None:
            kind, _size, sha, bpath = record
            if kind == b"-" and sha:
                recorded.setdefault(os.fsdecode(bpath), []).append(sha.decode("ascii"))

        def tick():
            s.control.report("restoring", state["bytes"], total_bytes, state["files"], len(files))

        for batch in list_batches:
            parser = _Fields(4, hashes)
            parsers.append(parser)
            listers.append(self.child(
                ["list", "--format", "{type}{NUL}{size}{NUL}{sha256}{NUL}{bpath}{NUL}",
                 f"::{self.archive}", *batch], "list", on_stdout=parser.feed,
                stdout_separator=b"\0", capture_stdout=False))
        extract_failure: Exception | None = None
        try:
            with s.step("restore", "restoring", bytes_total=total_bytes,
                        files_total=len(files)) as record:
                s.restore_started = time.monotonic()
                for batch in extract_batches:
                    extract = self.child(
                        ["extract", "--list", "--noflags", "--noxattrs", "--noacls",
                         f"::{self.archive}", *batch],
                        "extract", cwd=s.sandbox.data, on_stderr=on_extract_stderr)
                    s.control.poll(force=True)
                    extract.start()
                    for lister in listers:  # the read-back listing, while borg extracts
                        if lister.proc is None:
                            lister.start()
                    wait([extract, *listers], s.control, tick=tick,
                         until=lambda extract=extract: not extract.running)
                    current, state["previous"] = state["previous"], ""
                    if extract.returncode != 0:
                        lines = parse_log(b"\n".join(kept).decode("utf-8", "replace"))
                        extract_failure = self._fatal(extract, "extract", lines, current=current)
                        break
                    if current:
                        finished(current)
                record.duration = time.monotonic() - s.restore_started
                if extract_failure is not None:
                    stop_all([lister for lister in listers if lister.proc is not None])
                    if isinstance(extract_failure, Failure) and extract_failure.code == "damaged":
                        s.fail("damaged", extract_failure.errors)
                        record.ok = False
                        record.detail = extract_failure.errors[0]
                    else:
                        raise extract_failure
                else:
                    notes = [line.message for line in parse_log(
                        b"\n".join(kept).decode("utf-8", "replace")) if line.level == "WARNING"]
                    record.detail = (f"borg extract restored {len(files)} files "
                                     f"({human_bytes(total_bytes)}) of {s.snapshot_label}, "
                                     f"checking the id of every chunk (and its MAC when the "
                                     f"repository is encrypted) and the size of every file as "
                                     f"it read them"
                                     + (f"; borg noted: {excerpt('; '.join(notes), 400)}"
                                        if notes else "") + ".")

            with s.step("verify", "verifying", bytes_total=total_bytes,
                        files_total=len(files)) as record:
                def verify_tick():
                    if s.control.due("verifying"):
                        s.control.report("verifying", pool.done_bytes(), total_bytes,
                                         len(recorded), len(files))

                if extract_failure is None:
                    wait(listers, s.control, tick=verify_tick)
                    for lister, parser in zip(listers, parsers, strict=True):
                        if lister.returncode != 0:
                            problem = self._fatal(lister, "list")
                            if isinstance(problem, EngineError):
                                raise problem
                            s.fail(problem.code, problem.errors)
                        elif parser.error or parser.pending:
                            raise EngineError(
                                "garbled_output",
                                f"borg list on repository {s.where} did not print the SHA-256 "
                                f"listing expected ({parser.error or 'a record was cut'}).",
                                detail=lister.stderr)
                presence = check_presence(s.sandbox.data, files, poll=s.control.poll)
                s.files_restored = presence.found
                s.bytes_restored = presence.bytes
                compared = [(entry, full) for entry, full in presence.ok_paths
                            if entry.path in to_hash]
                for _entry, full in compared:
                    pool.submit(full, full)  # keyed by the restored file (names listed alike)
                matched, problems, missing_sha = self._compare(compared, recorded, pool,
                                                                verify_tick)
                # The others: borg extract exited 0 after checking every chunk it wrote.
                verified = (presence.present - len(compared) + matched
                            if extract_failure is None else matched)
                s.files_verified = verified
                if presence.problems and extract_failure is None:
                    s.fail("damaged", describe_problems([t for _, t in presence.problems],
                                                        noun="files with a problem"))
                if problems:
                    s.fail("damaged", describe_problems(problems, noun="files with a problem"))
                if missing_sha and extract_failure is None:
                    s.fail("failed", describe_problems(missing_sha, noun="files"))
                if not s.errors and verified != len(files):
                    s.fail("damaged", f"{verified} files were verified but {s.snapshot_label} "
                                      f"has {len(files)} {'chosen ' if sample else ''}regular "
                                      f"files.")
                s.restore_ended = time.monotonic()
                s.restore_completed = True
                if s.errors:
                    record.ok = False
                    record.detail = (f"{verified} of {len(files)} restored files were verified.")
                elif len(readback) == len(files):
                    record.detail = (f"All {len(files)} restored files have the size and the "
                                     f"SHA-256 the archive recorded (read back, and compared "
                                     f"with borg list --format {{sha256}}).")
                else:
                    read_bytes = sum(entry.size for entry, _ in compared)
                    record.detail = (f"All {len(files)} restored files are present with the "
                                     f"size the archive recorded; {len(compared)} of them "
                                     f"({human_bytes(read_bytes)}, chosen at random) were read "
                                     f"back and have the SHA-256 the archive recorded (borg "
                                     f"list --format {{sha256}}).")
        finally:
            stop_all([lister for lister in listers if lister.proc is not None])
            pool.close(cancel=True)

    def _compare(self, compared: list[tuple[FileEntry, str]], recorded: dict[str, list[str]],
                 pool: HashPool, tick):
        verified = 0
        problems: list[str] = []
        missing_sha: list[str] = []
        for index, (entry, full) in enumerate(compared):
            if index % 500 == 0:
                self.s.control.poll()
                tick()
            want = recorded.get(entry.path) or (recorded.get(entry.link) if entry.link else None)
            future = pool.futures[full]
            while True:
                try:
                    size, got = future.result(timeout=0.25)
                    break
                except TimeoutError:
                    self.s.control.poll()
                    tick()
                except OSError as exc:
                    problems.append(f"File {entry.path!r} could not be read back from the "
                                    f"restored data: {exc.strerror or exc}.")
                    size = got = None
                    break
            if got is None:
                continue
            if want is None:
                missing_sha.append(f"borg list gave no SHA-256 for file {entry.path!r}, so its "
                                   f"content could not be compared.")
                continue
            if size != entry.size:
                problems.append(f"File {entry.path!r} changed while it was verified ({size} "
                                f"bytes read, {entry.size} recorded).")
            elif got not in want:
                problems.append(f"File {entry.path!r} was restored with content that differs "
                                f"from {self.s.snapshot_label}: SHA-256 {got[:16]}… instead of "
                                f"{want[0][:16]}….")
            else:
                verified += 1
        return verified, problems, missing_sha


def _patterns_file_safe(path: str) -> bool:
    """Whether borg reads ``path`` back intact from a patterns file: it reads the file as UTF-8
    text, splits it on any line end and strips each line's trailing whitespace."""
    if path != path.rstrip() or "\n" in path or "\r" in path:
        return False
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 (surrogate escapes)
        return False
    return True


def _selection(paths: list[str], folder: str, name: str) -> list[list[bytes]]:
    """The arguments of the borg commands that select exactly ``paths`` (one command per list).

    A patterns file of ``+ pf:<path>`` lines and a final ``- fm:*``: borg looks full paths up
    in a dictionary, one lookup per archive item, where ``pp:`` PATH arguments are tried one by
    one (a sample of 100,000 files of an archive of 1,000,000 would cost 10^11 comparisons).
    The few names a patterns file cannot carry go as ``pp:`` PATH arguments, in batches of at
    most PATH_BATCH_BYTES, each batch its own command; a name borg listed with "?" (see below)
    is an ``fm:`` pattern.
    """
    plain = [path for path in paths if _patterns_file_safe(path)]
    odd = [path for path in paths if not _patterns_file_safe(path)]
    selections: list[list[bytes]] = []
    if plain:
        target = os.path.join(folder, f"patterns-{name}.txt")
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            for path in plain:
                if "?" in path:
                    # borg 1.2 lists a name that is not UTF-8 with "?" for each such byte:
                    # a "?" of a shell pattern matches that byte (and a real "?").
                    escaped = path.replace("[", "[[]").replace("*", "[*]")
                    handle.write(f"+ fm:{escaped}\n")
                else:
                    handle.write(f"+ pf:{path}\n")
            handle.write("- fm:*\n")
        selections.append([b"--patterns-from", os.fsencode(target)])
    size = 0
    for path in odd:
        arg = b"pp:" + os.fsencode(path)
        if len(selections) == (1 if plain else 0) or (
                size + len(arg) > PATH_BATCH_BYTES and selections[-1]):
            selections.append([])
            size = 0
        selections[-1].append(arg)
        size += len(arg) + 1
    return selections


def _free(path: str) -> str:
    try:
        return human_bytes(free_bytes(path))
    except OSError:
        return "unknown"
