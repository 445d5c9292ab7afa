"""The application probe of a level-3 restore test (no Django).

The command line is split with shlex (no shell); ``{sandbox}`` in any argument becomes the
restored-data directory. It runs there (cwd), with stdin=/dev/null, in its own session and
process group, with a minimal environment (PATH, HOME and TMPDIR inside the sandbox, LANG, TZ,
PCRA_SANDBOX) - never the repository's secret. It passes when it exits 0 within
``probe_timeout`` and, if ``probe_expect`` is set, its stdout matches that regular expression
(``re.search`` with MULTILINE: ``^`` and ``$`` match at each line). On timeout its group gets
SIGTERM then SIGKILL; after it exits, whatever it left running in its group is killed too.

The probe is a command written by a person, run by the worker or an agent: it is **confined**
with bubblewrap (``bwrap``). It sees the system's programs and libraries read-only (``/usr``),
a handful of files of ``/etc`` (users, name resolution, certificates), an empty ``/tmp`` and
its sandbox (read-write) - not pcra's data directory, its key file, its database, nor an
agent's token. It keeps the network (an HTTP check is a probe). Without bwrap the probe is not
run: the test fails and says so (fail closed).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import time

from pcra.backups.engines.base import EngineError, excerpt

from .process import Child, LimitReached, wait
from .session import Failure, Session

OUTPUT_EXCERPT = 4000
#: what of /etc a probe sees (read-only, when present)
CONFINED_ETC = ("passwd", "group", "nsswitch.conf", "hosts", "host.conf", "resolv.conf",
                "gai.conf", "localtime", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl",
                "ca-certificates", "alternatives", "mime.types")


def confined_argv(argv: list[str], sandbox: str, cwd: str, bwrap: str) -> list[str]:
    """``argv`` run by bubblewrap in new namespaces (pid, ipc, uts, user, mount, cgroup; the
    network is kept), seeing /usr, a few files of /etc and the sandbox only."""
    args = [bwrap, "--die-with-parent", "--unshare-all", "--share-net",
            "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in CONFINED_ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
             "--bind", sandbox, sandbox, "--chdir", cwd, "--"]
    return args + argv


def probe_argv(command: str, data_dir: str) -> list[str]:
    """The probe's argv (ValueError for an empty or unbalanced command line)."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("the probe command is empty")
    return [arg.replace("{sandbox}", data_dir) for arg in argv]


def run_probe(session: Session) -> None:
    s = session
    spec = s.spec
    data = s.sandbox.data
    with s.step("probe", "probe") as record:
        argv = probe_argv(spec.probe_command, data)
        env = {
            "PATH": os.environ.get("PATH") or os.defpath,
            "HOME": s.sandbox.tmp,
            "TMPDIR": s.sandbox.tmp,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "PCRA_SANDBOX": data,
        }
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise Failure("probe_failed",
                          "The probe was not run: it runs confined by bubblewrap, and bwrap is "
                          "not installed on this machine (Debian package bubblewrap).")
        child = Child(confined_argv(argv, s.sandbox.path, data, bwrap), env=env,
                      engine="probe", command="probe", cwd=data, secret=spec.secret,
                      stop_signal=signal.SIGTERM)
        started = time.monotonic()
        probe = {"command": spec.probe_command, "exit_code": None, "stdout": "", "stderr": "",
                 "duration_seconds": 0.0, "ok": False}
        s.probe = probe
        problem = ""
        try:
            s.control.poll(force=True)
            child.start()
            wait([child], s.control, limit=started + spec.probe_timeout)
        except EngineError:
            problem = (f"The probe command {argv[0]!r} was not found or is not executable in "
                       f"the sandbox; fix the probe command.")
        except LimitReached:
            problem = (f"The probe did not finish within its {spec.probe_timeout:g} seconds and "
                       f"was stopped.")
        finally:
            if child.proc is not None:
                # Whatever the probe left running in its group must not outlive the sandbox.
                child._signal(signal.SIGKILL)
            probe["duration_seconds"] = round(time.monotonic() - started, 3)
            probe["stdout"] = excerpt(child.stdout, OUTPUT_EXCERPT)
            probe["stderr"] = excerpt(child.stderr, OUTPUT_EXCERPT)
            probe["exit_code"] = child.returncode if not child.stopped else None
        code = child.returncode
        if not problem and code != 0:
            why = (f"was killed by signal {-code}" if code is not None and code < 0
                   else f"exited with status {code}")
            last = [line for line in child.stderr.splitlines() if line.strip()]
            said = f" (stderr: {excerpt(last[-1].strip(), 300)})" if last else ""
            problem = f"The probe {why}{said}."
        if not problem and spec.probe_expect:
            if not re.search(spec.probe_expect, child.stdout, re.MULTILINE):
                problem = (f"The probe's output does not match the expected pattern "
                           f"{spec.probe_expect!r} (output: "
                           f"{excerpt(child.stdout.strip(), 200)!r}).")
        if problem:
            raise Failure("probe_failed", problem)
        probe["ok"] = True
        record.detail = (f"The probe exited 0 in {probe['duration_seconds']:g} s"
                         f"{' and its output matches ' + repr(spec.probe_expect) if spec.probe_expect else ''}.")
