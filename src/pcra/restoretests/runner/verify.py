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
    """Restored files to read back and compare: each file chosen with probability ``fraction``
    (whatever its size: over the runs, every file has the same chance, and about ``fraction``
    of the bytes is read back each time), then at least ``min_files`` files (the smallest of
    the others) and at most ``max_files`` (a random subset); every file when ``fraction`` >= 1.
    """
    if fraction >= 1:
        return list(files)
    chosen = [entry for entry in files if rng.random() < fraction]
    if len(chosen) > max_files:
        chosen = rng.sample(chosen, max_files)
    if len(chosen) < min_files:
        taken = {id(entry) for entry in chosen}
        others = sorted((e for e in files if id(e) not in taken), key=lambda e: e.size)
        chosen.extend(others[:min_files - len(chosen)])
    return chosen


def _lossy_forms(relative: str) -> set[str]:
    """How an engine lists a restored path whose name is not valid UTF-8: restic's JSON with
    U+FFFD for each invalid byte, borg 1.2's ``list`` with "?"."""
    raw = os.fsencode(relative)
    return {raw.decode("utf-8", "replace"), relative.encode("utf-8", "replace").decode("utf-8")}


class LossyIndex:
    """The restored files by the lossy form of their path, built on the first path that is not
    found as listed (one walk of the restored data). Two names that list alike are told apart
    by their size; each restored file answers for one listed entry only."""

    def __init__(self, root: str):
        self.root = root
        self._index: dict[str, list[str]] | None = None
        self._used: set[str] = set()

    def _build(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                full = os.path.join(folder, name)
                relative = os.path.relpath(full, self.root)
                for form in _lossy_forms(relative):
                    index.setdefault(form, []).append(full)
        return index

    def find(self, listed: str, size: int) -> str | None:
        if self._index is None:
            self._index = self._build()
        candidates = [p for p in self._index.get(listed.lstrip("/"), []) if p not in self._used]
        if not candidates:
            return None
        for full in candidates:
            try:
                if os.lstat(full).st_size == size:
                    self._used.add(full)
                    return full
            except OSError:
                continue
        self._used.add(candidates[0])
        return candidates[0]


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
    lossy = LossyIndex(root)
    for index, entry in enumerate(entries):
        if poll is not None and index % 2000 == 0:
            poll()
        full = path_in(root, entry.path)
        # A listed name with "?" or U+FFFD may stand for several restored names: the index
        # pairs them (same size first), the real "?" included.
        ambiguous = "\ufffd" in entry.path or "?" in entry.path
        try:
            if ambiguous:
                raise FileNotFoundError(full)
            info = os.lstat(full)
        except FileNotFoundError:
            alias = lossy.find(entry.path, entry.size) if ambiguous else None
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
