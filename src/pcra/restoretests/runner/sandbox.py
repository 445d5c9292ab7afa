"""The throw-away sandbox a snapshot is restored into, and its clean-up (no Django).

Layout of a sandbox ``<sandbox_root>/pcra-restore-XXXXXXXX/`` (mode 0700):

* ``data/``  the restored data (the probe's ``{sandbox}`` and current directory);
* ``home/``  the engine's throw-away HOME when none is configured, and the probe's HOME;
* ``tmp/``   the probe's TMPDIR and pcra's own scratch files;
* ``.lock``  held (flock) while the test runs, so :func:`remove_stale_sandboxes` never removes
  the sandbox of a test still running, even one of another process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from .model import SANDBOX_PREFIX

LOCK_NAME = ".lock"


def human_bytes(value: int | float) -> str:
    """``1536`` -> ``"1.5 KiB"`` (binary units, as df -h prints them)."""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class Sandbox:
    def __init__(self, path: str):
        self.path = path
        self.data = os.path.join(path, "data")
        self.home = os.path.join(path, "home")
        self.tmp = os.path.join(path, "tmp")
        self._lock_fd: int | None = None

    @classmethod
    def create(cls, root: str) -> Sandbox:
        path = tempfile.mkdtemp(prefix=SANDBOX_PREFIX, dir=root)
        box = cls(path)
        try:
            fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            box._lock_fd = fd
            for sub in (box.data, box.home, box.tmp):
                os.mkdir(sub, 0o700)
        except BaseException:
            box.remove()
            raise
        return box

    def remove(self) -> bool:
        """Remove the whole sandbox (read-only directories included); True when it is gone."""
        try:
            removed = remove_tree(self.path)
        finally:
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)
                self._lock_fd = None
        return removed


def _make_writable(path: str) -> None:
    """Give the owner rwx on every directory below ``path`` (symlinks are never followed)."""
    with contextlib.suppress(OSError):
        mode = os.lstat(path).st_mode
        if stat.S_ISDIR(mode) and (mode & 0o700) != 0o700:
            os.chmod(path, stat.S_IMODE(mode) | 0o700)
    for top, dirs, _files in os.walk(path, onerror=lambda _exc: None):
        for name in dirs:
            full = os.path.join(top, name)
            with contextlib.suppress(OSError):
                mode = os.lstat(full).st_mode
                if stat.S_ISDIR(mode) and (mode & 0o700) != 0o700:
                    os.chmod(full, stat.S_IMODE(mode) | 0o700)


def remove_tree(path: str) -> bool:
    """``rm -rf path``, making read-only directories writable first; True when it is gone."""
    if not os.path.lexists(path):
        return True

    def retry(function, name, _exc_info):
        parent = os.path.dirname(name)
        with contextlib.suppress(OSError):
            os.chmod(parent, stat.S_IMODE(os.lstat(parent).st_mode) | 0o700)
        with contextlib.suppress(OSError):
            function(name)

    try:
        shutil.rmtree(path, onerror=retry)
    except OSError:
        pass
    if os.path.lexists(path):
        _make_writable(path)
        with contextlib.suppress(OSError):
            shutil.rmtree(path, onerror=retry)
    return not os.path.lexists(path)


def remove_stale_sandboxes(sandbox_root: str) -> int:
    """Remove the ``pcra-restore-*`` sandboxes left by killed runs; return how many.

    A sandbox whose lock is held (its test is still running, in any process) is left alone.
    """
    removed = 0
    try:
        entries = list(os.scandir(sandbox_root))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(SANDBOX_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        lock = os.path.join(entry.path, LOCK_NAME)
        fd = None
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        except FileNotFoundError:
            pass  # killed before the lock was made
        except OSError:
            continue
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        continue  # a running test holds it
                    raise
            if remove_tree(entry.path):
                removed += 1
        except OSError:
            continue
        finally:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
    return removed


def tree_usage(path: str) -> tuple[int, int]:
    """(bytes written, regular files) below ``path``: the restore's progress, measured."""
    total = files = 0
    stack = [path]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            info = entry.stat(follow_symlinks=False)
                            # A file being written may be pre-sized: count the blocks written.
                            total += min(info.st_size, info.st_blocks * 512)
                            files += 1
                    except OSError:
                        continue
        except OSError:
            continue
    return total, files


class TreeMeter:
    """Measures what a restore has written below ``path``, in a background thread, every
    second: from the filesystem's counters (blocks and inodes used since the start, one
    ``statvfs`` call, whatever the number of files), so that measuring steals nothing from the
    restore. Other writers on the same filesystem make it approximate: it is the progress shown,
    never a result (the results come from the verification of every file)."""

    def __init__(self, path: str, *, interval: float = 1.0):
        self.path = path
        self.interval = interval
        self.bytes = 0
        self.files = 0
        self._start = self._counters()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pcra-tree-meter")

    def _counters(self) -> tuple[int, int] | None:
        try:
            st = os.statvfs(self.path)
        except OSError:
            return None
        return st.f_bfree * st.f_frsize, st.f_ffree

    def __enter__(self) -> TreeMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            now = self._counters()
            if self._start is None or now is None:
                self.bytes, self.files = tree_usage(self.path)  # no counters: walk
                continue
            self.bytes = max(0, self._start[0] - now[0])
            self.files = max(0, self._start[1] - now[1])


def free_bytes(path: str) -> int:
    return shutil.disk_usage(path).free


def path_in(root: str, relative: str) -> str:
    """``relative`` (a path recorded in a snapshot) below ``root``."""
    return os.path.join(root, relative.lstrip("/"))


def ensure_readable(path: str, root: str) -> None:
    """Give the owner r-x on the directories from ``root`` down to ``path``'s parent.

    The engines restore a directory's mode after its content: a directory recorded as 0o000
    would make its files unreadable to a non-root verifier.
    """
    parent = Path(path).parent
    chain = []
    root_path = Path(root)
    while parent != root_path and root_path in parent.parents:
        chain.append(parent)
        parent = parent.parent
    for directory in reversed(chain):
        with contextlib.suppress(OSError):
            mode = os.lstat(directory).st_mode
            if stat.S_ISDIR(mode):
                os.chmod(directory, stat.S_IMODE(mode) | 0o500)
