"""Small REAL restic and borg repositories, for the tests and the demo data (no Django).

Everything is deterministic except what the engines randomise themselves (keys, ids, salts).
The repositories are tiny: a few KiB of files, one data pack / segment per snapshot.
"""

from __future__ import annotations

import contextlib
import os
import random
import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

SAMPLE_HOST = "pcra-sample"
SAMPLE_TAG = "sample"

_WORDS = (
    "patient", "dossier", "urgence", "bloc", "pharmacie", "laboratoire", "imagerie", "admission",
    "sauvegarde", "restauration", "plan", "continuite", "reprise", "serveur", "astreinte",
)


def _env(home: str, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH") or os.defpath, "HOME": home, "LANG": "C.UTF-8",
           "LC_ALL": "C", "TZ": "UTC"}
    env.update(extra)
    return env


def _run(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> None:
    proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} {argv[1]} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()[-2000:]}")


def _content(rng: random.Random, size: int, text: bool) -> bytes:
    if text:
        words = []
        length = 0
        while length < size:
            word = rng.choice(_WORDS)
            words.append(word + ("\n" if rng.random() < 0.1 else " "))
            length += len(words[-1])
        return "".join(words).encode()[:size]
    return rng.randbytes(size)


def make_files(root: Path, *, count: int = 20, size: int = 4096, seed: int = 0) -> Path:
    """``count`` deterministic files (every other one binary) of ``size`` bytes in subdirs."""
    root = Path(root)
    rng = random.Random(seed)
    for i in range(count):
        folder = root / f"service-{i % 4:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        binary = i % 2 == 1
        path = folder / (f"image-{i:03d}.bin" if binary else f"compte-rendu-{i:03d}.txt")
        path.write_bytes(_content(rng, size, text=not binary))
    return root


def _mutate(source: Path, step: int) -> None:
    """Change the source between two snapshots: append to a journal, add a new binary file."""
    rng = random.Random(f"mutation-{step}")
    with open(source / "journal.txt", "a", encoding="utf-8") as journal:
        journal.write(f"revision {step}: {' '.join(rng.choice(_WORDS) for _ in range(8))}\n")
    (source / f"revision-{step:03d}.bin").write_bytes(rng.randbytes(8192))


def _times(times: Sequence[datetime] | None, count: int) -> list[datetime | None]:
    if times is None:
        return [None] * count
    if len(times) != count:
        raise ValueError(f"{len(times)} times given for {count} snapshots")
    return [t if t.tzinfo else t.replace(tzinfo=UTC) for t in times]


def make_restic_repo(
    path: Path,
    password: str,
    *,
    source: Path,
    snapshots: int = 2,
    times: list[datetime] | None = None,
) -> Path:
    """``restic init`` then ``snapshots`` backups of ``source`` (changed before each new one).

    ``times`` (aware or UTC) date the snapshots with ``restic backup --time``.
    """
    path, source = Path(path), Path(source)
    dates = _times(times, snapshots)
    with tempfile.TemporaryDirectory(prefix="pcra-sample-") as home:
        env = _env(home, RESTIC_REPOSITORY=str(path), RESTIC_PASSWORD=password)
        _run(["restic", "init", "--no-cache"], env)
        for step, when in enumerate(dates):
            if step:
                _mutate(source, step)
            argv = ["restic", "backup", "--no-cache", "--quiet", "--host", SAMPLE_HOST,
                    "--tag", SAMPLE_TAG]
            if when is not None:
                argv += ["--time", when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")]
            _run([*argv, str(source)], env)
    return path


def make_borg_repo(
    path: Path,
    passphrase: str,
    *,
    source: Path,
    archives: int = 2,
    times: list[datetime] | None = None,
    encryption: str = "repokey-blake2",
    home: Path | None = None,
) -> Path:
    """``borg init`` then ``archives`` archives of ``source`` named ``sample-N``.

    ``times`` (aware or UTC) date the archives with ``borg create --timestamp``. ``home`` is
    borg's HOME / BORG_BASE_DIR (default: a throw-away one); a BorgEngine using the same home
    knows the repository, which borg requires to open an unencrypted ("none") one.
    """
    path, source = Path(path), Path(source)
    dates = _times(times, archives)
    with contextlib.ExitStack() as stack:
        if home is None:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix="pcra-sample-"))
        Path(home).mkdir(parents=True, exist_ok=True)
        home = str(home)
        env = _env(home, BORG_REPO=str(path), BORG_PASSPHRASE=passphrase or "",
                   BORG_BASE_DIR=home, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="no",
                   BORG_RELOCATED_REPO_ACCESS_IS_OK="no")
        _run(["borg", "init", "--encryption", encryption], env)
        for step, when in enumerate(dates):
            if step:
                _mutate(source, step)
            argv = ["borg", "create"]
            if when is not None:
                argv += ["--timestamp", when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")]
            _run([*argv, f"::sample-{step + 1}", "."], env, cwd=source)
    return path


def restic_pack_files(repo: Path) -> list[Path]:
    """The pack files (``data/xx/<id>``) of a local restic repository, sorted by name."""
    return sorted(p for p in (Path(repo) / "data").glob("*/*") if p.is_file())


def borg_segment_files(repo: Path) -> list[Path]:
    """The segment files (``data/N/M``) of a local borg repository, largest first."""
    files = [p for p in (Path(repo) / "data").glob("*/*") if p.is_file() and p.name.isdigit()]
    return sorted(files, key=lambda p: (-p.stat().st_size, int(p.name)))


_BORG_MAGIC = b"BORG_SEG"
_BORG_PUT_HEADER = 41  # crc32 (4) + size (4) + tag (1) + key (32)


def _payload_middle(data: bytes) -> int:
    """An offset in the middle of the stored data, not in a header.

    borg segment: the middle of the largest PUT entry's data (its CRC then no longer matches).
    restic pack: blobs first, then the encrypted header and its 4-byte length: the middle of
    the blobs. Anything else: the middle of the file.
    """
    if data.startswith(_BORG_MAGIC):
        offset, best = len(_BORG_MAGIC), None
        while offset + 9 <= len(data):
            size, tag = struct.unpack_from("<IB", data, offset + 4)
            if size < 9 or offset + size > len(data):
                break
            if tag == 0 and size > _BORG_PUT_HEADER and (best is None or size > best[1]):
                best = (offset, size)
            offset += size
        if best is not None:
            start = best[0] + _BORG_PUT_HEADER
            return start + (best[1] - _BORG_PUT_HEADER) // 2
    elif len(data) > 4:
        (header,) = struct.unpack_from("<I", data, len(data) - 4)
        if 0 < header < len(data) - 4:
            return (len(data) - 4 - header) // 2
    return len(data) // 2


def flip_byte(path: Path, offset: int | None = None) -> None:
    """Invert one byte of ``path`` (default: in the middle of its payload), keeping its mode."""
    path = Path(path)
    data = bytearray(path.read_bytes())
    if not data:
        raise ValueError(f"{path} is empty")
    where = _payload_middle(bytes(data)) if offset is None else offset
    if not 0 <= where < len(data):
        raise ValueError(f"offset {where} outside {path} ({len(data)} bytes)")
    data[where] ^= 0xFF
    mode = path.stat().st_mode
    path.chmod(mode | 0o200)
    try:
        path.write_bytes(bytes(data))
    finally:
        path.chmod(mode)
