"""The restore-test runner against REAL restic 0.14 / borg 1.2 repositories (no database).

Template repositories are built once for the module (pcra.backups.samples) and copied for each
test; every fault is made on the copy: a byte flipped in the largest pack / segment, a deleted
pack / segment, a truncated index, a wrong password, a missing snapshot, a sandbox too small
(a tiny tmpfs, and the reserve), failing probes, a whole-test timeout and a cancellation.
Every result is checked for the invariants: sandbox gone, secret absent, errors iff not passed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pcra.backups.samples import (
    borg_segment_files,
    flip_byte,
    make_borg_repo,
    make_files,
    make_restic_repo,
    restic_pack_files,
)
from pcra.restoretests.runner import (
    ERROR_CODES,
    SANDBOX_PREFIX,
    Progress,
    TestResult,
    TestSpec,
    remove_stale_sandboxes,
    run_test,
)
from pcra.restoretests.runner import borg as runner_borg
from pcra.restoretests.runner.verify import FileEntry, HashPool, choose_readback, choose_sample

pytestmark = [
    pytest.mark.engine_only,
    pytest.mark.skipif(not (shutil.which("restic") and shutil.which("borg")),
                       reason="restic and borg are needed"),
]

PASSWORD = "restore-test secret 7f3a"
ENGINES = ("restic", "borg")
TIMES = [datetime(2025, 6, 1, 1, 0, tzinfo=UTC), datetime(2025, 6, 2, 1, 0, tzinfo=UTC)]
PAGE = 4096


@dataclass
class Template:
    engine: str
    repo: Path
    source: Path
    files: dict[str, int]  # path as the snapshot records it -> size

    def recorded(self, relative: str) -> str:
        """A file's path as the snapshot records it (restic: absolute; borg: relative)."""
        return str(self.source / relative) if self.engine == "restic" else relative

    @property
    def total(self) -> int:
        return sum(self.files.values())


def _make_template(base: Path, engine: str) -> Template:
    source = make_files(base / f"{engine}-src", count=20, size=4096, seed=3)
    locked = source / "read-only"
    locked.mkdir()
    (locked / "notes.txt").write_text("restored from a read-only directory\n")
    (locked / "notes.txt").chmod(0o444)
    locked.chmod(0o555)
    repo = base / f"{engine}-repo"
    if engine == "restic":
        make_restic_repo(repo, PASSWORD, source=source, snapshots=2, times=TIMES)
    else:
        make_borg_repo(repo, PASSWORD, source=source, archives=2, times=TIMES)
    files = {}
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.is_symlink():
            relative = str(path.relative_to(source))
            files[str(path) if engine == "restic" else relative] = path.stat().st_size
    return Template(engine, repo, source, files)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Template]:
    """One restic and one borg repository (2 snapshots each), built at the same time."""
    base = tmp_path_factory.mktemp("restore-templates")
    with ThreadPoolExecutor(2) as pool:
        made = {engine: pool.submit(_make_template, base, engine) for engine in ENGINES}
        return {engine: future.result() for engine, future in made.items()}


@pytest.fixture
def sandbox_root(tmp_path) -> Path:
    root = tmp_path / "sandboxes"
    root.mkdir()
    return root


def copy_repo(template: Template, tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(template.repo, target, symlinks=True)
    return target


def run(engine: str, repo: Path, root: Path, *, progress=None, should_cancel=None,
        **fields) -> TestResult:
    fields.setdefault("secret", PASSWORD)
    spec = TestSpec(engine=engine, repository=str(repo), sandbox_root=str(root), **fields)
    result = run_test(spec, progress=progress, should_cancel=should_cancel)
    # Invariants of every result.
    assert result.sandbox_removed
    assert not [p for p in root.iterdir() if p.name.startswith(SANDBOX_PREFIX)]
    assert (result.status == "passed") == (not result.errors) == (result.error_code == "")
    assert result.error_code == "" or result.error_code in ERROR_CODES
    dumped = json.dumps(result.to_dict())
    assert PASSWORD not in dumped
    assert "secret=" not in repr(spec)
    return result


@contextlib.contextmanager
def tmpfs(path: Path, size: int):
    path.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


# -- a clean repository passes ------------------------------------------------------------------


@pytest.mark.parametrize(("engine", "snapshot"), [("restic", ""), ("borg", "sample-1")])
def test_clean_level_1_checks_without_restoring(engine, snapshot, templates, tmp_path,
                                                sandbox_root):
    template = templates[engine]
    result = run(engine, copy_repo(template, tmp_path), sandbox_root, level=1,
                 snapshot=snapshot)
    assert result.status == "passed", result.errors
    assert [step.name for step in result.steps] == ["check", "listing"]
    assert all(step.ok and step.detail for step in result.steps)
    if snapshot:  # the older archive: before the journal and the revision file were added
        assert result.snapshot_time == TIMES[0]
        assert result.snapshot_files == len(template.files) - 2
    else:
        assert result.snapshot_time == TIMES[-1]
        assert result.snapshot_files == len(template.files)
        assert result.snapshot_bytes == template.total
    assert (result.bytes_restored, result.files_restored, result.files_verified) == (0, 0, 0)
    assert result.extrapolated_full_seconds is None and result.probe is None
    assert result.engine_version.startswith(f"{engine} ")


@pytest.mark.parametrize("engine", ENGINES)
def test_clean_level_2_restores_and_verifies_every_file(engine, templates, tmp_path,
                                                        sandbox_root):
    template = templates[engine]
    reports: list[Progress] = []
    result = run(engine, copy_repo(template, tmp_path), sandbox_root, level=2,
                 progress=reports.append)
    assert result.status == "passed", result.errors
    assert [step.name for step in result.steps] == ["check", "listing", "space", "restore",
                                                     "verify"]
    count = len(template.files)
    assert result.files_verified == result.files_restored == result.snapshot_files == count
    assert result.bytes_restored == result.snapshot_bytes == template.total
    assert result.extrapolated_full_seconds == result.restore_seconds > 0
    assert result.throughput_bytes_per_second == pytest.approx(
        result.bytes_restored / result.restore_seconds, rel=0.01)
    assert result.duration_seconds >= result.restore_seconds
    data = result.to_dict()
    assert data["snapshot_time"] == TIMES[-1].isoformat()
    assert data["steps"][3]["name"] == "restore"
    # Progress: phases in order, fractions within 0..1 and never going back.
    phases = [report.phase for report in reports]
    assert phases[0] == "check" and phases[-1] == "cleanup"
    assert "restoring" in phases and "verifying" in phases
    order = ["check", "listing", "space", "restoring", "verifying", "probe", "cleanup"]
    assert [order.index(p) for p in phases] == sorted(order.index(p) for p in phases)
    fractions = [r.fraction for r in reports if r.fraction is not None]
    assert all(0 <= f <= 1 for f in fractions) and fractions == sorted(fractions)


@pytest.mark.parametrize("engine", ENGINES)
def test_clean_level_3_runs_the_probe_in_the_restored_data(engine, templates, tmp_path,
                                                           sandbox_root):
    template = templates[engine]
    target = template.recorded("read-only/notes.txt")
    # The probe also prints the secret given on its command line: redacted in the result.
    code = ("import os, sys; assert os.getcwd() == os.environ['PCRA_SANDBOX']; "
            "assert not any('PASS' in k for k in os.environ); "
            "print('restored', open(sys.argv[1]).read().split()[0]); print(sys.argv[2])")
    result = run(engine, copy_repo(template, tmp_path), sandbox_root, level=3,
                 probe_command=f"python3 -c \"{code}\" "
                               f"{{sandbox}}/{target.lstrip('/')} '{PASSWORD}'",
                 probe_expect=r"^restored restored$")
    assert result.status == "passed", result.errors
    assert [step.name for step in result.steps][-1] == "probe"
    assert result.probe["ok"] is True and result.probe["exit_code"] == 0
    assert result.probe["stdout"] == "restored restored\n***\n"
    assert "{sandbox}" in result.probe["command"] and "'***'" in result.probe["command"]
    assert result.files_verified == len(template.files)


@pytest.mark.parametrize(("engine", "count", "percent"), [("restic", 5, None),
                                                          ("borg", None, 20.0)])
def test_sample_restores_and_verifies_only_the_chosen_files(engine, count, percent, templates,
                                                            tmp_path, sandbox_root):
    template = templates[engine]
    wanted = count or math.ceil(len(template.files) * percent / 100)
    # The probe counts the regular files in the sandbox: only the sample was restored.
    walk = ("import os; print('files', sum(len([f for f in fs if os.path.isfile("
            "os.path.join(d, f))]) for d, _, fs in os.walk('.')))")
    result = run(engine, copy_repo(template, tmp_path), sandbox_root, level=3, scope="sample",
                 sample_files=count, sample_percent=percent, seed=7,
                 probe_command=f"python3 -c \"{walk}\"",
                 probe_expect=rf"^files {wanted}$")
    assert result.status == "passed", result.errors
    chosen = choose_sample([FileEntry(p, s) for p, s in template.files.items()],
                           snapshot_id=result.snapshot_id, seed=7, count=count, percent=percent)
    assert len(chosen) == wanted
    assert result.files_verified == result.files_restored == wanted
    assert result.bytes_restored == sum(entry.size for entry in chosen)
    assert result.snapshot_bytes == template.total
    assert result.extrapolated_full_seconds == pytest.approx(
        result.restore_seconds * template.total / result.bytes_restored, rel=0.02)


def test_sample_choice_is_deterministic_for_snapshot_and_seed():
    files = [FileEntry(f"/d/f{i:03d}", i) for i in range(200)]
    pick = lambda **kw: [e.path for e in choose_sample(files, **kw)]  # noqa: E731
    first = pick(snapshot_id="abc", seed=1, count=10, percent=None)
    assert first == pick(snapshot_id="abc", seed=1, count=10, percent=None)
    assert first == sorted(first) and len(set(first)) == 10
    assert first != pick(snapshot_id="abc", seed=2, count=10, percent=None)
    assert first != pick(snapshot_id="abd", seed=1, count=10, percent=None)
    assert len(pick(snapshot_id="abc", seed=1, count=None, percent=0.1)) == 1
    assert len(pick(snapshot_id="abc", seed=1, count=None, percent=100)) == 200
    assert len(pick(snapshot_id="abc", seed=1, count=999, percent=None)) == 200


def test_readback_choice_gives_every_file_the_same_chance_whatever_its_size():
    import random

    files = [FileEntry(f"d/f{i:03d}", 1000) for i in range(100)] + [FileEntry("d/big", 10**6)]

    def pick(seed, **kw):
        kw = {"fraction": 0.05, "min_files": 2, "max_files": 50, **kw}
        return choose_readback(files, rng=random.Random(seed), **kw)

    assert [e.path for e in pick(1)] == [e.path for e in pick(1)]  # the seed decides
    runs = [pick(seed) for seed in range(2000)]
    big = sum(1 for run in runs if any(e.path == "d/big" for e in run)) / len(runs)
    assert 0.03 < big < 0.07  # the largest file too: about one run in twenty
    assert 3 < sum(len(run) for run in runs) / len(runs) < 7
    assert all(len(run) >= 2 for run in runs)
    # Too few chosen: the smallest of the others make up the minimum; never above the maximum.
    few = pick(1, fraction=0.0, min_files=5)
    assert len(few) == 5 and "d/big" not in {e.path for e in few}
    assert len(pick(1, fraction=0.9, max_files=10)) == 10
    assert pick(1, fraction=0.0, min_files=0) == []
    assert pick(1, fraction=1.0, max_files=1) == files
    assert len(choose_readback(files[:3], fraction=0.01, min_files=20, max_files=50,
                               rng=random.Random(1))) == 3


@pytest.mark.parametrize(("fraction", "minimum"), [(0.1, 2), (1.0, 0)])
def test_borg_reads_back_a_share_of_the_restored_files(fraction, minimum, templates, tmp_path,
                                                       sandbox_root, monkeypatch):
    """borg extract checks every chunk; pcra reads back a random share (or all) of the files."""
    monkeypatch.setattr(runner_borg, "READBACK_FRACTION", fraction)
    monkeypatch.setattr(runner_borg, "READBACK_MIN_FILES", minimum)
    template = templates["borg"]
    result = run("borg", copy_repo(template, tmp_path), sandbox_root, level=2)
    assert result.status == "passed", result.errors
    assert result.files_verified == len(template.files)
    verify = next(step for step in result.steps if step.name == "verify")
    if fraction == 1.0:
        assert verify.detail.startswith(f"All {len(template.files)} restored files have the "
                                        f"size and the SHA-256")
    else:
        found = re.search(r"; (\d+) of them \(", verify.detail)
        assert found, verify.detail
        assert 2 <= int(found.group(1)) < len(template.files) // 2


def test_borg_selects_odd_file_names_exactly(tmp_path, sandbox_root, monkeypatch):
    """A sample, and the read-back, name files in a patterns file (one dictionary lookup per
    archive item); names a patterns file cannot carry (a trailing space, a line break, bytes
    that are not UTF-8) go as PATH arguments instead. Every one is restored and read back."""
    source = tmp_path / "odd-src"
    source.mkdir()
    names = [b"plain.txt", b"trailing space ", b"line\nbreak", b"latin-\xe9t\xe9",
             b"#not a comment", b"  leading", b"pp:looks like a pattern"]
    for index, name in enumerate(names):
        with open(os.path.join(os.fsencode(source), name), "wb") as handle:
            handle.write(b"content %d\n" % index * (index + 1))
    (source / "sub").mkdir()
    (source / "sub" / "deeper.txt").write_text("in a directory\n")
    # A directory whose name is not UTF-8, and three names borg lists alike ("twin?").
    odd_dir = os.path.join(os.fsencode(source), b"dossier-\xe9")
    os.mkdir(odd_dir)
    with open(os.path.join(odd_dir, b"inside.txt"), "wb") as handle:
        handle.write(b"under an odd directory\n")
    for name, body in ((b"twin\xff", b"first twin\n"), (b"twin\xfe", b"second, longer twin\n"),
                       (b"twin?", b"a real question mark\n")):
        with open(os.path.join(os.fsencode(source), name), "wb") as handle:
            handle.write(body)
    names += [b"dossier-\xe9/inside.txt", b"twin\xff", b"twin\xfe", b"twin?"]
    repo = make_borg_repo(tmp_path / "repo", PASSWORD, source=source, archives=1)
    monkeypatch.setattr(runner_borg, "READBACK_FRACTION", 0.5)
    monkeypatch.setattr(runner_borg, "READBACK_MIN_FILES", 50)  # every file
    for fields in ({"scope": "sample", "sample_percent": 100.0}, {}):
        result = run("borg", repo, sandbox_root, level=2, **fields)
        assert result.status == "passed", result.errors
        assert result.files_verified == result.files_restored == len(names) + 1  # + sub/
        verify = next(step for step in result.steps if step.name == "verify")
        assert "SHA-256" in verify.detail


def test_borg_zero_filled_chunks_are_damage_at_every_level(templates, tmp_path, sandbox_root):
    """A chunk lost, then `borg check --repair` replaces it with zeros and marks the file
    broken: the archive reads without error, but no level may pass it."""
    template = templates["borg"]
    repo = copy_repo(template, tmp_path)
    env = {**os.environ, "BORG_PASSPHRASE": PASSWORD, "BORG_REPO": str(repo),
           "BORG_BASE_DIR": str(tmp_path / "home"), "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING": "YES",
           "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes"}
    dump = tmp_path / "dump.json"
    subprocess.run(["borg", "debug", "dump-archive", "::sample-2", str(dump)], env=env,
                   check=True, capture_output=True)
    items = json.loads(dump.read_text())["_items"]
    victim = next(i for i in items if i.get("chunks") and i["path"].endswith(".txt"))
    chunk = victim["chunks"][0][0].lstrip("\x7f")
    subprocess.run(["borg", "debug", "delete-obj", str(repo), chunk], env=env, check=True,
                   capture_output=True)
    subprocess.run(["borg", "check", "--repair"], env=env, capture_output=True)
    for level in (1, 2):
        result = run("borg", repo, sandbox_root, level=level)
        assert (result.status, result.error_code) == ("failed", "damaged"), result.errors
        assert any(victim["path"] in e and "replaced with zeros" in e for e in result.errors)


def test_borg_chunk_swapped_in_the_repository_fails_its_id_check(templates, tmp_path,
                                                                 sandbox_root):
    """Two chunks of the same archive swapped in the repository, each stored intact (its
    segment checksum and, encrypted, its MAC hold): only borg's check of each chunk's id
    against its plaintext sees it, and the restore must fail."""
    template = templates["borg"]
    repo = copy_repo(template, tmp_path)
    env = {**os.environ, "BORG_PASSPHRASE": PASSWORD, "BORG_REPO": str(repo),
           "BORG_BASE_DIR": str(tmp_path / "home"), "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes"}
    dump = tmp_path / "dump.json"
    subprocess.run(["borg", "debug", "dump-archive", "::sample-2", str(dump)], env=env,
                   check=True, capture_output=True)
    items = json.loads(dump.read_text())["_items"]
    chunks = [i["chunks"][0][0].lstrip("\x7f") for i in items
              if i.get("chunks") and i["path"].endswith(".txt")][:2]
    swap = (
        "import sys\n"
        "from binascii import unhexlify\n"
        "from borg.logger import setup_logging\n"
        "setup_logging()\n"
        "from borg.repository import Repository\n"
        "a, b = (unhexlify(x) for x in sys.argv[2:4])\n"
        "with Repository(sys.argv[1], exclusive=True) as repo:\n"
        "    data_a, data_b = repo.get(a), repo.get(b)\n"
        "    repo.put(a, data_b)\n"
        "    repo.put(b, data_a)\n"
        "    repo.commit(compact=False)\n")
    interpreter = Path(shutil.which("borg")).read_text().splitlines()[0].lstrip("#!").split()[0]
    subprocess.run([interpreter, "-c", swap, str(repo), *chunks], env=env, check=True,
                   capture_output=True)
    result = run("borg", repo, sandbox_root, level=2)
    assert (result.status, result.error_code) == ("failed", "damaged"), result.errors
    assert any("id verification failed" in e for e in result.errors), result.errors


class CorruptingPool(HashPool):
    """A disk that silently changed a file after borg wrote it: one byte flipped in it before
    pcra reads it back (the read-back is what this catches; borg checked what it wrote)."""

    target = ""

    def submit(self, entry_path: str, full: str) -> None:
        if full.endswith(os.sep + self.target) and entry_path not in self.futures:
            flip_byte(Path(full), 100)
        super().submit(entry_path, full)


def test_borg_read_back_finds_a_file_changed_on_disk(templates, tmp_path, sandbox_root,
                                                     monkeypatch):
    template = templates["borg"]
    target = next(path for path, size in template.files.items()
                  if size > 200 and not path.startswith("read-only"))
    monkeypatch.setattr(runner_borg, "READBACK_FRACTION", 1.0)
    monkeypatch.setattr(CorruptingPool, "target", target)
    monkeypatch.setattr(runner_borg, "HashPool", CorruptingPool)
    result = run("borg", copy_repo(template, tmp_path), sandbox_root, level=2)
    assert (result.status, result.error_code) == ("failed", "damaged")
    assert result.files_verified == len(template.files) - 1
    assert any(f"File {target!r} was restored with content that differs" in error
               for error in result.errors), result.errors


# -- damaged repositories never pass -----------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_flipped_byte_in_the_data_is_damage(engine, templates, tmp_path, sandbox_root):
    repo = copy_repo(templates[engine], tmp_path)
    files = restic_pack_files(repo) if engine == "restic" else borg_segment_files(repo)
    flip_byte(max(files, key=lambda p: p.stat().st_size))
    result = run(engine, repo, sandbox_root)
    assert result.status == "failed" and result.error_code == "damaged", result.errors
    assert result.files_verified < len(templates[engine].files)
    text = " ".join(result.errors)
    if engine == "restic":
        assert re.search(r"File '/.+' of snapshot \w+ could not be restored: ciphertext "
                         r"verification failed", text)
    else:
        assert re.search(r"Segment entry checksum mismatch \[segment \d+, offset \d+\]", text)
        assert "while restoring" in text
    assert [s.ok for s in result.steps if s.name == "restore"] == [False]


@pytest.mark.parametrize("engine", ENGINES)
def test_deleted_pack_or_segment_is_damage(engine, templates, tmp_path, sandbox_root):
    repo = copy_repo(templates[engine], tmp_path)
    files = restic_pack_files(repo) if engine == "restic" else borg_segment_files(repo)
    victim = max(files, key=lambda p: p.stat().st_size)
    victim.unlink()
    result = run(engine, repo, sandbox_root)
    assert result.status == "failed" and result.error_code == "damaged", result.errors
    text = " ".join(result.errors)
    if engine == "restic":
        # restic check (level 1) already sees it: nothing is restored.
        assert f"pack {victim.name}: does not exist" in text
        assert [s.name for s in result.steps] == ["check", "listing"]
    else:
        # borg check --archives-only trusts the index: borg extract finds the segment missing.
        assert f"segment file '{victim}'" in text and "is missing" in text


def test_truncated_restic_index_is_damage(templates, tmp_path, sandbox_root):
    repo = copy_repo(templates["restic"], tmp_path)
    index = sorted((repo / "index").iterdir())[0]
    data = index.read_bytes()
    index.chmod(0o600)
    index.write_bytes(data[: len(data) // 2])
    result = run("restic", repo, sandbox_root)
    assert result.error_code == "damaged", result.errors
    assert f"error loading index {index.name}" in result.errors[0]


def test_truncated_borg_index_is_rebuilt_by_borg_and_the_intact_data_passes(
        templates, tmp_path, sandbox_root):
    """borg 1.2 rebuilds a missing or corrupted index from the segments (a WARNING, exit 0):
    the data is intact, so the test passes; the check step says what borg did."""
    repo = copy_repo(templates["borg"], tmp_path)
    for name in ("index", "hints"):
        for path in repo.glob(f"{name}.*"):
            data = path.read_bytes()
            path.chmod(0o600)
            path.write_bytes(data[: len(data) // 2])
    result = run("borg", repo, sandbox_root)
    assert result.status == "passed", result.errors
    assert result.files_verified == len(templates["borg"].files)
    check = result.steps[0]
    assert check.name == "check" and "index missing or corrupted" in check.detail


# -- access and resolution problems ---------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_wrong_password(engine, templates, tmp_path, sandbox_root):
    result = run(engine, copy_repo(templates[engine], tmp_path), sandbox_root,
                 secret="not the password")
    assert result.error_code == "wrong_password"
    noun = "password" if engine == "restic" else "passphrase"
    assert f"the {noun} is wrong" in result.errors[0]
    assert "not the password" not in json.dumps(result.to_dict())
    assert result.files_restored == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_snapshot_names_the_newest(engine, templates, tmp_path, sandbox_root):
    wanted = "deadbeef" if engine == "restic" else "no-such-archive"
    result = run(engine, copy_repo(templates[engine], tmp_path), sandbox_root, snapshot=wanted)
    assert result.error_code == "missing_snapshot"
    newest = "sample-2" if engine == "borg" else ""
    assert re.search(rf"'{wanted}' is not in repository .*; the newest "
                     rf"(snapshot|archive) there is '?{newest}\w*'? of 2025-06-02 01:00 UTC",
                     result.errors[0]), result.errors


def test_engine_missing(tmp_path, sandbox_root):
    result = run("restic", tmp_path / "repo", sandbox_root, binary=str(tmp_path / "no-restic"))
    assert result.error_code == "engine_missing" and "was not found" in result.errors[0]


def test_invalid_spec_is_refused_before_anything_runs(tmp_path, sandbox_root):
    result = run("restic", tmp_path / "repo", sandbox_root, level=5, scope="sample")
    assert result.error_code == "internal" and result.steps == ()
    assert "level must be 1, 2 or 3" in result.errors[0]
    assert "either a number of files or a percentage" in result.errors[0]
    missing = run_test(TestSpec("borg", "/r", PASSWORD, str(tmp_path / "nowhere")))
    assert missing.error_code == "failed" and "does not exist" in missing.errors[0]


# -- disk space --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_sandbox_on_a_too_small_disk(engine, templates, tmp_path):
    with tmpfs(tmp_path / "tiny", 64 * 1024) as root:
        result = run(engine, copy_repo(templates[engine], tmp_path), root,
                     home=str(tmp_path / "home"))
    assert result.error_code == "disk_space", result.errors
    assert re.search(r"needs \d+\.\d KiB plus 0 B to keep free, but only \d+\.\d KiB are free",
                     result.errors[0])
    assert "nothing was restored" in result.errors[0]
    assert [step.name for step in result.steps][-1] == "space"
    assert result.bytes_restored == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_disk_full_during_the_restore(engine, templates, tmp_path):
    """Enough free bytes for the files' sizes, not for their blocks: a real ENOSPC."""
    template = templates[engine]
    size = math.ceil(template.total / PAGE) * PAGE
    assert sum(math.ceil(s / PAGE) for s in template.files.values()) * PAGE > size
    with tmpfs(tmp_path / "small", size) as root:
        result = run(engine, copy_repo(template, tmp_path), root, home=str(tmp_path / "home"))
    assert result.error_code == "disk_space", result.errors
    assert "ran out of space during the restore" in result.errors[0]
    assert [step.name for step in result.steps][-1] == "restore"


@pytest.mark.parametrize("engine", ENGINES)
def test_reserve_bytes(engine, templates, tmp_path, sandbox_root):
    reserve = 2 * shutil.disk_usage(sandbox_root).free  # other writers change the free space
    result = run(engine, copy_repo(templates[engine], tmp_path), sandbox_root,
                 reserve_bytes=reserve)
    assert result.error_code == "disk_space"
    assert re.search(r"needs \d+\.\d KiB plus \d+\.\d [GMT]iB to keep free, but only "
                     r"\d+\.\d [GMT]iB are free", result.errors[0]), result.errors


# -- probes ------------------------------------------------------------------------------------


def test_probe_exit_code(templates, tmp_path, sandbox_root):
    result = run("restic", copy_repo(templates["restic"], tmp_path), sandbox_root, level=3,
                 probe_command="python3 -c \"import sys; print('db down', "
                               "file=sys.stderr); sys.exit(3)\"")
    assert result.error_code == "probe_failed"
    assert result.errors == ("The probe exited with status 3 (stderr: db down).",)
    assert result.probe["exit_code"] == 3 and result.probe["ok"] is False
    assert "db down" in result.probe["stderr"]
    assert result.files_verified == len(templates["restic"].files)


def test_probe_output_not_matching(templates, tmp_path, sandbox_root):
    result = run("borg", copy_repo(templates["borg"], tmp_path), sandbox_root, level=3,
                 probe_command="echo starting", probe_expect=r"^ready$")
    assert result.error_code == "probe_failed"
    assert "does not match the expected pattern '^ready$'" in result.errors[0]
    assert result.probe["exit_code"] == 0 and result.probe["stdout"] == "starting\n"


def test_probe_timeout_kills_its_process_group(templates, tmp_path, sandbox_root):
    result = run("restic", copy_repo(templates["restic"], tmp_path), sandbox_root, level=3,
                 probe_command="sh -c 'sleep 31.4159 & sleep 32.4159; wait'",
                 probe_timeout=0.5)
    assert result.error_code == "probe_failed"
    assert "did not finish within its 0.5 seconds" in result.errors[0]
    assert result.probe["exit_code"] is None and result.probe["duration_seconds"] < 5
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", "sleep 3[12].4159"], capture_output=True, text=True)
    assert left.stdout == "", "the probe's children outlived it"


def test_the_probe_sees_its_sandbox_and_nothing_of_the_server(templates, tmp_path,
                                                              sandbox_root):
    """A probe is a command a person wrote: it must not read pcra's key file, database or an
    agent's token, which lie outside the sandbox."""
    secret = tmp_path / "secrets.key"
    secret.write_text("TOP-SECRET-KEY\n")
    result = run("restic", copy_repo(templates["restic"], tmp_path), sandbox_root, level=3,
                 probe_command=f"sh -c 'ls {{sandbox}} >/dev/null && cat {secret}'")
    assert result.error_code == "probe_failed"
    assert "TOP-SECRET-KEY" not in json.dumps(result.to_dict())
    assert "No such file or directory" in result.probe["stderr"]


def test_invalid_probe_is_refused(tmp_path, sandbox_root):
    result = run("restic", tmp_path / "repo", sandbox_root, level=3, probe_command="")
    assert result.error_code == "probe_failed" and "empty" in result.errors[0]
    result = run("restic", tmp_path / "repo", sandbox_root, level=3, probe_command="true",
                 probe_expect="(")
    assert result.error_code == "probe_failed"
    assert "not a valid regular expression" in result.errors[0]


# -- time limit and cancellation ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_test_timeout(engine, templates, tmp_path, sandbox_root):
    result = run(engine, copy_repo(templates[engine], tmp_path), sandbox_root, timeout=0.2)
    assert result.status == "failed" and result.error_code == "timeout"
    assert re.match(r"The restore test exceeded its time limit of 0\.2 seconds during the "
                    r"check step and was stopped", result.errors[0]), result.errors
    assert result.duration_seconds < 5


@pytest.mark.parametrize("engine", ENGINES)
def test_cancel_during_the_restore(engine, templates, tmp_path, sandbox_root):
    seen: list[Progress] = []

    def cancel() -> bool:
        return any(report.phase == "restoring" for report in seen)

    result = run(engine, copy_repo(templates[engine], tmp_path), sandbox_root,
                 progress=seen.append, should_cancel=cancel)
    assert result.status == "cancelled" and result.error_code == "cancelled"
    assert re.match(r"The restore test was cancelled during the (restore|verify) step",
                    result.errors[0])
    assert result.steps[-1].ok is False
    assert seen[-1].phase == "cleanup"
    assert result.extrapolated_full_seconds is None


# -- sandboxes ---------------------------------------------------------------------------------


def test_remove_stale_sandboxes_spares_running_tests_and_other_files(tmp_path):
    stale = tmp_path / f"{SANDBOX_PREFIX}killed"
    (stale / "data" / "ro").mkdir(parents=True)
    (stale / "data" / "ro" / "f").write_text("x")
    (stale / "data" / "ro").chmod(0o500)
    (stale / ".lock").write_text("")
    unlocked = tmp_path / f"{SANDBOX_PREFIX}early"
    unlocked.mkdir()
    running = tmp_path / f"{SANDBOX_PREFIX}running"
    running.mkdir()
    other = tmp_path / "keep-me"
    other.mkdir()
    (tmp_path / f"{SANDBOX_PREFIX}file").write_text("not a sandbox")
    fd = os.open(running / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert remove_stale_sandboxes(str(tmp_path)) == 2
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [running.name, other.name, f"{SANDBOX_PREFIX}file"])
    assert remove_stale_sandboxes(str(tmp_path)) == 1
    assert remove_stale_sandboxes(str(tmp_path / "missing")) == 0


def test_progress_fraction():
    assert Progress("check", 0, 0, 0, 0).fraction == 0.0
    assert Progress("restoring", 0, 0, 0, 0).fraction is None
    half = Progress("restoring", 50, 100, 0, 0).fraction
    assert 0.05 < half < 0.8
    assert Progress("restoring", 0, 0, 1, 2).fraction == half
    assert Progress("verifying", 100, 100, 0, 0).fraction == pytest.approx(0.97)
    assert Progress("cleanup", 0, 0, 0, 0).fraction == 0.99


def test_an_empty_snapshot_proves_nothing(tmp_path, sandbox_root):
    """A backup of an empty directory (a source not mounted when it ran) is no restore."""
    from pcra.backups import samples

    empty = tmp_path / "empty"
    empty.mkdir()
    repo = samples.make_restic_repo(tmp_path / "repo", PASSWORD, source=empty, snapshots=1)
    result = run("restic", repo, sandbox_root, level=2)
    assert (result.status, result.error_code) == ("failed", "damaged")
    assert "holds no file" in result.errors[0]


def test_a_long_archive_list_is_read_whole(tmp_path):
    """The archive list of a Borg repository with thousands of archives is parsed whole (not
    cut to the head and tail kept for messages)."""
    from pcra.restoretests.runner.process import CAPTURE_HEAD, Child, Control, wait

    size = CAPTURE_HEAD * 3
    child = Child(["python3", "-c", f"print('x' * {size})"], env={"PATH": os.defpath},
                  engine="test", command="print", stdout_limit=size * 2)
    control = Control(timeout=30)
    child.start()
    wait([child], control, limit=None)
    assert len(child.stdout.strip()) == size
