"""borg adapter (verified against borg 1.2.4).

borg runs with ``--log-json``: every stderr line is a JSON object, most carry a ``msgid`` (the
exception class). borg exits 0 (ok), 1 (warning) or 2 (error), so failures are classified from
stderr with :data:`BORG_ERRORS` (first match wins), matched against lines rendered as
``[msgid] message``. Messages observed with borg 1.2.4:

=====================  ==========================================================================
code                   borg 1.2 stderr (``[msgid] message``)
=====================  ==========================================================================
permission_denied      ``[LockFailed] Failed to create/acquire the lock /r/lock.exclusive ([Errno
                       13] Permission denied: ...)``; ssh ``Remote: ... Permission denied
                       (publickey)`` / ``Host key verification failed``
wrong_password         ``[PassphraseWrong] passphrase supplied in BORG_PASSPHRASE, by
                       BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.`` (also with an
                       empty passphrase or a damaged repository key); ``[NoPassphraseFailure]``;
                       ``[KeyfileNotFoundError]`` (keyfile mode, key not in HOME)
repository_locked      ``[LockTimeout] Failed to create/acquire the lock /r/lock.exclusive
                       (timeout).`` (after ``--lock-wait`` seconds; locks of dead local processes
                       are removed by borg: "Killed stale lock ...")
unreachable            ``Remote: ssh: Could not resolve hostname h: Name or service not known`` /
                       ``Remote: ssh: connect to host h port 22: Connection refused`` then
                       ``[ConnectionClosedWithHint] Connection closed by remote host. Is borg
                       working on the server?``
repository_not_found   ``[Repository.DoesNotExist] Repository /x does not exist.``;
                       ``[Repository.InvalidRepository] /x is not a valid repository. Check repo
                       config.``
failed                 ``[Cache.RepositoryAccessAborted]`` (repository moved, refused with
                       BORG_RELOCATED_REPO_ACCESS_IS_OK=no); ``[Cache.CacheInitAbortedError]``
                       (unknown unencrypted repository; pcra sets
                       BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes, it only reads);
                       ``[Cache.EncryptionMethodMismatch]``; ``[Exception] Local Exception`` (a
                       traceback, e.g. a restic repository given to borg)
=====================  ==========================================================================

``check`` logs damage at level ERROR and exits 1: ``Data integrity error: Segment entry checksum
mismatch [segment 2, offset 8]``; ``Index object count mismatch.`` + ``committed index: N
objects`` / ``rebuilt index: N objects``; ``chunk <id>, integrity error: MAC Authentication
failed``; ``N orphaned objects found!``; summaries ``Finished full repository check, errors
found.``, ``Finished cryptographic data integrity verification, verified N chunks with M
integrity errors.``, ``Archive consistency check complete, problems found.``
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from dataclasses import dataclass

from .base import (
    MAX_ERRORS,
    OUTPUT_LIMIT,
    CheckResult,
    EngineError,
    RepositoryInfo,
    RunResult,
    Snapshot,
    base_environment,
    classify,
    excerpt,
    failure,
    garbled,
    load_json,
    parse_time,
    pattern,
    private_home,
    run,
)

BORG_ERRORS = (
    pattern(
        "permission_denied",
        r"permission denied|host key verification failed",
        "access was refused (permission denied). Check the file permissions (borg must be "
        "able to write its lock in the repository) or the ssh key of the account running "
        "the checks.",
    ),
    pattern(
        "wrong_password",
        r"^\[(PassphraseWrong|NoPassphraseFailure|PasscommandFailure)\]",
        "the passphrase is wrong. Check the passphrase recorded for this repository.",
    ),
    pattern(
        "wrong_password",
        r"^\[KeyfileNotFoundError\]|^\[KeyfileInvalidError\]|^\[KeyfileMismatchError\]",
        "the repository uses keyfile encryption and its key file is missing or invalid here. "
        "Switch the repository to repokey mode or provide the key file in the engine's home.",
    ),
    pattern(
        "repository_locked",
        r"^\[(LockTimeout|LockError|LockErrorT)\]|failed to create/acquire the lock",
        "the repository is locked by another borg process (backup, prune...). Retry after it "
        "ends; if none is running, `borg break-lock` removes a stale lock.",
    ),
    pattern(
        "unreachable",
        r"^\[ConnectionClosed(WithHint)?\]|could not resolve hostname|connection refused"
        r"|connection timed out|no route to host|network is unreachable"
        r"|connection closed by remote host",
        "the server could not be reached over ssh (network, DNS, ssh or borg down on the "
        "server). Check that the server is up and reachable from this machine.",
    ),
    pattern(
        "repository_not_found",
        r"^\[Repository\.(DoesNotExist|InvalidRepository|ParentPathDoesNotExist)\]"
        r"|^Repository .* does not exist\.|is not a valid repository",
        "there is no borg repository at this location. Check the repository path or URL.",
    ),
    pattern(
        "failed",
        r"^\[Cache\.RepositoryAccessAborted\]|^\[BORG_RELOCATED_REPO_ACCESS_IS_OK\]",
        "the repository was previously seen at another location and borg refuses a moved "
        "repository. Check that it is the expected repository, then update its location.",
    ),
    pattern(
        "failed",
        r"^\[BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK\]|^\[Cache\.CacheInitAbortedError\]",
        "the repository is NOT encrypted (mode none) and borg refuses to open an unencrypted "
        "repository that its home does not know yet. Encrypt the backups, or register the "
        "repository in the engine's home.",
    ),
    pattern(
        "failed",
        r"^\[Cache\.EncryptionMethodMismatch\]",
        "the repository's encryption mode changed since borg last saw it; this can be an "
        "attack. Check the repository before trusting it.",
    ),
    pattern(
        "failed",
        r"^\[(Exception|[A-Za-z.]*Error)\]|unrecognized arguments|invalid choice",
        "borg stopped with an internal error or refused the command line (see the detail).",
    ),
)

# check(): ERROR messages that summarise, and those that detail the previous error.
_SUMMARY = re.compile(
    r"^(Finished (full|partial) repository check, errors found"
    r"|Archive consistency check complete, problems found"
    r"|Finished cryptographic data integrity verification)"
)
_DETAIL = re.compile(r"^(committed index|rebuilt index):")
_DAMAGE = re.compile(
    r"errors found|problems found|integrity error|orphaned objects found|IntegrityError"
    r"|object count mismatch|metadata block .* (is missing|is corrupted)|manifest (not found|is "
    r"corrupted)"
)
_CHECKPOINT = re.compile(r"\.checkpoint(\.\d+)?$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class LogLine:
    level: str  # ERROR, WARNING, INFO... ("" for a line that is not JSON)
    msgid: str
    message: str

    def render(self) -> str:
        prefix = f"{self.level}: " if self.level in ("ERROR", "WARNING", "CRITICAL") else ""
        return prefix + self.message


def parse_log(stderr: str) -> list[LogLine]:
    """borg's ``--log-json`` stderr as LogLines (questions become lines with their msgid)."""
    lines = []
    for raw in stderr.splitlines():
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError:
            item = None
        if not isinstance(item, dict):
            lines.append(LogLine("", "", raw.rstrip()))
            continue
        kind = item.get("type", "")
        if kind == "log_message":
            lines.append(LogLine(str(item.get("levelname", "")), str(item.get("msgid") or ""),
                                 str(item.get("message", "")).rstrip()))
        elif str(kind).startswith("question"):
            lines.append(LogLine("QUESTION", str(item.get("msgid") or ""),
                                 str(item.get("message", "")).rstrip()))
        elif "message" in item:
            lines.append(LogLine("", "", str(item["message"]).rstrip()))
    return lines


def haystack(lines: list[LogLine]) -> str:
    return "\n".join(f"[{line.msgid}] {line.message}" if line.msgid else line.message
                     for line in lines)


def check_errors(lines: list[LogLine]) -> tuple[list[str], list[str]]:
    """(errors, summaries) among the ERROR messages of borg check."""
    errors: list[str] = []
    summaries: list[str] = []
    for line in lines:
        if line.level not in ("ERROR", "CRITICAL"):
            continue
        text = line.message.strip()
        if _SUMMARY.match(text):
            summaries.append(text)
        elif _DETAIL.match(text) and errors:
            errors[-1] = f"{errors[-1]} ({' '.join(text.split())})"
        elif line.msgid == "" and text.startswith("Traceback"):
            continue
        else:
            errors.append(text)
    return errors, summaries


class BorgEngine:
    """Read-only access to one borg 1.x repository."""

    name = "borg"

    def __init__(
        self,
        repository: str,
        passphrase: str,
        *,
        timeout: float = 600.0,
        binary: str = "borg",
        lock_wait: int = 5,
        home: str | os.PathLike[str] | None = None,
    ):
        self.repository = repository
        self._passphrase = passphrase
        self.timeout = timeout
        self.binary = binary
        self.lock_wait = lock_wait
        self.home = home

    def __repr__(self) -> str:
        return f"BorgEngine({self.repository!r})"

    # -- running ------------------------------------------------------------------------------

    def _run(self, args: list[str]) -> tuple[RunResult, list[LogLine]]:
        with private_home(self.home) as home:
            env = base_environment(home)
            env.update({
                "BORG_REPO": self.repository,
                "BORG_PASSPHRASE": self._passphrase,
                "BORG_BASE_DIR": home,
                "BORG_RELOCATED_REPO_ACCESS_IS_OK": "no",
                # pcra only reads repositories: the prompt protects a client from writing its
                # backups into an unencrypted repository an attacker put in place. Supervision
                # must read such a repository and report it unencrypted (hardening), not fail.
                "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
                "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING": "NO",
                "BORG_DELETE_I_KNOW_WHAT_I_AM_DOING": "NO",
                "BORG_DISPLAY_PASSPHRASE": "no",
                "BORG_RSH": "ssh -o BatchMode=yes",
            })
            argv = [self.binary, "--log-json", "--lock-wait", str(int(self.lock_wait)), *args]
            # SIGTERM: borg handles it (removes its lock) even when SIGINT was inherited ignored.
            result = run(argv, env=env, timeout=self.timeout, engine="borg", command=args[0],
                         repository=self.repository, secret=self._passphrase,
                         stop_signal=signal.SIGTERM)
        return result, parse_log(result.stderr)

    def _fail(self, result: RunResult, lines: list[LogLine], command: str) -> EngineError:
        detail = [line.render() for line in lines]
        for line in lines:  # put the exception of a traceback first: the rest is plumbing
            if line.level == "ERROR" and line.message.startswith("Traceback"):
                body = line.message.split("\n\nPlatform:")[0].strip().splitlines()
                detail.insert(0, body[-1] if body else "")
                break
        return failure(result, BORG_ERRORS, engine="borg", command=command,
                       repository=self.repository, text=haystack(lines),
                       detail="\n".join(detail))

    def _json(self, args: list[str], command: str) -> tuple[RunResult, list[LogLine], dict]:
        result, lines = self._run(args)
        # 1 is a warning: the output is still complete when it parses.
        if result.returncode not in (0, 1) or (result.returncode == 1 and not result.stdout):
            raise self._fail(result, lines, command)
        data = load_json(result, engine="borg", command=command, repository=self.repository)
        if not isinstance(data, dict):
            raise self._garbled(result, command, "a JSON object was expected")
        return result, lines, data

    # -- API ----------------------------------------------------------------------------------

    def _archives(self) -> tuple[RunResult, dict, list[Snapshot]]:
        result, _, data = self._json(["list", "--json", "--format", "{hostname}"], "list --json")
        archives = data.get("archives")
        if not isinstance(archives, list):
            raise self._garbled(result, "list --json", "an 'archives' list was expected")
        snaps = []
        for item in archives:
            try:
                if not isinstance(item, dict):
                    raise TypeError("not an object")
                name, aid = item["name"], item["id"]
                if not (isinstance(name, str) and isinstance(aid, str) and _HEX.match(aid)):
                    raise ValueError(f"name {name!r} / id {aid!r}")
                hostname = item.get("hostname") or ""
                snap = Snapshot(id=aid, name=name, time=parse_time(item.get("start",
                                item.get("time"))), hostname=str(hostname))
            except (TypeError, ValueError, KeyError) as exc:
                raise self._garbled(result, "list --json", f"bad archive: {exc}") from None
            if not _CHECKPOINT.search(name):
                snaps.append(snap)
        return result, data, sorted(snaps, key=lambda s: s.time)

    def snapshots(self) -> list[Snapshot]:
        """Archives (checkpoints excluded), oldest first (``borg list --json``)."""
        return self._archives()[2]

    def info(self) -> RepositoryInfo:
        """Encryption mode and archive count (``list --json``), size (``info --json``).

        The size is the deduplicated compressed size (cache ``unique_csize``).
        """
        result, data, snaps = self._archives()
        mode = (data.get("encryption") or {}).get("mode") if isinstance(
            data.get("encryption"), dict) else None
        if not isinstance(mode, str) or not mode:
            raise self._garbled(result, "list --json", "encryption.mode was expected")
        info_result, lines = self._run(["info", "--json"])
        if info_result.returncode not in (0, 1) or not info_result.stdout:
            raise self._fail(info_result, lines, "info --json")
        info = load_json(info_result, engine="borg", command="info --json",
                         repository=self.repository)
        try:
            size = info["cache"]["stats"]["unique_csize"]
        except (TypeError, KeyError):
            size = None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise self._garbled(info_result, "info --json", "cache.stats.unique_csize was expected")
        return RepositoryInfo(encrypted=mode != "none", encryption=mode, total_size_bytes=size,
                              snapshot_count=len(snaps))

    def check(
        self, *, subset: tuple[int, int] | None = None, read_data: bool = True
    ) -> CheckResult:
        """``borg check`` (+ ``--verify-data``): repository, archives and, with it, all data.

        Damage found is a CheckResult with ok=False; access problems raise EngineError.
        """
        if subset is not None:
            raise ValueError("borg 1.2 cannot check a subset of the data; use subset=None")
        args = ["check", "--verify-data"] if read_data else ["check"]
        started = time.monotonic()
        result, lines = self._run([*args, "--info"])
        duration = time.monotonic() - started
        text = haystack(lines)
        errors, summaries = check_errors(lines)
        if result.returncode != 0 and not _DAMAGE.search(text):
            if classify(text, BORG_ERRORS) is not None:
                raise self._fail(result, lines, " ".join(args))
        output = "\n".join(filter(None, [result.stdout.strip(),
                                         "\n".join(line.render() for line in lines)]))
        ok = result.returncode == 0 and not errors and not summaries
        if not ok and not errors:
            errors = summaries or [line.render() for line in lines if line.level != "INFO"][-3:]
            errors = errors or [f"borg check exited with status {result.returncode}"]
        return CheckResult(
            ok=ok,
            error_count=0 if ok else max(1, len(errors)),
            errors=() if ok else tuple(excerpt(e, 1000) for e in errors[:MAX_ERRORS]),
            subset=None,
            read_data=read_data,
            duration_seconds=duration,
            output=excerpt(output, OUTPUT_LIMIT),
        )

    def _garbled(self, result: RunResult, command: str, why: str) -> EngineError:
        return garbled(result, engine="borg", command=command, repository=self.repository,
                       why=why)
