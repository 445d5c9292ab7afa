"""Backup engine adapters against REAL restic 0.14 / borg 1.2 repositories (no database).

Fake binaries (shell scripts) are only used for the timeout, garbled-output and missing-binary
cases (and a wrapper running the real engine as nobody for permission denied); everything else
runs the real engines on tiny repositories built by pcra.backups.samples.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pcra.backups.engines import (
    CODES,
    BorgEngine,
    EngineError,
    ResticEngine,
    Snapshot,
    base,
    engine_for,
)
from pcra.backups.engines.base import parse_time
from pcra.backups.samples import (
    SAMPLE_HOST,
    borg_segment_files,
    flip_byte,
    make_borg_repo,
    make_files,
    make_restic_repo,
    restic_pack_files,
)

PASSWORD = "correct horse battery staple"
RESTIC_TIMES = [datetime(2024, 3, day, 2, 30, 15, tzinfo=UTC) for day in (1, 2, 3, 4)]
BORG_TIMES = [datetime(2024, 5, day, 22, 0, 0, tzinfo=UTC) for day in (10, 11, 12)]

pytestmark = pytest.mark.skipif(
    not (shutil.which("restic") and shutil.which("borg")), reason="restic and borg are needed"
)


# -- repositories (built once, copied by the tests that damage or lock them) -------------------


@pytest.fixture(scope="session")
def restic_source(tmp_path_factory) -> Path:
    return make_files(tmp_path_factory.mktemp("restic-src"), count=20, size=4096, seed=1)


@pytest.fixture(scope="session")
def restic_repo(tmp_path_factory, restic_source) -> Path:
    """4 snapshots, 8 packs (one data and one tree pack per snapshot)."""
    repo = tmp_path_factory.mktemp("restic") / "repo"
    return make_restic_repo(repo, PASSWORD, source=restic_source, snapshots=4,
                            times=RESTIC_TIMES)


@pytest.fixture(scope="session")
def borg_repo(tmp_path_factory) -> Path:
    source = make_files(tmp_path_factory.mktemp("borg-src"), count=12, size=4096, seed=2)
    repo = tmp_path_factory.mktemp("borg") / "repo"
    return make_borg_repo(repo, PASSWORD, source=source, archives=3, times=BORG_TIMES)


@pytest.fixture(scope="session")
def borg_plain_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("borg-plain-home")


@pytest.fixture(scope="session")
def borg_plain_repo(tmp_path_factory, borg_plain_home) -> Path:
    """Unencrypted; known to ``borg_plain_home`` (where it was created)."""
    source = make_files(tmp_path_factory.mktemp("plain-src"), count=4, size=1024, seed=3)
    repo = tmp_path_factory.mktemp("borg-plain") / "repo"
    return make_borg_repo(repo, "", source=source, archives=1, encryption="none",
                          home=borg_plain_home)


def copy_repo(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(template, target)
    return target


# -- processes -----------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def pids_with_env(name: str, value: str) -> list[int]:
    """Live processes whose environment holds ``name=value`` (finds the adapters' children)."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in environ and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    """Stop a background engine so that it drops its lock (restic: SIGINT, borg: SIGTERM)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT if "restic" in proc.args[0] else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream:
            stream.close()


def engine_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "holder-home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LC_ALL": "C", "TZ": "UTC",
           "BORG_BASE_DIR": str(home)}
    env.update(extra)
    return env


@pytest.fixture
def background():
    procs: list[subprocess.Popen] = []

    def start(argv, env, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(argv, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        stop(proc)


def fake_binary(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_clean_error(exc: EngineError, code: str, repository: str) -> None:
    assert exc.code == code
    assert repr(repository) in exc.message
    assert PASSWORD not in exc.message and PASSWORD not in exc.detail
    assert len(exc.detail) <= 2000


# -- snapshots -----------------------------------------------------------------------------------


def test_restic_snapshots(restic_repo, restic_source):
    snaps = ResticEngine(str(restic_repo), PASSWORD).snapshots()

    assert [s.time for s in snaps] == RESTIC_TIMES
    assert {s.id for s in snaps} == {p.name for p in (restic_repo / "snapshots").iterdir()}
    assert all(s.name == s.id[:8] and len(s.id) == 64 for s in snaps)
    assert {(s.hostname, s.paths, s.tags) for s in snaps} == {
        (SAMPLE_HOST, (str(restic_source),), ("sample",))}
    assert all(s.time.tzinfo is UTC for s in snaps)


def test_borg_snapshots(borg_repo):
    snaps = BorgEngine(str(borg_repo), PASSWORD).snapshots()

    listing = subprocess.run(
        ["borg", "list", "--format", "{id} {name}{NL}"], env=engine_env(
            borg_repo.parent, BORG_REPO=str(borg_repo), BORG_PASSPHRASE=PASSWORD),
        capture_output=True, text=True, check=True).stdout.split()
    assert [(s.id, s.name) for s in snaps] == list(zip(listing[::2], listing[1::2], strict=True))
    assert [s.name for s in snaps] == ["sample-1", "sample-2", "sample-3"]
    assert [s.time for s in snaps] == BORG_TIMES
    assert {s.hostname for s in snaps} == {socket.gethostname()}


# -- info ----------------------------------------------------------------------------------------


def test_restic_info(restic_repo):
    info = ResticEngine(str(restic_repo), PASSWORD).info()

    packs = sum(p.stat().st_size for p in restic_pack_files(restic_repo))
    assert (info.encrypted, info.encryption, info.snapshot_count) == (True, "restic", 4)
    assert 0.5 * packs < info.total_size_bytes <= packs


def test_borg_info(borg_repo):
    info = BorgEngine(str(borg_repo), PASSWORD).info()

    segments = sum(p.stat().st_size for p in borg_segment_files(borg_repo))
    assert (info.encrypted, info.encryption, info.snapshot_count) == (True, "repokey-blake2", 3)
    assert 0.5 * segments < info.total_size_bytes <= segments


def test_borg_info_unencrypted(borg_plain_repo, borg_plain_home):
    info = BorgEngine(str(borg_plain_repo), "", home=borg_plain_home).info()

    segments = sum(p.stat().st_size for p in borg_segment_files(borg_plain_repo))
    assert (info.encrypted, info.encryption, info.snapshot_count) == (False, "none", 1)
    assert 0.5 * segments < info.total_size_bytes <= segments


def test_borg_reads_an_unknown_unencrypted_repository_and_says_so(borg_plain_repo):
    """pcra only reads: an unencrypted repository its home never saw is read, and reported
    unencrypted (the hardening rule fails), rather than refused."""
    engine = BorgEngine(str(borg_plain_repo), "")
    assert len(engine.snapshots()) == 1
    info = engine.info()
    assert (info.encrypted, info.encryption) == (False, "none")


# -- access problems -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_wrong_password(engine, restic_repo, borg_repo):
    repo = str(restic_repo if engine == "restic" else borg_repo)

    with pytest.raises(EngineError) as caught:
        engine_for(engine, repo, "not the password").snapshots()

    assert_clean_error(caught.value, "wrong_password", repo)
    assert ("password" if engine == "restic" else "passphrase") in caught.value.message


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_missing_repository(engine, tmp_path):
    repo = str(tmp_path / "nowhere")

    for call in ("snapshots", "check"):
        with pytest.raises(EngineError) as caught:
            getattr(engine_for(engine, repo, PASSWORD), call)()
        assert_clean_error(caught.value, "repository_not_found", repo)


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_unreachable(engine):
    port = free_port()  # nothing listens there
    repo = (f"rest:http://127.0.0.1:{port}/repo" if engine == "restic"
            else f"ssh://pcra@127.0.0.1:{port}/srv/repo")

    with pytest.raises(EngineError) as caught:
        engine_for(engine, repo, PASSWORD, timeout=20).snapshots()

    assert_clean_error(caught.value, "unreachable", repo)
    # borg may exit before it relays ssh's "Connection refused": only its own message is sure.
    assert ("connection refused" if engine == "restic"
            else "Connection closed by remote host") in caught.value.detail


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_permission_denied(engine, restic_repo, borg_repo, tmp_path):
    repo = copy_repo(restic_repo if engine == "restic" else borg_repo, tmp_path)
    home = tmp_path / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    binary = shutil.which(engine)
    if os.geteuid() == 0:  # root reads everything: run the real engine as nobody
        if not shutil.which("setpriv"):
            pytest.skip("setpriv is needed to drop root")
        binary = fake_binary(tmp_path, engine, "exec setpriv --reuid=65534 --regid=65534 "
                             f'--clear-groups {binary} "$@"\n')
    else:
        repo.chmod(0)
    try:
        with pytest.raises(EngineError) as caught:
            engine_for(engine, str(repo), PASSWORD, binary=binary, home=home).snapshots()
    finally:
        repo.chmod(0o700)

    assert_clean_error(caught.value, "permission_denied", str(repo))
    assert "ermission denied" in caught.value.detail


def test_restic_locked(restic_repo, tmp_path, background):
    repo = copy_repo(restic_repo, tmp_path)
    holder = background(["restic", "backup", "--no-cache", "--stdin", "--stdin-filename", "x"],
                        engine_env(tmp_path, RESTIC_REPOSITORY=str(repo),
                                   RESTIC_PASSWORD=PASSWORD), stdin=subprocess.PIPE)
    wait_for(lambda: any((repo / "locks").iterdir()))
    engine = ResticEngine(str(repo), PASSWORD)

    # A backup's shared lock does not stop listing, but check needs the exclusive lock.
    assert len(engine.snapshots()) == 4
    with pytest.raises(EngineError) as caught:
        engine.check(read_data=False)

    assert_clean_error(caught.value, "repository_locked", str(repo))
    assert f"locked by PID {holder.pid}" in caught.value.detail
    stop(holder)  # SIGINT: restic removes its lock
    assert list((repo / "locks").iterdir()) == []


def test_borg_locked(borg_repo, tmp_path, background):
    repo = copy_repo(borg_repo, tmp_path)
    background(["borg", "with-lock", str(repo), "sleep", "30"],
               engine_env(tmp_path, BORG_PASSPHRASE=PASSWORD))
    wait_for(lambda: (repo / "lock.exclusive").exists())
    engine = BorgEngine(str(repo), PASSWORD, lock_wait=1)

    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        engine.check()

    assert_clean_error(caught.value, "repository_locked", str(repo))
    assert time.monotonic() - started < 5
    assert "Failed to create/acquire the lock" in caught.value.detail


def test_borg_timeout_kills_the_child(borg_repo, tmp_path, background):
    repo = copy_repo(borg_repo, tmp_path)
    background(["borg", "with-lock", str(repo), "sleep", "30"],
               engine_env(tmp_path, BORG_PASSPHRASE=PASSWORD))
    wait_for(lambda: (repo / "lock.exclusive").exists())
    engine = BorgEngine(str(repo), PASSWORD, lock_wait=30, timeout=1)

    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        engine.snapshots()

    assert time.monotonic() - started < 6
    assert_clean_error(caught.value, "timeout", str(repo))
    assert "within 1 seconds" in caught.value.message
    wait_for(lambda: pids_with_env("BORG_REPO", str(repo)) == [], timeout=2)


def test_restic_timeout_on_a_silent_server_kills_the_child():
    with socket.socket() as server:  # accepts connections (backlog), never answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        repo = f"rest:http://127.0.0.1:{server.getsockname()[1]}/repo"

        started = time.monotonic()
        with pytest.raises(EngineError) as caught:
            ResticEngine(repo, PASSWORD, timeout=1).snapshots()

        assert time.monotonic() - started < 6
        assert_clean_error(caught.value, "timeout", repo)
        wait_for(lambda: pids_with_env("RESTIC_REPOSITORY", repo) == [], timeout=2)


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_timeout_kills_the_whole_process_group(engine, tmp_path, monkeypatch):
    # A background job of sh ignores SIGINT (restic's stop signal): SIGKILL must follow.
    monkeypatch.setattr(base, "KILL_GRACE_SECONDS", 0.5)
    binary = fake_binary(tmp_path, engine, f"echo $$ > {tmp_path}/parent\n"
                         f"sleep 30 &\necho $! > {tmp_path}/child\nwait\n")

    with pytest.raises(EngineError) as caught:
        engine_for(engine, "/srv/backups", PASSWORD, timeout=0.5, binary=binary).snapshots()

    assert caught.value.code == "timeout"
    assert "within 0.5 seconds" in caught.value.message
    pids = [int((tmp_path / name).read_text()) for name in ("parent", "child")]
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=2)


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_garbled_output_and_clean_environment(engine, tmp_path):
    binary = fake_binary(tmp_path, engine, f'printf "%s\\n" "$@" > {tmp_path}/argv\n'
                         f"env > {tmp_path}/env\necho '<html>Gateway timeout</html>'\n")

    with pytest.raises(EngineError) as caught:
        engine_for(engine, "/srv/backups", PASSWORD, binary=binary).snapshots()

    assert caught.value.code == "garbled_output"
    assert "<html>Gateway timeout" in caught.value.message
    assert PASSWORD not in (tmp_path / "argv").read_text()
    assert "/srv/backups" not in (tmp_path / "argv").read_text()
    env = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines()
               if "=" in line)
    secret_var, repo_var = (("RESTIC_PASSWORD", "RESTIC_REPOSITORY") if engine == "restic"
                            else ("BORG_PASSPHRASE", "BORG_REPO"))
    assert (env[secret_var], env[repo_var], env["LC_ALL"], env["TZ"]) == (
        PASSWORD, "/srv/backups", "C", "UTC")
    assert not Path(env["HOME"]).exists()  # the private home is removed afterwards
    if engine == "borg":
        assert env["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] == "yes"
        assert env["BORG_RELOCATED_REPO_ACCESS_IS_OK"] == "no"
        assert env["BORG_BASE_DIR"] == env["HOME"]


@pytest.mark.parametrize(("engine", "document"), [
    ("restic", '{"not": "a list"}'),
    ("restic", '[{"id": "zz", "time": "yesterday"}]'),
    ("borg", '{"archives": [{"name": "a", "id": "00", "start": "now"}]}'),
    ("borg", '["not an object"]'),
])
def test_unexpected_json_is_garbled(engine, document, tmp_path):
    binary = fake_binary(tmp_path, engine, f"echo '{document}'\n")

    with pytest.raises(EngineError) as caught:
        engine_for(engine, "/srv/backups", PASSWORD, binary=binary).snapshots()

    assert caught.value.code == "garbled_output"


@pytest.mark.parametrize("engine", ["restic", "borg"])
def test_missing_binary(engine, tmp_path):
    with pytest.raises(EngineError) as caught:
        engine_for(engine, "/srv/backups", PASSWORD, binary=str(tmp_path / "nope")).info()

    assert caught.value.code == "engine_missing"
    assert engine in caught.value.message and "/srv/backups" in caught.value.message


# -- check ---------------------------------------------------------------------------------------


def test_restic_check_clean(restic_repo):
    result = ResticEngine(str(restic_repo), PASSWORD).check()

    assert (result.ok, result.error_count, result.errors) == (True, 0, ())
    assert (result.subset, result.read_data) == (None, True)
    assert "8 / 8 packs" in result.output and "no errors were found" in result.output
    assert result.duration_seconds > 0


def test_borg_check_clean(borg_repo):
    result = BorgEngine(str(borg_repo), PASSWORD).check()

    assert (result.ok, result.error_count, result.errors) == (True, 0, ())
    assert (result.subset, result.read_data) == (None, True)
    assert "Finished full repository check, no problems found." in result.output
    assert "with 0 integrity errors" in result.output


def test_restic_flipped_byte_in_a_pack(restic_repo, tmp_path):
    repo = copy_repo(restic_repo, tmp_path)
    pack = max(restic_pack_files(repo), key=lambda p: p.stat().st_size)  # a data pack
    flip_byte(pack)
    engine = ResticEngine(str(repo), PASSWORD)

    result = engine.check()

    assert (result.ok, result.error_count) == (False, 1)
    assert result.errors[0].startswith(f"Pack ID does not match, want {pack.name}, got ")
    assert "Fatal: repository contains errors" in result.output
    assert "8 / 8 packs" in result.output
    # Without reading the data, restic only checks the structure: the damage goes unseen.
    assert engine.check(read_data=False).ok


def _tamper_borg_chunk(segment: Path) -> None:
    """Flip a byte in the largest chunk's data AND fix the entry's CRC (silent corruption)."""
    flip_byte(segment)
    data = bytearray(segment.read_bytes())
    offset = 8
    while offset < len(data):
        size = struct.unpack_from("<I", data, offset + 4)[0]
        struct.pack_into("<I", data, offset, zlib.crc32(data[offset + 4:offset + size]))
        offset += size
    segment.chmod(0o600)
    segment.write_bytes(bytes(data))


def test_borg_flipped_byte_in_a_segment(borg_repo, tmp_path):
    repo = copy_repo(borg_repo, tmp_path)
    flip_byte(borg_segment_files(repo)[0])
    engine = BorgEngine(str(repo), PASSWORD)

    # (borg's repository part checks each entry's CRC32: check(read_data=False) fails too.)
    result = engine.check(read_data=True)

    assert (result.ok, result.read_data) == (False, True)
    assert result.errors[0].startswith(
        "Data integrity error: Segment entry checksum mismatch [segment ")
    assert result.errors[1].startswith("Index object count mismatch. (committed index: ")
    assert result.error_count == 2
    assert "Finished full repository check, errors found." in result.output


def test_borg_verify_data_finds_silent_corruption(borg_repo, tmp_path):
    repo = copy_repo(borg_repo, tmp_path)
    _tamper_borg_chunk(borg_segment_files(repo)[0])
    engine = BorgEngine(str(repo), PASSWORD)

    assert engine.check(read_data=False).ok  # CRCs match: only decrypting the data tells
    result = engine.check(read_data=True)

    assert (result.ok, result.error_count) == (False, 1)
    assert result.errors[0].endswith(", integrity error: MAC Authentication failed")
    assert re.search(r"verified \d+ chunks with 1 integrity errors", result.output)


def test_restic_subsets_rotation_finds_one_damaged_pack_once(restic_repo, tmp_path):
    """Slices 1/4..4/4 read every pack exactly once: one damaged pack fails one slice."""
    repo = copy_repo(restic_repo, tmp_path)
    packs = [p.name for p in restic_pack_files(repo)]
    damaged = max(restic_pack_files(repo), key=lambda p: p.stat().st_size)
    flip_byte(damaged)
    engine = ResticEngine(str(repo), PASSWORD)

    results = [engine.check(subset=(n, 4)) for n in range(1, 5)]

    assert [(r.subset, r.read_data) for r in results] == [((n, 4), True) for n in range(1, 5)]
    # restic 0.14 puts a pack in slice (first byte of its id) % t + 1 ...
    failing = [n for n, r in enumerate(results, 1) if not r.ok]
    assert failing == [int(damaged.name[:2], 16) % 4 + 1]
    bad = results[failing[0] - 1]
    assert (bad.error_count, len(bad.errors)) == (1, 1)
    assert bad.errors[0].startswith(f"Pack ID does not match, want {damaged.name}, got ")
    # ... and each slice reads exactly its packs ("read group #2 of 3 data packs (out of...").
    read = [int(re.search(rf"read group #{n} of (\d+) data packs", r.output).group(1))
            for n, r in enumerate(results, 1)]
    assert read == [sum(1 for p in packs if int(p[:2], 16) % 4 == n) for n in range(4)]
    assert sum(read) == len(packs) == 8


@pytest.mark.parametrize("subset", [(0, 4), (5, 4), (1, 0), (-1, 4), ("1", 4), (1,)])
def test_subset_validation(subset, tmp_path):
    # A missing binary proves the validation happens before anything runs.
    engine = ResticEngine("/srv/backups", PASSWORD, binary=str(tmp_path / "nope"))
    with pytest.raises(ValueError):
        engine.check(subset=subset)


def test_subset_rules(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(ValueError):
        ResticEngine("/srv", PASSWORD, binary=missing).check(subset=(1, 4), read_data=False)
    with pytest.raises(ValueError):
        BorgEngine("/srv", PASSWORD, binary=missing).check(subset=(1, 4))
    with pytest.raises(EngineError):  # a valid subset does run
        ResticEngine("/srv", PASSWORD, binary=missing).check(subset=(4, 4))


# -- small pieces --------------------------------------------------------------------------------


def test_engine_for():
    assert isinstance(engine_for("restic", "/r", "s"), ResticEngine)
    borg = engine_for("Borg", "/r", "s", timeout=12)
    assert isinstance(borg, BorgEngine) and borg.timeout == 12 and borg.name == "borg"
    with pytest.raises(ValueError):
        engine_for("duplicati", "/r", "s")


def test_engine_error():
    exc = EngineError("failed", "restic failed", detail="x" * 5000)
    assert (exc.code, str(exc), len(exc.detail)) == ("failed", "restic failed", 2000)
    assert "wrong_password" in CODES
    with pytest.raises(ValueError):
        EngineError("oops", "message")


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2026-11-22T23:51:26.260079912+01:00", datetime(2026, 11, 22, 22, 51, 26, 260079,
                                                     tzinfo=UTC)),
    ("2024-01-02T03:04:05.000000", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-06-30 23:00:00 -0200", datetime(2024, 7, 1, 1, 0, tzinfo=UTC)),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_snapshot_is_frozen():
    snap = Snapshot(id="a" * 64, name="aaaaaaaa", time=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(AttributeError):
        snap.name = "b"  # type: ignore[misc]
