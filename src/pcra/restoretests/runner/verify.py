"""What a snapshot recorded, and the comparison of a restored tree with it (no Django)."""

from __future__ import annotations

import hashlib
import math
import os
import random
import stat
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from .sandbox import ensure_readable, path_in

HASH_BUFFER = 1 << 20
# Errors listed one by one; beyond, one sentence says how many more there are.
MAX_LISTED = 50


@dataclass(slots=True)
class FileEntry:
    """A regular file recorded in a snapshot."""

    path: str  # as recorded: restic absolute ("/srv/a"), borg relative ("srv/a")
    size: int
    sha256: str = ""  # borg: from `borg list --format {sha256}`
    link: str = ""  # borg 1.2 hard link: the path of the item holding the content


@dataclass
class Listing:
    files: list[FileEntry] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.files)


def choose_sample(
    files: list[FileEntry],
    *,
    snapshot_id: str,
    seed: int,
    count: int | None,
    percent: float | None,
) -> list[FileEntry]:
    """The files of a sample: deterministic for (snapshot_id, seed), sorted by path."""
    ordered = sorted(files, key=lambda entry: entry.path)
    if not ordered:
        return []
    if count is not None:
        wanted = count
    else:
        assert percent is not None
        wanted = math.ceil(len(ordered) * percent / 100.0)
    wanted = min(max(wanted, 1), len(ordered))
    chosen = random.Random(f"{snapshot_id}:{seed}").sample(ordered, wanted)
    return sorted(chosen, key=lambda entry: entry.path)


def choose_readback(
    files: list[FileEntry],
    *,
    fraction: float,
    min_files: int,
    max_files: int,
    rng: random.Random,
) -> list[FileEntry]:
    """Restored files to read back and compare: a random choice of about ``fraction`` of the
    bytes, at least ``min_files`` files (the smallest left when the bytes run out) and at most
    ``max_files``; every file when ``fraction`` >= 1."""
    if fraction >= 1:
        return list(files)
    budget = fraction * sum(entry.size for entry in files)
    order = list(files)
    rng.shuffle(order)
    chosen: list[FileEntry] = []
    left: list[FileEntry] = []
    used = 0
    for entry in order:
        if len(chosen) < max_files and used + entry.size <= budget:
            chosen.append(entry)
            used += entry.size
        else:
            left.append(entry)
    if len(chosen) < min_files:
        left.sort(key=lambda entry: entry.size)
        chosen.extend(left[:min_files - len(chosen)])
    return chosen


def _lossy_match(full: str) -> str | None:
    """The restored file whose name, decoded lossily, is ``full``'s.

    A name that is not valid UTF-8 cannot be listed as it is: restic's JSON gives U+FFFD for
    each invalid byte, borg 1.2's ``list`` a "?". Only the file name is matched this way (a
    directory with such a name is not).
    """
    parent, name = os.path.split(full)
    try:
        names = os.listdir(parent)
    except OSError:
        return None
    for candidate in names:
        if "\ufffd" in name and os.fsencode(candidate).decode("utf-8", "replace") == name:
            return os.path.join(parent, candidate)
        if "?" in name and candidate.encode("utf-8", "replace").decode("utf-8") == name:
            return os.path.join(parent, candidate)
    return None


@dataclass
class Presence:
    """Every expected regular file: there, regular, with the recorded size."""

    present: int = 0  # regular files found with the recorded size
    bytes: int = 0  # their bytes
    found: int = 0  # regular files found (any size)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, sentence)
    ok_paths: list[tuple[FileEntry, str]] = field(default_factory=list)  # (entry, full path)


def check_presence(root: str, entries: Iterable[FileEntry], *, poll=None) -> Presence:
    result = Presence()
    for index, entry in enumerate(entries):
        if poll is not None and index % 2000 == 0:
            poll()
        full = path_in(root, entry.path)
        try:
            info = os.lstat(full)
        except FileNotFoundError:
            alias = _lossy_match(full) if "\ufffd" in entry.path or "?" in entry.path else None
            if alias is None:
                result.problems.append((entry.path, f"File {entry.path!r} is missing from the "
                                        f"restored data."))
                continue
            full = alias
            info = os.lstat(full)
        except OSError as exc:
            result.problems.append((entry.path, f"File {entry.path!r} could not be examined in "
                                    f"the restored data: {exc.strerror or exc}."))
            continue
        if not stat.S_ISREG(info.st_mode):
            result.problems.append((entry.path, f"{entry.path!r} was restored but is not a "
                                    f"regular file, as the snapshot recorded."))
            continue
        result.found += 1
        if info.st_size != entry.size:
            result.problems.append((entry.path, f"File {entry.path!r} was restored with "
                                    f"{info.st_size} bytes instead of the {entry.size} bytes "
                                    f"the snapshot recorded."))
            continue
        result.present += 1
        result.bytes += info.st_size
        result.ok_paths.append((entry, full))
    return result


class NotRegular(OSError):
    pass


def sha256_file(path: str, root: str | None = None) -> tuple[int, str]:
    """(size, SHA-256 hex) of a restored file, never following a symbolic link."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except PermissionError:
        if root is None:
            raise
        ensure_readable(path, root)
        try:
            os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | 0o400)
        except OSError:
            pass
        fd = os.open(path, flags)
    with os.fdopen(fd, "rb", buffering=0) as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(f"{path} is not a regular file")
        if hasattr(os, "posix_fadvise"):
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass
        digest = hashlib.sha256()
        buffer = bytearray(HASH_BUFFER)
        view = memoryview(buffer)
        size = 0
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
            size += count
    return size, digest.hexdigest()


class HashPool:
    """SHA-256 of restored files in a few threads (hashlib releases the GIL on large reads)."""

    def __init__(self, root: str, workers: int | None = None):
        self.root = root
        count = workers or min(4, max(2, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="pcra-hash")
        self.futures: dict[str, Future[tuple[int, str]]] = {}

    def submit(self, entry_path: str, full: str) -> None:
        if entry_path not in self.futures:
            self.futures[entry_path] = self._pool.submit(sha256_file, full, self.root)

    def done_bytes(self) -> int:
        total = 0
        for future in list(self.futures.values()):
            if future.done() and future.exception() is None:
                total += future.result()[0]
        return total

    def close(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)


def describe_problems(problems: list[str], *, noun: str = "problems") -> list[str]:
    """At most MAX_LISTED sentences, then one that says how many more there are."""
    if len(problems) <= MAX_LISTED:
        return list(problems)
    rest = len(problems) - MAX_LISTED
    return [*problems[:MAX_LISTED], f"... and {rest} more {noun} (not listed)."]
