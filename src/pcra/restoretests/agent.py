"""``pcra agent``: the restore-test runner of a backup zone (docs/agent.md).

It calls the pcra server over HTTPS (the server never calls it: no listening socket), claims
the restore tests assigned to it, runs each with :mod:`pcra.restoretests.runner` in a local
sandbox, reports progress (which renews the run's lease and brings back cancellations) and
uploads the result. Standard library only (``urllib.request`` and ``ssl``), no Django: it also
runs as ``python -m pcra.restoretests.agent``.

Exit codes: 0 stopped cleanly, or ``--once`` with nothing to do or a passed test; 1 ``--once``
and the test did not pass (failed or cancelled); 2 the server refused the token (revoked or
unknown); 3 a configuration or connection problem (address, token file, certificate, server
unreachable with ``--once``).

Never printed or written anywhere: the token and the repository password (the claim answer
is parsed in memory and handed to the runner).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import http.client
import json
import os
import random
import signal
import ssl
import stat
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import pcra

API_PATH = "api/agent/v1/"
EXIT_OK, EXIT_TEST_FAILED, EXIT_TOKEN_REFUSED, EXIT_PROBLEM = 0, 1, 2, 3
TOKEN_REFUSED_MESSAGE = ("token refused (revoked or unknown): register the agent again in pcra "
                         "and put the new token in the token file")
DEFAULT_RESERVE_BYTES = 512 * 1024 * 1024
DEFAULT_POLL_SECONDS = 30.0
PENDING_DIR = ".pcra-agent-results"
#: progress is sent at most this often, and at least every heartbeat (a fraction of the lease)
PROGRESS_MIN_SECONDS = 2.0
#: while nothing moves (a long probe, a slow listing), a report at least this often: it renews
#: the lease and brings back a cancellation asked in pcra within that delay
HEARTBEAT_MAX_SECONDS = 5.0
#: how long a stopping agent keeps trying to deliver the result of an interrupted test, and
#: how long ``--once`` tries (a result not delivered stays on disk for the next start)
STOP_DELIVERY_SECONDS = 20.0
ONCE_DELIVERY_SECONDS = 300.0
HTTP_TIMEOUT_SECONDS = 30.0
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 2.0, 60.0
PROGRESS_FIELDS = ("phase", "bytes_done", "bytes_total", "files_done", "files_total")


# --- Errors -----------------------------------------------------------------------------------


class AgentError(Exception):
    """The agent cannot go on; the message is for the operator."""

    def __init__(self, message: str, exit_code: int = EXIT_PROBLEM):
        super().__init__(message)
        self.exit_code = exit_code


class TokenRefused(AgentError):
    def __init__(self):
        super().__init__(TOKEN_REFUSED_MESSAGE, EXIT_TOKEN_REFUSED)


class ServerUnreachable(Exception):
    """A network problem or a server error: worth trying again later."""


class CertificateRefused(ServerUnreachable):
    """The server's certificate could not be verified."""


class ServerAnswer(Exception):
    """The server answered with a client error (not 401): trying again would not help."""

    def __init__(self, status: int, data: dict):
        self.status = status
        self.data = data
        super().__init__(f"HTTP {status}: {data.get('error') or 'no detail'}")


# --- Configuration ----------------------------------------------------------------------------


def server_base(url: str) -> str:
    """The server address, checked: https only (the token and the repository passwords travel
    over it), with a trailing slash."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise AgentError(f"the server address must start with https:// (the agent token and "
                         f"the repository passwords travel over it), not {url!r}")
    if not parts.hostname:
        raise AgentError(f"the server address {url!r} has no host name")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise AgentError(f"the server address {url!r} must be a plain https://host[:port]/path/ "
                         f"address (no user, query or fragment)")
    return url if url.endswith("/") else url + "/"


def read_token(path: str | os.PathLike, *, warn: Callable[[str], None]) -> str:
    """The token in ``path``. Refused: a missing, empty or world-readable file."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgentError(f"the token file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentError(f"the token file {path} cannot be read: {exc}") from None
    if mode & stat.S_IROTH:
        raise AgentError(f"the token file {path} can be read by every user of this machine "
                         f"(mode {stat.S_IMODE(mode):04o}): restrict it with "
                         f"`chmod 600 {path}` (or 640 for a group) and start again")
    if mode & (stat.S_IRGRP | stat.S_IWGRP | stat.S_IWOTH):
        warn(f"warning: the token file {path} is accessible to its group "
             f"(mode {stat.S_IMODE(mode):04o}); `chmod 600 {path}` keeps it to its owner")
    token = text.strip()
    if not token:
        raise AgentError(f"the token file {path} is empty")
    if not token.isascii() or any(c.isspace() for c in token):
        raise AgentError(f"the token file {path} must hold the agent token alone, on one line")
    return token


def default_sandbox() -> Path:
    """``$XDG_CACHE_HOME/pcra-agent-sandbox`` (``~/.cache`` by default), or
    ``/var/tmp/pcra-agent-sandbox`` for a user without a usable home."""
    cache = os.environ.get("XDG_CACHE_HOME") or ""
    if not cache:
        home = os.path.expanduser("~")
        if home and home != "~" and os.path.isdir(home) and os.access(home, os.W_OK):
            cache = os.path.join(home, ".cache")
    if cache:
        return Path(cache) / "pcra-agent-sandbox"
    return Path("/var/tmp") / "pcra-agent-sandbox"


@dataclasses.dataclass
class Config:
    server: str
    token: str
    ca_file: str | None = None
    sandbox: Path = dataclasses.field(default_factory=default_sandbox)
    reserve_bytes: int = DEFAULT_RESERVE_BYTES
    interval: float | None = None
    once: bool = False


# --- HTTP -------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as an error: the token is never sent to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _decode(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class Client:
    """POSTs JSON to the agent API with the bearer token, verifying the server's certificate
    against the system's authorities or ``ca_file`` alone."""

    def __init__(self, server: str, token: str, *, ca_file: str | None = None,
                 timeout: float = HTTP_TIMEOUT_SECONDS):
        self.base = server_base(server) + API_PATH
        self.token = token
        self.timeout = timeout
        if ca_file is not None and not os.path.isfile(ca_file):
            raise AgentError(f"the CA file {ca_file} does not exist")
        try:
            context = ssl.create_default_context(cafile=ca_file)
        except (ssl.SSLError, OSError) as exc:
            raise AgentError(f"the CA file {ca_file} cannot be read as PEM certificates: "
                             f"{exc}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                   _NoRedirect())

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Accept": "application/json",
                     "User-Agent": f"pcra-agent/{pcra.__version__}"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            try:
                data = _decode(exc.read())
            except Exception:
                data = {}
            if exc.code == 401:
                raise TokenRefused() from None
            if exc.code >= 500 or exc.code in (408, 429):
                raise ServerUnreachable(f"the server answered HTTP {exc.code}") from None
            if 300 <= exc.code < 400:
                raise ServerAnswer(exc.code, {"error": f"redirected to "
                                              f"{exc.headers.get('Location')}; give the "
                                              f"final address with --server"}) from None
            raise ServerAnswer(exc.code, data) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise CertificateRefused(_certificate_message(reason)) from None
            raise ServerUnreachable(str(reason)) from None
        except ssl.SSLCertVerificationError as exc:
            raise CertificateRefused(_certificate_message(exc)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise ServerUnreachable(f"{type(exc).__name__}: {exc}") from None
        data = _decode(raw)
        if not data:
            raise ServerUnreachable(f"the answer of {self.base + path} is not pcra's JSON: is "
                                    f"--server the address of pcra?")
        return data


def _certificate_message(exc: ssl.SSLCertVerificationError) -> str:
    return (f"the server's certificate was refused ({exc.verify_message or exc}): give the "
            f"authority that signed it with --ca-file, or install it in the system's "
            f"authorities")


# --- Running one test -------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _progress_dict(progress) -> dict:
    if isinstance(progress, dict):
        source = progress
    else:
        source = {name: getattr(progress, name, None) for name in PROGRESS_FIELDS}
    data = {"phase": str(source.get("phase") or "")}
    for name in PROGRESS_FIELDS[1:]:
        value = source.get(name)
        data[name] = int(value) if isinstance(value, int | float) and value >= 0 else 0
    return data


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"  # pragma: no cover


def _progress_text(p: dict) -> str:
    parts = [p["phase"] or "starting"]
    if p["bytes_total"]:
        parts.append(f"{100 * p['bytes_done'] / p['bytes_total']:.0f}% "
                     f"({_size(p['bytes_done'])} / {_size(p['bytes_total'])})")
    if p["files_total"]:
        parts.append(f"{p['files_done']} / {p['files_total']} files")
    return ", ".join(parts)


class Reporter:
    """Sends the runner's progress from a thread of its own (a slow server never slows the
    restore): at most every PROGRESS_MIN_SECONDS, and at least every heartbeat so the lease
    holds while nothing moves. Its answers drive ``should_cancel``: a cancellation asked in
    pcra, a run that is over on the server (409, 404), a revoked token, or the agent stopping."""

    def __init__(self, client: Client, run_id: str, *, lease_seconds: float,
                 stop: threading.Event, log: Callable[[str], None]):
        self.client = client
        self.run_id = run_id
        self.stop = stop
        self.log = log
        self.heartbeat = max(PROGRESS_MIN_SECONDS,
                             min(HEARTBEAT_MAX_SECONDS, lease_seconds / 6))
        self.cancel_reason = ""
        self.token_refused = False
        self._latest: dict | None = None
        self._version = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pcra-agent-progress",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=HTTP_TIMEOUT_SECONDS + 5)

    def update(self, progress) -> None:
        data = _progress_dict(progress)
        with self._lock:
            self._latest = data
            self._version += 1

    def should_cancel(self) -> bool:
        return bool(self.cancel_reason) or self.stop.is_set()

    def _loop(self) -> None:
        last_sent = time.monotonic()
        sent_version = 0
        last_phase, last_logged = None, 0.0
        unreachable = False
        while not self._closed.wait(0.25):
            with self._lock:
                latest, version = self._latest, self._version
            moment = time.monotonic()
            if latest is None or not latest["phase"]:
                continue  # nothing to report yet (the lease runs from the claim)
            changed = version != sent_version
            if not ((changed and moment - last_sent >= PROGRESS_MIN_SECONDS)
                    or moment - last_sent >= self.heartbeat):
                continue
            last_sent, sent_version = moment, version
            if latest["phase"] != last_phase or moment - last_logged >= 30:
                self.log(f"run {self.run_id}: {_progress_text(latest)}")
                last_phase, last_logged = latest["phase"], moment
            try:
                answer = self.client.post(f"runs/{self.run_id}/progress/", latest)
            except TokenRefused:
                self.token_refused = True
                self.cancel_reason = "the server refused the token"
                return
            except ServerAnswer as exc:
                if exc.status in (404, 409):
                    self.cancel_reason = (f"the server ended the run "
                                          f"({exc.data.get('status') or exc.status})")
                    self.log(f"run {self.run_id}: {self.cancel_reason}: stopping the test")
                    return
                self.log(f"run {self.run_id}: progress refused: {exc}")
                continue
            except ServerUnreachable as exc:
                if not unreachable:
                    self.log(f"run {self.run_id}: server unreachable ({exc}); the test goes "
                             f"on and its result will be sent when the server answers")
                unreachable = True
                continue
            if unreachable:
                self.log(f"run {self.run_id}: server reachable again")
                unreachable = False
            if answer.get("cancel") is True:
                self.cancel_reason = "cancellation asked in pcra"
                self.log(f"run {self.run_id}: {self.cancel_reason}: stopping the test")
                return


def _failure(code: str, message: str) -> dict:
    return {"status": "failed", "error_code": code, "errors": [message], "steps": [],
            "sandbox_removed": True}


class Backoff:
    """Waits between retries: RETRY_FIRST_SECONDS doubling up to RETRY_MAX_SECONDS, ±20 %."""

    def __init__(self):
        self.first, self.cap, self.delay = RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS, 0.0

    def next(self) -> float:
        self.delay = self.first if not self.delay else min(self.cap, self.delay * 2)
        return self.delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.delay = 0.0


class Agent:
    def __init__(self, config: Config, *, client: Client | None = None,
                 out: TextIO | None = None, err: TextIO | None = None):
        self.config = config
        self.client = client or Client(config.server, config.token, ca_file=config.ca_file)
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stop = threading.Event()
        self.stop_reason = ""

    # -- output
    def log(self, message: str) -> None:
        print(f"{_now()} {message}", file=self.err, flush=True)

    def say(self, message: str) -> None:
        print(f"{_now()} {message}", file=self.out, flush=True)

    def request_stop(self, reason: str) -> None:
        if not self.stop.is_set():
            self.stop_reason = reason
            self.log(f"{reason}: stopping (a running test is stopped and its sandbox removed)")
        self.stop.set()

    # -- sandbox and results kept for later delivery
    @property
    def pending_dir(self) -> Path:
        return self.config.sandbox / PENDING_DIR

    def prepare(self) -> None:
        from pcra.restoretests import runner

        root = self.config.sandbox
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            if stat.S_IMODE(root.stat().st_mode) & 0o077:
                root.chmod(0o700)  # restored data is the hospital's data: owner only
            self.pending_dir.mkdir(exist_ok=True, mode=0o700)
        except OSError as exc:
            raise AgentError(f"the sandbox directory {root} cannot be used: {exc}") from None
        removed = runner.remove_stale_sandboxes(str(root))
        count = len(removed) if isinstance(removed, list | tuple | set) else int(removed or 0)
        if count:
            self.log(f"removed {count} sandbox(es) left by an interrupted test in {root}")

    def _keep(self, run_id: str, label: str, result: dict) -> Path | None:
        """Write the result to disk before sending it (mode 600): it survives a stop while the
        server is away. None: it could not be written (it is still sent)."""
        path = self.pending_dir / f"{run_id}.json"
        temp = path.with_suffix(".tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"run": run_id, "label": label, "result": result}, handle)
            os.replace(temp, path)
        except OSError as exc:
            self.log(f"run {run_id}: the result cannot be kept on disk ({exc})")
            return None
        return path

    def deliver_pending(self) -> None:
        """Results a previous agent could not deliver (the server was unreachable when it
        stopped): sent first."""
        for path in sorted(self.pending_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                run_id, result = str(data["run"]), data["result"]
                label = str(data.get("label") or "")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.log(f"unreadable pending result {path} removed: {exc}")
                path.unlink(missing_ok=True)
                continue
            self.log(f"run {run_id}: sending the result kept by a previous start")
            answer = self._deliver(run_id, result, path)
            if answer is not None:
                self.say(self._summary(run_id, label, answer, result))

    def _deliver(self, run_id: str, result: dict, kept: Path | None) -> dict | None:
        """Upload a result until the server has it (network errors and server errors are
        retried with backoff: a result is not lost because the server was briefly away). None:
        refused for good, or kept on disk for the next start because the agent is stopping
        (or ``--once`` gave up after ONCE_DELIVERY_SECONDS)."""
        backoff = Backoff()
        deadline = time.monotonic() + ONCE_DELIVERY_SECONDS if self.config.once else None
        while True:
            try:
                answer = self.client.post(f"runs/{run_id}/result/", result)
            except ServerUnreachable as exc:
                wait = backoff.next()
                if self.stop.is_set():
                    stop_deadline = time.monotonic() + STOP_DELIVERY_SECONDS
                    deadline = min(deadline or stop_deadline, stop_deadline)
                if deadline is not None and time.monotonic() + wait > deadline:
                    where = (f"it is kept in {kept} and sent when the agent starts again"
                             if kept else "it is lost")
                    self.log(f"run {run_id}: the result could not be sent ({exc}); {where}")
                    return None
                self.log(f"run {run_id}: the result could not be sent ({exc}); trying again "
                         f"in {wait:.0f} s")
                if self.stop.is_set():
                    time.sleep(wait)
                else:
                    self.stop.wait(wait)
                continue
            except ServerAnswer as exc:
                self.log(f"run {run_id}: the server refused the result ({exc}); it is dropped")
                if kept:
                    kept.unlink(missing_ok=True)
                return None
            if kept:
                kept.unlink(missing_ok=True)
            return answer

    def _spec(self, fields: dict):
        from pcra.restoretests import runner

        if not isinstance(fields, dict):
            raise ValueError("the test specification is not an object")
        known = {f.name for f in dataclasses.fields(runner.TestSpec)}
        values = {k: v for k, v in fields.items() if k in known}
        values["sandbox_root"] = str(self.config.sandbox)
        values["reserve_bytes"] = self.config.reserve_bytes
        return runner.TestSpec(**values)

    def _summary(self, run_id: str, label: str, answer: dict, result: dict) -> str:
        status = answer.get("status") or "?"
        text = f"run {run_id} {label}: {status}"
        if status == "passed":
            text += (f" ({result.get('files_verified') or 0} files verified, "
                     f"{_size(result.get('bytes_restored') or 0)} restored")
            if result.get("duration_seconds") is not None:
                text += f", {float(result['duration_seconds']):.1f} s"
            text += ")"
        else:
            code = answer.get("error_code") or result.get("error_code") or ""
            errors = result.get("errors") or []
            if code:
                text += f" [{code}]"
            if not answer.get("accepted", True):
                text += " (already ended by the server; this result was not recorded)"
            elif errors:
                text += f": {str(errors[0]).splitlines()[0][:300]}"
        if answer.get("report_sha256"):
            text += f"; evidence sha256 {answer['report_sha256']}"
        return text

    def execute(self, run: dict) -> str | None:
        """Run one claimed test and deliver its result; returns the status the server
        recorded (None: not delivered)."""
        from pcra.restoretests import runner

        try:
            run_id = str(uuid.UUID(str(run.get("id"))))
        except ValueError:
            raise AgentError(f"the server sent a test without a valid id ({run.get('id')!r}): "
                             f"is --server the address of pcra?") from None
        label = str(run.get("label") or "")
        lease = float(run.get("lease_seconds") or 120)
        self.log(f"run {run_id} {label}: started")
        reporter = None
        try:
            spec = self._spec(run.get("spec"))
        except Exception as exc:  # a server newer or older than this agent
            result = _failure("internal", f"the agent could not read the test specification "
                                          f"({type(exc).__name__}: {exc})")
        else:
            reporter = Reporter(self.client, run_id, lease_seconds=lease, stop=self.stop,
                                log=self.log)
            reporter.start()
            try:
                result = runner.run_test(spec, progress=reporter.update,
                                         should_cancel=reporter.should_cancel).to_dict()
            except Exception as exc:
                result = _failure("internal", f"the restore-test runner failed on the agent "
                                              f"({type(exc).__name__}: {exc})")
            finally:
                reporter.close()
            del spec
        if self.stop.is_set() and result.get("status") != "passed":
            # Interrupted by the agent's own stop: whatever the engine said when it was cut
            # short says nothing of the backup.
            result = {**result, "status": "cancelled", "error_code": "cancelled",
                      "errors": [f"The agent was stopped during the test ({self.stop_reason}); "
                                 f"the test is cancelled and its sandbox removed.",
                                 *[str(e) for e in result.get("errors") or []]]}
        if reporter is not None and reporter.token_refused:
            raise TokenRefused()
        kept = self._keep(run_id, label, result)
        answer = self._deliver(run_id, result, kept)
        if answer is None:
            return None
        self.say(self._summary(run_id, label, answer, result))
        return answer.get("status")

    # -- main loop
    def run(self) -> int:
        config = self.config
        self.prepare()
        self.deliver_pending()
        backoff = Backoff()
        self.log(f"pcra agent {pcra.__version__} polling {self.client.base} "
                 f"(sandbox {config.sandbox})")
        while not self.stop.is_set():
            try:
                answer = self.client.post("claim/", {"version": pcra.__version__})
            except CertificateRefused as exc:
                raise AgentError(str(exc)) from None
            except ServerUnreachable as exc:
                if config.once:
                    raise AgentError(f"the server cannot be reached: {exc}") from None
                wait = backoff.next()
                self.log(f"the server cannot be reached ({exc}); next try in {wait:.0f} s")
                self.stop.wait(wait)
                continue
            except ServerAnswer as exc:
                if exc.status == 404:
                    raise AgentError(f"{self.client.base}claim/ does not exist (404): is "
                                     f"--server the address of pcra?") from None
                raise AgentError(f"the server refused the claim: {exc}") from None
            backoff.reset()
            run = answer.get("run")
            if not run:
                if config.once:
                    self.log("no restore test to run")
                    return EXIT_OK
                poll = config.interval or float(answer.get("poll_seconds") or
                                                DEFAULT_POLL_SECONDS)
                self.stop.wait(max(1.0, poll))
                continue
            status = self.execute(run)
            if config.once:
                if status is None:
                    return EXIT_PROBLEM  # not delivered: kept on disk for the next start
                return EXIT_OK if status == "passed" else EXIT_TEST_FAILED
        return EXIT_OK


# --- Command line -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", required=True,
                        help="pcra's address, https:// only (e.g. https://pcra.ght.local/)")
    parser.add_argument("--token-file", required=True,
                        help="file holding the agent token (mode 600)")
    parser.add_argument("--ca-file", default=None,
                        help="PEM file of the authority that signed the server's certificate "
                             "(default: the system's authorities)")
    parser.add_argument("--sandbox", default=None,
                        help=f"directory where tests restore (default {default_sandbox()})")
    parser.add_argument("--reserve-bytes", type=int, default=DEFAULT_RESERVE_BYTES,
                        help="free space to keep on the sandbox's disk beyond what a restore "
                             "writes (default 512 MiB)")
    parser.add_argument("--interval", type=float, default=None,
                        help="seconds between two polls when idle (default: the server's "
                             "advice, 30)")
    parser.add_argument("--once", action="store_true",
                        help="claim once, run the test if there is one, then exit (exit code "
                             "1 if the test did not pass)")


def config_from(options: dict, *, warn: Callable[[str], None]) -> Config:
    base = server_base(options["server"])  # refused before the token file is even read
    if options.get("reserve_bytes") is not None and options["reserve_bytes"] < 0:
        raise AgentError("--reserve-bytes cannot be negative")
    if options.get("interval") is not None and options["interval"] <= 0:
        raise AgentError("--interval must be positive")
    sandbox = Path(options["sandbox"]).expanduser() if options.get("sandbox") else \
        default_sandbox()
    return Config(server=base, token=read_token(options["token_file"], warn=warn),
                  ca_file=options.get("ca_file"), sandbox=sandbox.absolute(),
                  reserve_bytes=options.get("reserve_bytes", DEFAULT_RESERVE_BYTES),
                  interval=options.get("interval"), once=bool(options.get("once")))


def run_from_options(options: dict, *, out: TextIO | None = None,
                     err: TextIO | None = None) -> int:
    """Build the agent from parsed options, stop it cleanly on SIGTERM/SIGINT (a second
    signal stops at once) and run it; returns the exit code."""
    err = err or sys.stderr

    def warn(message: str) -> None:
        print(f"{_now()} {message}", file=err, flush=True)

    try:
        agent = Agent(config_from(options, warn=warn), out=out, err=err)
    except AgentError as exc:
        warn(f"error: {exc}")
        return exc.exit_code

    def on_signal(signum, frame):
        if agent.stop.is_set():
            raise KeyboardInterrupt
        agent.request_stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return agent.run()
    except AgentError as exc:
        warn(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        warn("stopped at once")
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pcra-agent", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run_from_options(vars(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
