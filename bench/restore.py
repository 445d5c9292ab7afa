"""Benchmark: pcra's restore test (level 2) against the engines' own restores.

    .venv/bin/python bench/restore.py [--workdir DIR] [--size-gb 2.0] [--runs 3] [--keep]
                                      [--alternatives]

Generates a deterministic data set of ``--size-gb`` GB of mixed files (about 8 % small text
files of 0.2 to 16 KB, 42 % medium binaries of 0.25 to 8 MB made of random and repeated
blocks, 50 % four large incompressible files), backs it up once into a restic repository and
a Borg repository (repokey-blake2, default lz4 compression), then times, for each engine:

* restic (a) ``restic restore <id>``; (b) ``restic restore <id> --verify``; (c) pcra's restore
  test at level 2 through ``run_test``: ``restic check`` + ``restic ls --json``, the restore
  with ``--verify``, pcra's comparison of every restored file with the listing, the result and
  its JSON report, and the removal of the sandbox;
* Borg (a) ``borg extract``; (c) pcra's level 2: ``borg check --archives-only`` of the
  archive, ``borg list`` (sizes), ``borg extract`` (which checks every chunk's MAC and id and
  every file's size), the presence and size of every restored file, the read-back of a random
  5 % of the bytes compared with ``borg list --format {sha256}``, the result and its report,
  the clean-up.

The page cache cannot be dropped reliably here, so after one warm-up of every variant the
variants run interleaved (a, b, c, a, b, c, ...; the order rotated by one variant at each
round) and all read a warm cache; ``sync`` runs (untimed) between two variants so that one's
dirty pages do not slow the next. Each time is the median of ``--runs`` runs. The restores of (a) and (b) go to a fresh directory, removed after
the clock stops and timed apart; pcra removes its sandbox inside ``run_test``, and that removal
is timed too (by wrapping ``Sandbox.remove``): the ratios are given without the removals and
with them on both sides. Target: pcra ≤ 1.15 × the engine's own verified restore (``restic
restore --verify``; ``borg extract`` for Borg).

The CPU time of the bench and its children (the engines, pcra's threads) is printed too, user
and system apart: the user time is the least sensitive to other work on the machine (on the
virtual machine of the recorded results, the system time of the very same ``borg extract``
varied from 11 to 21 s from one run to the next: the kernel's cost of the page cache).

With ``--alternatives``, two more Borg variants show what the read-back costs: (c2) pcra
reading back every restored file (``borg list --format {sha256}`` of the whole archive, which
decrypts every chunk a second time) and (c3) pcra reading back none.

The data and the repositories are kept in ``--workdir`` (default: a temporary directory,
removed at the end unless ``--keep``) and reused by a later run with the same size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

from pcra.restoretests.runner import TestSpec, run_test  # noqa: E402
from pcra.restoretests.runner import borg as runner_borg  # noqa: E402
from pcra.restoretests.runner import sandbox as runner_sandbox  # noqa: E402

PASSWORD = "bench restore password"
TARGET_RATIO = 1.15
WORDS_SEED = 20261123


# -- data set -----------------------------------------------------------------------------------


def generate(root: Path, size_gb: float, seed: int = 1) -> dict:
    """The mixed data set, deterministic for (size_gb, seed); returns its counts."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
             for _ in range(2000)]
    total = int(size_gb * 1e9)
    counts = {"small": 0, "medium": 0, "large": 0}
    done = 0
    while done < total * 0.08:
        folder = root / "documents" / f"d{counts['small'] // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(200, 16000)
        text = b" ".join(rng.choices(words, k=size // 5))[:size]
        (folder / f"note-{counts['small']:06d}.txt").write_bytes(text)
        done += len(text)
        counts["small"] += 1
    while done < total * 0.5:
        folder = root / "binaries" / f"b{counts['medium'] // 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(256 * 1024, 8 * 1024 * 1024)
        parts, got = [], 0
        while got < size:
            block = rng.randint(4096, 65536)
            parts.append(rng.randbytes(block) if rng.random() < 0.6
                         else bytes([rng.randrange(256)]) * block)
            got += block
        (folder / f"blob-{counts['medium']:05d}.bin").write_bytes(b"".join(parts)[:size])
        done += size
        counts["medium"] += 1
    remaining = total - done
    (root / "images").mkdir(parents=True, exist_ok=True)
    for index in range(4):
        size = remaining // 4
        with open(root / "images" / f"volume-{index}.img", "wb") as handle:
            left = size
            while left > 0:
                piece = min(left, 16 << 20)
                handle.write(rng.randbytes(piece))
                left -= piece
        done += size
        counts["large"] += 1
    counts["bytes"] = done
    return counts


def engine_env(home: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH") or os.defpath, "HOME": str(home), "LANG": "C.UTF-8",
           "LC_ALL": "C", "TZ": "UTC"}
    env.update(extra)
    return env


def restic_env(work: Path) -> dict[str, str]:
    return engine_env(work / "home", RESTIC_REPOSITORY=str(work / "restic"),
                      RESTIC_PASSWORD=PASSWORD)


def borg_env(work: Path) -> dict[str, str]:
    return engine_env(work / "home", BORG_REPO=str(work / "borg"), BORG_PASSPHRASE=PASSWORD,
                      BORG_BASE_DIR=str(work / "home"))


def sh(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def prepare(work: Path, size_gb: float) -> dict:
    """Data and repositories in ``work`` (reused when made for the same size)."""
    marker = work / "bench.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("size_gb") == size_gb:
            print(f"reusing the data and repositories in {work}")
            return info
        shutil.rmtree(work / "data", ignore_errors=True)
        shutil.rmtree(work / "restic", ignore_errors=True)
        shutil.rmtree(work / "borg", ignore_errors=True)
    (work / "home").mkdir(parents=True, exist_ok=True)
    print(f"generating {size_gb:g} GB of files in {work / 'data'} ...", flush=True)
    started = time.perf_counter()
    counts = generate(work / "data", size_gb)
    print(f"  {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    print("restic init + backup ...", flush=True)
    env = restic_env(work)
    sh(["restic", "init", "--no-cache"], env)
    sh(["restic", "backup", "--no-cache", "--quiet", "--host", "bench", "."], env,
       cwd=work / "data")
    snapshot = json.loads(sh(["restic", "snapshots", "--no-cache", "--json"], env))[-1]["id"]
    print("borg init + create ...", flush=True)
    env = borg_env(work)
    sh(["borg", "init", "--encryption", "repokey-blake2"], env)
    sh(["borg", "create", "::bench", "."], env, cwd=work / "data")
    files = sum(1 for path in (work / "data").rglob("*") if path.is_file())
    info = {"size_gb": size_gb, "counts": counts, "files": files, "restic_snapshot": snapshot,
            "restic_repo_bytes": du(work / "restic"), "borg_repo_bytes": du(work / "borg")}
    marker.write_text(json.dumps(info, indent=2))
    return info


def cpu_seconds() -> tuple[float, float]:
    """(user, system) CPU time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + children.ru_utime, own.ru_stime + children.ru_stime


def cpu_since(before: tuple[float, float]) -> tuple[float, float]:
    user, system = cpu_seconds()
    return user - before[0], system - before[1]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- the variants -------------------------------------------------------------------------------


class Bench:
    def __init__(self, work: Path, info: dict, *, alternatives: bool = False):
        self.alternatives = alternatives
        self.work = work
        self.info = info
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, list[tuple[float, float]]] = {}
        self._last_cpu = (0.0, 0.0)
        self.removal: dict[str, list[float]] = {}  # removing the restored files, per variant
        self.steps: dict[str, list[dict[str, float]]] = {}
        self._last_removal = 0.0
        remove = runner_sandbox.Sandbox.remove

        def timed_remove(box):  # pcra's clean-up, timed
            started = time.perf_counter()
            try:
                return remove(box)
            finally:
                self._last_removal = time.perf_counter() - started

        runner_sandbox.Sandbox.remove = timed_remove

    def target(self) -> Path:
        path = self.work / "restore-target"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        return path

    def engine_restore(self, name: str, argv: list[str], env: dict[str, str],
                       cwd_target: bool = False) -> float:
        target = self.target()
        argv = [arg.replace("{target}", str(target)) for arg in argv]
        started, used = time.perf_counter(), cpu_seconds()
        sh(argv, env, cwd=target if cwd_target else None)
        elapsed = time.perf_counter() - started
        self._last_cpu = cpu_since(used)
        restored = sum(1 for path in target.rglob("*") if path.is_file())
        if restored != self.info["files"]:
            raise SystemExit(f"{name}: {restored} files restored, {self.info['files']} expected")
        started = time.perf_counter()
        subprocess.run(["rm", "-rf", str(target)], check=True)
        self._last_removal = time.perf_counter() - started
        return elapsed

    def restic_plain(self) -> float:
        return self.engine_restore("restic restore", [
            "restic", "--no-cache", "restore", self.info["restic_snapshot"], "--target",
            "{target}"], restic_env(self.work))

    def restic_verify(self) -> float:
        return self.engine_restore("restic restore --verify", [
            "restic", "--no-cache", "restore", self.info["restic_snapshot"], "--target",
            "{target}", "--verify"], restic_env(self.work))

    def borg_extract(self) -> float:
        return self.engine_restore("borg extract", ["borg", "extract", "::bench"],
                                   borg_env(self.work), cwd_target=True)

    def pcra(self, engine: str, *, readback: str = "") -> float:
        default = (runner_borg.READBACK_FRACTION, runner_borg.READBACK_MIN_FILES)
        if readback == "every file":
            runner_borg.READBACK_FRACTION = 1.0
        elif readback == "none":
            runner_borg.READBACK_FRACTION, runner_borg.READBACK_MIN_FILES = 0.0, 0
        root = self.work / "sandboxes"
        root.mkdir(exist_ok=True)
        spec = TestSpec(engine=engine, repository=str(self.work / engine), secret=PASSWORD,
                        sandbox_root=str(root), level=2, home=str(self.work / f"home-{engine}"))
        started, used = time.perf_counter(), cpu_seconds()
        result = run_test(spec)
        report = json.dumps(result.to_dict())
        elapsed = time.perf_counter() - started
        self._last_cpu = cpu_since(used)
        if result.status != "passed" or result.files_verified != self.info["files"]:
            raise SystemExit(f"pcra {engine}: {result.status} {result.errors[:3]} "
                             f"({result.files_verified} files verified)")
        assert report
        steps = {step.name: step.duration_seconds for step in result.steps}
        steps["clean-up"] = self._last_removal
        # Check and listing run partly at the same time: what the restore waited for, in all.
        steps["before"] = elapsed - self._last_removal - sum(
            steps[name] for name in ("space", "restore", "verify"))
        key = f"{engine}, read-back of {readback}" if readback else engine
        self.steps.setdefault(key, []).append(steps)
        runner_borg.READBACK_FRACTION, runner_borg.READBACK_MIN_FILES = default
        return elapsed

    def variants(self) -> list[tuple[str, Callable[[], float]]]:
        alternatives = [
            ("borg (c2) pcra, every file read back",
             lambda: self.pcra("borg", readback="every file")),
            ("borg (c3) pcra, no read-back", lambda: self.pcra("borg", readback="none")),
        ] if self.alternatives else []
        return [
            ("restic (a) restore", self.restic_plain),
            ("restic (b) restore --verify", self.restic_verify),
            ("restic (c) pcra level 2", lambda: self.pcra("restic")),
            ("borg (a) extract", self.borg_extract),
            ("borg (c) pcra level 2", lambda: self.pcra("borg")),
            *alternatives,
        ]

    def run(self, runs: int) -> None:
        print("warm-up: one run of every variant ...", flush=True)
        for name, func in self.variants():
            print(f"  {name}: {func():.2f} s", flush=True)
            settle()
        self.steps.clear()
        variants = self.variants()
        for index in range(runs):
            # Interleaved, and rotated from one round to the next: no variant always follows
            # the same one.
            shift = index % len(variants)
            for name, func in variants[shift:] + variants[:shift]:
                elapsed = func()
                self.times.setdefault(name, []).append(elapsed)
                self.cpu.setdefault(name, []).append(self._last_cpu)
                self.removal.setdefault(name, []).append(self._last_removal)
                print(f"  run {index + 1}/{runs} {name}: {elapsed:.2f} s, CPU user "
                      f"{self._last_cpu[0]:.2f} s + system {self._last_cpu[1]:.2f} s (removal "
                      f"{self._last_removal:.2f} s; load {os.getloadavg()[0]:.1f})", flush=True)
                settle()


def settle() -> None:
    """Write back what the last variant left dirty, so that it does not slow the next one."""
    os.sync()


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(bench: Bench, info: dict, args) -> None:
    total = {name: median(values) for name, values in bench.times.items()}
    # pcra's times include the removal of its sandbox; the engines' do not include the removal
    # of their target (timed apart): compare without it, and with it on both sides.
    removal = {name: median(values) for name, values in bench.removal.items()}
    bare = {name: total[name] - (removal[name] if "pcra" in name else 0.0) for name in total}
    whole = {name: total[name] + (0.0 if "pcra" in name else removal[name]) for name in total}
    print()
    print(f"Data: {info['counts']['bytes'] / 1e9:.2f} GB in {info['files']:,} files "
          f"({info['counts']['small']:,} small text, {info['counts']['medium']:,} medium "
          f"binaries, {info['counts']['large']} large); restic repository "
          f"{info['restic_repo_bytes'] / 1e9:.2f} GB, Borg repository "
          f"{info['borg_repo_bytes'] / 1e9:.2f} GB.")
    print(f"Median of {args.runs} interleaved runs after one warm-up (warm page cache).")
    print()
    user = {name: median([u for u, _ in values]) for name, values in bench.cpu.items()}
    system = {name: median([s for _, s in values]) for name, values in bench.cpu.items()}
    print("| variant | median (s) | min (s) | max (s) | removal of the restored files (s) | "
          "CPU user, median (s) | CPU system, median (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, values in bench.times.items():
        print(f"| {name} | {median(values):.2f} | {min(values):.2f} | {max(values):.2f} | "
              f"{removal[name]:.2f}{' (inside)' if 'pcra' in name else ' (after)'} | "
              f"{user[name]:.2f} | {system[name]:.2f} |")
    print()
    pairs = [
        ("restic c/b (pcra / restore --verify)", "restic (c) pcra level 2",
         "restic (b) restore --verify", True),
        ("restic c/a (pcra / restore)", "restic (c) pcra level 2", "restic (a) restore", False),
        ("borg c/a (pcra / extract)", "borg (c) pcra level 2", "borg (a) extract", True),
        ("borg c2/a (every file read back)", "borg (c2) pcra, every file read back",
         "borg (a) extract", False),
        ("borg c3/a (no read-back)", "borg (c3) pcra, no read-back", "borg (a) extract", False),
    ]
    print(f"| ratio | removal excluded | removal included on both sides | CPU user time | "
          f"target ≤ {TARGET_RATIO} |")
    print("|---|---:|---:|---:|---|")
    for label, pcra, engine, judged in pairs:
        if pcra not in total:
            continue
        ratio = bare[pcra] / bare[engine]
        verdict = ("met" if ratio <= TARGET_RATIO else "missed") if judged else ""
        print(f"| {label} | {ratio:.2f} | {whole[pcra] / whole[engine]:.2f} | "
              f"{user[pcra] / user[engine]:.2f} | {verdict} |")
    print()
    print("pcra's steps (median seconds; check and listing run partly at the same time, "
          "'before the restore' is the wall time until the restore starts, the engine's "
          "version and the report included):")
    print("| variant | check | listing | before the restore | restore | verify | clean-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for engine, rows in bench.steps.items():
        cells = [median([row.get(key, 0.0) for row in rows]) for key in (
            "check", "listing", "before", "restore", "verify", "clean-up")]
        print(f"| {engine} | " + " | ".join(f"{cell:.2f}" for cell in cells) + " |")


def versions() -> str:
    restic = sh(["restic", "version"], engine_env(Path(tempfile.gettempdir()))).split()[1]
    borg = sh(["borg", "--version"], engine_env(Path(tempfile.gettempdir()))).split()[1]
    return (f"restic {restic}, borg {borg}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", help="where the data and repositories go (default: a "
                        "temporary directory)")
    parser.add_argument("--size-gb", type=float, default=2.0, help="size of the data set")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each variant")
    parser.add_argument("--keep", action="store_true", help="keep a temporary workdir")
    parser.add_argument("--alternatives", action="store_true",
                        help="also time pcra's Borg test reading back every file (c2) and none (c3)")
    args = parser.parse_args(argv)
    if args.workdir:
        work = Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
        temporary = False
    else:
        work = Path(tempfile.mkdtemp(prefix="pcra-bench-restore-"))
        temporary = not args.keep
    print(f"{versions()}; load average {os.getloadavg()[0]:.2f}; workdir {work}", flush=True)
    try:
        info = prepare(work, args.size_gb)
        bench = Bench(work, info, alternatives=args.alternatives)
        bench.run(args.runs)
        report(bench, info, args)
        print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        shutil.rmtree(work / "restore-target", ignore_errors=True)
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
