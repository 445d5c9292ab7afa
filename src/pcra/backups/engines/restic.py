"""restic adapter (verified against restic 0.14.0).

restic exits 1 for every fatal error, so failures are classified from stderr with
:data:`RESTIC_ERRORS` (first match wins). The messages below were observed with restic 0.14.0:

=====================  ==========================================================================
code                   restic 0.14 stderr
=====================  ==========================================================================
wrong_password         ``Fatal: wrong password or no key found``;
                       ``Fatal: an empty password is not a password``
repository_locked      ``unable to create lock in backend: repository is already locked by PID 8205
                       on vm by root (UID 0, GID 0)`` (also for a stale lock: restic 0.14 never
                       ignores one, ``restic unlock`` removes it)
permission_denied      ``Fatal: unable to open repository at /r: ReadDir: open /r/keys: permission
                       denied``; ssh ``Permission denied (publickey)``; HTTP 401/403
unreachable            ``dial tcp 127.0.0.1:1: connect: connection refused``; ``dial tcp: lookup
                       host on 10.255.255.53:53: no such host``; ``ssh: Could not resolve hostname
                       h: Name or service not known``; ``unable to start the sftp session``
repository_not_found   ``Fatal: unable to open config file: stat /x/config: no such file or
                       directory`` + ``Is there a repository at the following location?``;
                       rest: ``<config/> does not exist``; a file: ``open /f/keys: not a directory``
failed                 ``unknown flag: --x`` / ``unknown command`` (unsupported restic version)
=====================  ==========================================================================

Order matters: a refused connection also prints "Is there a repository at the following
location?", so ``unreachable`` comes before ``repository_not_found``.

``check`` prints damage on stderr and ends with ``Fatal: repository contains errors`` (exit 1):
``Pack ID does not match, want <id>, got <id>``; ``error for tree <id>:`` followed by indented
detail lines; ``pack <id>: does not exist``; ``pack <id>: unexpected file size: got N, expected M``;
``error: error loading index <id>: ...`` + ``Fatal: LoadIndex returned errors``;
``Fatal: config or key <id> is damaged: ciphertext verification failed``. Retries
(``Load(<data/...>, ...) returned error, retrying after ...``) are noise, not errors.
"""

from __future__ import annotations

import os
import re
import signal
import time

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
    validate_subset,
)

RESTIC_ERRORS = (
    pattern(
        "wrong_password",
        r"wrong password or no key found|empty password is not a password",
        "the password is wrong (no key of the repository opens with it). Check the password "
        "recorded for this repository.",
    ),
    pattern(
        "repository_locked",
        r"repository is already locked|unable to create lock in backend",
        "the repository is locked by another restic process. Retry after it ends; if none is "
        "running, the lock is stale and `restic unlock` removes it.",
    ),
    pattern(
        "permission_denied",
        r"permission denied|host key verification failed|\b(401|403)\b.*(unauthorized|forbidden)",
        "access was refused (permission denied). Check the file permissions or the "
        "credentials of the account running the checks.",
    ),
    pattern(
        "unreachable",
        r"connection refused|no such host|could not resolve hostname|network is unreachable"
        r"|no route to host|i/o timeout|connection reset|connection timed out"
        r"|unable to start the sftp session|tls: |x509: ",
        "the storage could not be reached (network, DNS, TLS or server down). Check that the "
        "server is up and reachable from this machine.",
    ),
    pattern(
        "repository_not_found",
        r"is there a repository at the following location|unable to open config file"
        r"|<config/> does not exist|: not a directory|bucket does not exist",
        "there is no restic repository at this location. Check the repository path or URL.",
    ),
    pattern(
        "failed",
        r"unknown flag|unknown shorthand flag|unknown command",
        "restic refused the command line; this restic version is not supported (0.14+ needed).",
    ),
)

# check(): stderr that proves the check ran and found damage (never an access problem).
_DAMAGE = re.compile(
    r"^Fatal: (repository contains errors|LoadIndex returned errors|config or key .* is damaged)",
    re.MULTILINE,
)
# check(): stderr lines that are neither errors nor error details.
_CHECK_NOISE = re.compile(
    r"^(Load\(.*\) returned error, retrying after"
    r"|\[\d+:\d+\]"
    r"|\d+ additional files were found in the repo"
    r"|You can run `restic prune`"
    r"|(create exclusive lock|load indexes|check all packs|check snapshots|read all data)"
    r"|no errors were found)"
)
_HEX = re.compile(r"^[0-9a-f]{8,64}$")


def check_errors(stderr: str) -> tuple[list[str], list[str]]:
    """(errors, summaries) from restic check's stderr; indented lines join their header."""
    errors: list[str] = []
    summaries: list[str] = []
    for raw in stderr.splitlines():
        line = raw.rstrip()
        if not line.strip() or _CHECK_NOISE.match(line.strip()):
            continue
        if line[:1].isspace() and errors:
            errors[-1] = f"{errors[-1]} {line.strip()}"
        elif line.startswith("Fatal: "):
            summaries.append(line)
        else:
            errors.append(line.strip())
    return errors, summaries


class ResticEngine:
    """Read-only access to one restic repository."""

    name = "restic"

    def __init__(
        self,
        repository: str,
        password: str,
        *,
        timeout: float = 600.0,
        binary: str = "restic",
        home: str | os.PathLike[str] | None = None,
    ):
        self.repository = repository
        self._password = password
        self.timeout = timeout
        self.binary = binary
        self.home = home

    def __repr__(self) -> str:
        return f"ResticEngine({self.repository!r})"

    # -- running ------------------------------------------------------------------------------

    def _run(self, args: list[str]) -> RunResult:
        with private_home(self.home) as home:
            env = base_environment(home)
            env["RESTIC_REPOSITORY"] = self.repository
            env["RESTIC_PASSWORD"] = self._password
            env["RESTIC_CACHE_DIR"] = os.path.join(home, "cache")
            argv = [self.binary, "--no-cache", *args]
            # SIGINT: restic 0.14 removes its lock on SIGINT, not on SIGTERM.
            return run(
                argv, env=env, timeout=self.timeout, engine="restic", command=args[0],
                repository=self.repository, secret=self._password, stop_signal=signal.SIGINT,
            )

    def _json(self, args: list[str]):
        result = self._run(args)
        if result.returncode != 0:
            raise failure(result, RESTIC_ERRORS, engine="restic", command=args[0],
                          repository=self.repository)
        return result, load_json(result, engine="restic", command=" ".join(args),
                                 repository=self.repository)

    # -- API ----------------------------------------------------------------------------------

    def snapshots(self) -> list[Snapshot]:
        """All snapshots, oldest first (``restic snapshots --json``)."""
        result, data = self._json(["snapshots", "--json"])
        if not isinstance(data, list):
            raise self._garbled(result, "snapshots --json", "a JSON list was expected")
        snaps = []
        for item in data:
            try:
                snaps.append(self._snapshot(item))
            except (TypeError, ValueError, KeyError) as exc:
                raise self._garbled(result, "snapshots --json", f"bad snapshot: {exc}") from None
        return sorted(snaps, key=lambda s: s.time)

    @staticmethod
    def _snapshot(item) -> Snapshot:
        if not isinstance(item, dict):
            raise TypeError("not an object")
        sid, short = item["id"], item.get("short_id") or str(item["id"])[:8]
        if not (isinstance(sid, str) and _HEX.match(sid) and isinstance(short, str)):
            raise ValueError(f"id {sid!r}")
        paths, tags = item.get("paths") or [], item.get("tags") or []
        hostname = item.get("hostname") or ""
        if not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            raise ValueError("paths")
        if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            raise ValueError("tags")
        if not isinstance(hostname, str):
            raise ValueError("hostname")
        return Snapshot(id=sid, name=short, time=parse_time(item["time"]), hostname=hostname,
                        paths=tuple(paths), tags=tuple(tags))

    def info(self) -> RepositoryInfo:
        """Encryption (always on), stored size (``stats --mode raw-data``) and snapshot count."""
        result, data = self._json(["stats", "--json", "--mode", "raw-data"])
        size, count = (data.get("total_size"), data.get("snapshots_count")) if isinstance(
            data, dict) else (None, None)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                   for v in (size, count)):
            raise self._garbled(result, "stats --json",
                                "total_size and snapshots_count were expected")
        return RepositoryInfo(encrypted=True, encryption="restic", total_size_bytes=size,
                              snapshot_count=count)

    def check(
        self, *, subset: tuple[int, int] | None = None, read_data: bool = True
    ) -> CheckResult:
        """``restic check`` (+ ``--read-data`` or ``--read-data-subset=n/t``).

        Damage found is a CheckResult with ok=False; access problems raise EngineError.
        """
        subset = validate_subset(subset)
        args = ["check"]
        if subset is not None:
            if not read_data:
                raise ValueError("a subset is a part of the data to read: read_data must be True")
            args.append(f"--read-data-subset={subset[0]}/{subset[1]}")
        elif read_data:
            args.append("--read-data")
        started = time.monotonic()
        result = self._run(args)
        duration = time.monotonic() - started
        output = excerpt((result.stdout + result.stderr).strip(), OUTPUT_LIMIT)
        errors, summaries = check_errors(result.stderr)
        if result.returncode != 0 and not _DAMAGE.search(result.stderr):
            if classify(result.stderr, RESTIC_ERRORS) is not None:
                raise failure(result, RESTIC_ERRORS, engine="restic", command=" ".join(args),
                              repository=self.repository)
        ok = result.returncode == 0 and not errors
        if not ok and not errors:
            errors = summaries or [f"restic check exited with status {result.returncode}"]
        return CheckResult(
            ok=ok,
            error_count=0 if ok else max(1, len(errors)),
            errors=() if ok else tuple(excerpt(e, 1000) for e in errors[:MAX_ERRORS]),
            subset=subset,
            read_data=subset is not None or read_data,
            duration_seconds=duration,
            output=output,
        )

    def _garbled(self, result: RunResult, command: str, why: str) -> EngineError:
        return garbled(result, engine="restic", command=command, repository=self.repository,
                       why=why)
