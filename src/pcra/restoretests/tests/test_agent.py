"""The agent protocol and ``pcra agent``.

* The API with Django's test client: tokens (401), scoping (an agent claims its own runs only,
  404 on another's), progress renewing the lease and bringing back a cancellation, results
  recorded as evidence, a garbled result failed and never passed, every answer JSON.
* End to end, three processes: ``pcra serve`` over real HTTPS (a certificate made here for
  127.0.0.1) on the test database, ``pcra agent`` restoring a real restic repository, and this
  test reading the database. On SQLite the test database lives in memory, which no other
  process can open: the test copies it into a file and points its own connection there for the
  duration of the test, so the server and the test share one real database (see
  :func:`shared_db`). On PostgreSQL the server opens the test database by name.
* An agent killed with SIGKILL in the middle of a test: the run is failed ``agent_lost`` when
  its lease expires, never passed, and the next start removes the stale sandbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import ipaddress
import json
import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from pcra.backups import samples
from pcra.backups import services as backup_services
from pcra.backups.models import Verification, VerificationKind, VerificationResult
from pcra.backups.tests.helpers import asset
from pcra.core.testing import make_org
from pcra.restoretests import agent as agent_module
from pcra.restoretests import services
from pcra.restoretests.models import Agent, RestoreTestRun, RunState

PASSWORD = "correct horse battery staple"
API = "/api/agent/v1/"


@pytest.fixture(autouse=True)
def _english(settings, english):
    """Messages written by the server side in this process are compared in English."""
    settings.LANGUAGE_CODE = "en"


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def restic_repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("agent-repo")
    source = samples.make_files(root / "data", count=12, size=3000)
    return samples.make_restic_repo(root / "repo", PASSWORD, source=source, snapshots=1)


def make_copy(org, repo: Path, code: str = "DPI-DB"):
    data_asset = asset(org, code)
    copy = backup_services.copy_create(data_asset=data_asset, name="nas", engine="restic",
                                       repository=str(repo), media="nas")
    return backup_services.copy_set_secret(copy=copy, password=PASSWORD)


@pytest.fixture
def setup(world, restic_repo):
    """Two agents of ET-A1, a copy with a definition for each, and a worker definition."""
    copy = make_copy(world.et_a1, restic_repo)
    agent_a, token_a = services.agent_register(organization=world.et_a1, name="zone-a")
    agent_b, token_b = services.agent_register(organization=world.et_a1, name="zone-b")
    def_a = services.definition_create(copy=copy, name="by-a", level=2, agent=agent_a)
    def_b = services.definition_create(copy=copy, name="by-b", level=2, agent=agent_b)
    def_w = services.definition_create(copy=copy, name="by-worker", level=2)
    return {"copy": copy, "agent_a": agent_a, "token_a": token_a, "agent_b": agent_b,
            "token_b": token_b, "def_a": def_a, "def_b": def_b, "def_w": def_w,
            "world": world}


def post(client, path: str, body=None, *, token: str | None = None, raw: bytes | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return client.post(API + path, data=data, content_type="application/json", headers=headers)


def passed_result(**changes) -> dict:
    """A result as the runner's ``TestResult.to_dict()`` gives it."""
    result = {
        "status": "passed", "error_code": "", "errors": [], "snapshot_id": "abc123",
        "snapshot_time": "2025-01-02T03:04:05+00:00", "snapshot_bytes": 36000,
        "snapshot_files": 12, "bytes_restored": 36000, "files_restored": 12,
        "files_verified": 12, "duration_seconds": 3.5, "restore_seconds": 2.0,
        "throughput_bytes_per_second": 18000.0, "extrapolated_full_seconds": 2.0,
        "probe": None, "engine_version": "restic 0.14.0", "sandbox_removed": True,
        "level": 2, "scope": "full",
        "steps": [{"name": name, "ok": True, "duration_seconds": 0.5, "detail": ""}
                  for name in ("check", "listing", "space", "restore", "verify")],
    }
    result.update(changes)
    return result


def claimed(client, setup) -> RestoreTestRun:
    run = services.run_request(copy=setup["copy"], definition=setup["def_a"])
    response = post(client, "claim/", {"version": "test"}, token=setup["token_a"])
    assert response.status_code == 200
    assert response.json()["run"]["id"] == str(run.uuid)
    run.refresh_from_db()
    return run


# --- The API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["claim/", f"runs/{'0' * 8}-0000-0000-0000-{'0' * 12}/progress/",
                                  f"runs/{'0' * 8}-0000-0000-0000-{'0' * 12}/result/"])
def test_a_missing_unknown_or_revoked_token_gets_401_and_nothing_else(client, setup, path):
    services.agent_revoke(agent=setup["agent_b"])
    for headers in ({}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer pcra_agent_unknown"},
                    {"Authorization": f"Basic {setup['token_a']}"},
                    {"Authorization": f"Bearer {setup['token_b']}"}):
        response = client.post(API + path, data="{}", content_type="application/json",
                               headers=headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json() == {"error": "unauthorized"}
    assert RestoreTestRun.objects.filter(status=RunState.RUNNING).count() == 0


def test_get_is_405_and_every_answer_is_json(client, setup):
    response = client.get(API + "claim/", headers={"Authorization": f"Bearer {setup['token_a']}"})
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"error": "method not allowed: use POST"}
    for path in ("claim", "nothing/", f"runs/{'0' * 32}/progress"):
        response = post(client, path, {}, token=setup["token_a"])
        assert response.status_code == 404
        assert response.json() == {"error": "no such endpoint of the agent API"}
    response = post(client, "claim/", raw=b"{not json", token=setup["token_a"])
    assert response.status_code == 400
    assert response.json()["error"].startswith("the request body is not JSON")
    response = post(client, "claim/", raw=b"[1, 2]", token=setup["token_a"])
    assert response.status_code == 400
    assert response.json() == {"error": "the request body must be a JSON object"}
    response = post(client, "claim/", {"version": 3}, token=setup["token_a"])
    assert response.json() == {"error": "version must be a string"}
    response = post(client, "claim/", raw=b"{" + b" " * 20000 + b"}", token=setup["token_a"])
    assert response.status_code == 413
    assert response.json()["error"].startswith("the request body is too large")


def test_claim_gives_this_agents_queued_runs_only(client, setup, settings):
    settings.PCRA_RESTORE_LEASE_SECONDS = 77
    copy = setup["copy"]
    worker_run = services.run_request(copy=copy, definition=setup["def_w"], enqueue=False)
    run_b = services.run_request(copy=copy, definition=setup["def_b"])
    run_a1 = services.run_request(copy=copy, definition=setup["def_a"])
    run_a2 = services.run_request(copy=copy, definition=setup["def_a"])

    response = post(client, "claim/", {"version": "1.2.3"}, token=setup["token_a"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["poll_seconds"] == 30
    assert data["run"]["id"] == str(run_a1.uuid)
    assert data["run"]["lease_seconds"] == 77
    assert data["run"]["label"] == "DPI-DB / nas"
    assert data["run"]["spec"] == services.run_spec_fields(run_a1)
    assert data["run"]["spec"]["secret"] == PASSWORD
    assert data["run"]["spec"]["repository"] == copy.repository
    assert "sandbox_root" not in data["run"]["spec"]
    run_a1.refresh_from_db()
    assert run_a1.status == RunState.RUNNING
    assert run_a1.agent_id == setup["agent_a"].pk
    agent = Agent.objects.get(pk=setup["agent_a"].pk)
    assert agent.last_version == "1.2.3"
    assert agent.last_seen_at is not None

    second = post(client, "claim/", {}, token=setup["token_a"]).json()
    assert second["run"]["id"] == str(run_a2.uuid)
    assert post(client, "claim/", {}, token=setup["token_a"]).json() == {"run": None,
                                                                         "poll_seconds": 30}
    for run, status in ((worker_run, RunState.QUEUED), (run_b, RunState.QUEUED)):
        run.refresh_from_db()
        assert run.status == status
    # agent B gets its own, never the worker's
    data = post(client, "claim/", {}, token=setup["token_b"]).json()
    assert data["run"]["id"] == str(run_b.uuid)
    assert post(client, "claim/", {}, token=setup["token_b"]).json()["run"] is None
    worker_run.refresh_from_db()
    assert worker_run.status == RunState.QUEUED


def test_a_run_that_cannot_be_handed_over_is_failed_not_sent(client, setup, settings, tmp_path):
    run = services.run_request(copy=setup["copy"], definition=setup["def_a"])
    settings.PCRA_SECRETS_KEY_FILE = str(tmp_path / "another.key")  # the secret is unreadable
    (tmp_path / "another.key").write_bytes(os.urandom(32))
    (tmp_path / "another.key").chmod(0o600)
    response = post(client, "claim/", {}, token=setup["token_a"])
    assert response.status_code == 200
    assert response.json()["run"] is None
    run.refresh_from_db()
    assert (run.status, run.error_code) == (RunState.FAILED, "internal")


def test_progress_renews_the_lease_and_brings_back_a_cancellation(client, setup):
    run = claimed(client, setup)
    RestoreTestRun.objects.filter(pk=run.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    progress = {"phase": "restoring", "bytes_done": 100, "bytes_total": 400, "files_done": 3,
                "files_total": 12}
    response = post(client, f"runs/{run.uuid}/progress/", progress, token=setup["token_a"])
    assert response.status_code == 200
    assert response.json() == {"cancel": False}
    run.refresh_from_db()
    assert run.lease_expires_at > timezone.now() + dt.timedelta(seconds=60)
    assert (run.phase, run.bytes_done, run.bytes_total, run.files_done, run.files_total) == (
        "restoring", 100, 400, 3, 12)
    # the overall progress: the restore's quarter placed within the test's phases
    from pcra.restoretests.runner import Progress

    assert run.fraction == Progress(phase="restoring", bytes_done=100, bytes_total=400,
                                    files_done=3, files_total=12).fraction
    assert 0 < run.fraction < 1

    response = post(client, f"runs/{run.uuid}/progress/", {"phase": "nowhere"},
                    token=setup["token_a"])
    assert response.status_code == 400
    assert response.json() == {"error": "bad progress: unknown phase 'nowhere'"}

    services.run_cancel(run)
    response = post(client, f"runs/{run.uuid}/progress/", progress, token=setup["token_a"])
    assert response.json() == {"cancel": True}


def test_the_result_is_recorded_as_evidence(client, setup):
    run = claimed(client, setup)
    response = post(client, f"runs/{run.uuid}/result/", passed_result(), token=setup["token_a"])
    assert response.status_code == 200
    run.refresh_from_db()
    assert response.json() == {"status": "passed", "error_code": "",
                               "report_sha256": run.report_sha256, "accepted": True}
    assert run.status == RunState.PASSED
    assert run.files_verified == 12
    assert run.report_sha256 == hashlib.sha256(run.report_json.encode()).hexdigest()
    assert json.loads(run.report_json)["test"]["executor"] == "agent:zone-a"
    verification = run.verification
    assert (verification.kind, verification.result) == (VerificationKind.RESTORE,
                                                         VerificationResult.OK)
    # a retry (the first answer was lost) changes nothing and answers the recorded outcome
    again = post(client, f"runs/{run.uuid}/result/", passed_result(status="failed",
                                                                    errors=["x"]),
                 token=setup["token_a"])
    assert again.status_code == 200
    assert again.json() == {"status": "passed", "error_code": "",
                            "report_sha256": run.report_sha256, "accepted": False}
    assert Verification.objects.filter(copy=setup["copy"]).count() == 1
    # a progress on a finished run: 409, the agent stops
    response = post(client, f"runs/{run.uuid}/progress/", {"phase": "verifying"},
                    token=setup["token_a"])
    assert response.status_code == 409
    assert response.json() == {"error": "the run is passed: stop the test", "status": "passed",
                               "cancel": True}


@pytest.mark.parametrize("garbled", [
    {"status": "passed", "errors": ["one file differs"]},
    {"status": "passed", "steps": [{"name": "restore", "ok": False}]},
    {"status": "done"},
    {"status": "passed", "files_verified": -3},
    {"status": "passed", "snapshot_time": "yesterday"},
])
def test_a_garbled_result_fails_the_run_and_is_never_a_pass(client, setup, garbled):
    run = claimed(client, setup)
    response = post(client, f"runs/{run.uuid}/result/", garbled, token=setup["token_a"])
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    assert response.json()["error_code"] == "bad_result"
    run.refresh_from_db()
    assert (run.status, run.error_code) == (RunState.FAILED, "bad_result")
    assert run.verification is None
    assert not Verification.objects.filter(copy=setup["copy"], result="ok").exists()


def test_a_result_that_is_not_json_changes_nothing(client, setup):
    run = claimed(client, setup)
    response = post(client, f"runs/{run.uuid}/result/", raw=b"passed!", token=setup["token_a"])
    assert response.status_code == 400
    assert response.json()["error"].startswith("the request body is not JSON")
    run.refresh_from_db()
    assert run.status == RunState.RUNNING


def test_another_agents_run_is_404_and_an_unclaimed_one_409(client, setup):
    run = claimed(client, setup)
    for path in (f"runs/{run.uuid}/progress/", f"runs/{run.uuid}/result/",
                 "runs/not-a-uuid/result/"):
        response = post(client, path, passed_result(), token=setup["token_b"])
        assert response.status_code == 404
        assert response.json() == {"error": "no such run"}
    run.refresh_from_db()
    assert run.status == RunState.RUNNING
    queued = services.run_request(copy=setup["copy"], definition=setup["def_a"])
    response = post(client, f"runs/{queued.uuid}/result/", passed_result(),
                    token=setup["token_a"])
    assert response.status_code == 409
    queued.refresh_from_db()
    assert queued.status == RunState.QUEUED


# --- The agent's own checks (in process) ------------------------------------------------------


def _agent(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    parser = argparse.ArgumentParser()
    agent_module.add_arguments(parser)
    code = agent_module.run_from_options(vars(parser.parse_args(argv)), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_agent_refuses_plain_http_and_a_world_readable_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("pcra_agent_x\n")
    token.chmod(0o600)
    code, out, err = _agent(["--server", "http://127.0.0.1:9/", "--token-file", str(token)])
    assert code == 3
    assert "the server address must start with https://" in err
    token.chmod(0o644)
    code, out, err = _agent(["--server", "https://127.0.0.1:9/", "--token-file", str(token)])
    assert code == 3
    assert "can be read by every user of this machine (mode 0644)" in err
    assert "chmod 600" in err
    code, out, err = _agent(["--server", "https://127.0.0.1:9/",
                             "--token-file", str(tmp_path / "nothing")])
    assert (code, "does not exist" in err) == (3, True)
    token.chmod(0o600)
    code, out, err = _agent(["--server", "https://127.0.0.1:9/", "--token-file", str(token),
                             "--sandbox", str(tmp_path / "sb"), "--once"])
    assert code == 3
    assert "the server cannot be reached" in err
    assert "pcra_agent_x" not in out + err


class FakeClient:
    """The server as the agent sees it: per endpoint, a list of answers or exceptions (the last
    one repeats)."""

    base = "https://pcra.test/api/agent/v1/"

    def __init__(self, **script):
        self.script = script
        self.calls: list[tuple[str, dict]] = []

    def post(self, path: str, body: dict) -> dict:
        self.calls.append((path, body))
        outcomes = self.script["claim" if path == "claim/" else path.split("/")[-2]]
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


SPEC = {"engine": "restic", "repository": "/srv/restic", "secret": PASSWORD, "level": 2,
        "snapshot": "", "scope": "full", "sample_files": None, "sample_percent": None,
        "seed": 0, "probe_command": "", "probe_expect": "", "probe_timeout": 300.0,
        "timeout": 600.0}
CLAIM = {"run": {"id": "5b0c3a8e-0000-4000-8000-000000000001", "label": "DPI-DB / nas",
                 "spec": SPEC, "lease_seconds": 120}, "poll_seconds": 30}


class _Result:
    def __init__(self, data: dict):
        self.data = data

    def to_dict(self) -> dict:
        return dict(self.data)


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(agent_module, "RETRY_FIRST_SECONDS", 0.01)
    monkeypatch.setattr(agent_module, "STOP_DELIVERY_SECONDS", 0.2)


def _config(tmp_path: Path) -> agent_module.Config:
    return agent_module.Config(server="https://pcra.test/", token="pcra_agent_t",
                               sandbox=tmp_path / "sandbox", once=True)


def test_a_result_is_retried_until_the_server_has_it(tmp_path, monkeypatch, fast_retries):
    from pcra.restoretests import runner

    seen = {}

    def run_test(spec, *, progress, should_cancel):
        seen["spec"] = spec
        return _Result(passed_result())

    monkeypatch.setattr(runner, "run_test", run_test)
    down = agent_module.ServerUnreachable("Connection refused")
    client = FakeClient(claim=[CLAIM], result=[down, down, {
        "status": "passed", "error_code": "", "report_sha256": "ab" * 32, "accepted": True}])
    out, err = io.StringIO(), io.StringIO()
    agent = agent_module.Agent(_config(tmp_path), client=client, out=out, err=err)
    assert agent.run() == agent_module.EXIT_OK
    assert [path for path, _body in client.calls] == [
        "claim/", *[f"runs/{CLAIM['run']['id']}/result/"] * 3]
    assert client.calls[-1][1] == passed_result()
    assert seen["spec"].sandbox_root == str(tmp_path / "sandbox")
    assert seen["spec"].secret == PASSWORD
    assert err.getvalue().count("the result could not be sent (Connection refused)") == 2
    assert out.getvalue().endswith(f"run {CLAIM['run']['id']} DPI-DB / nas: passed (12 files "
                                   f"verified, 35.2 KiB restored, 3.5 s); evidence sha256 "
                                   f"{'ab' * 32}\n")
    assert list((tmp_path / "sandbox" / agent_module.PENDING_DIR).iterdir()) == []
    assert PASSWORD not in out.getvalue() + err.getvalue()


def test_a_result_not_delivered_when_stopping_is_sent_at_the_next_start(tmp_path, monkeypatch,
                                                                        fast_retries):
    from pcra.restoretests import runner

    out, err = io.StringIO(), io.StringIO()
    client = FakeClient(claim=[CLAIM], result=[agent_module.ServerUnreachable("timed out")])
    agent = agent_module.Agent(_config(tmp_path), client=client, out=out, err=err)

    def run_test(spec, *, progress, should_cancel):
        agent.request_stop("SIGTERM")  # arrives mid-test: the engine is cut short
        assert should_cancel() is True
        return _Result(passed_result(status="failed", error_code="failed",
                                     errors=["restic was stopped"]))

    monkeypatch.setattr(runner, "run_test", run_test)
    assert agent.run() == agent_module.EXIT_PROBLEM  # not delivered (kept for later)
    assert out.getvalue() == ""
    kept = tmp_path / "sandbox" / agent_module.PENDING_DIR / f"{CLAIM['run']['id']}.json"
    assert stat_mode(kept) == 0o600
    data = json.loads(kept.read_text())
    assert data["result"]["status"] == "cancelled"
    assert data["result"]["error_code"] == "cancelled"
    assert data["result"]["errors"] == [
        "The agent was stopped during the test (SIGTERM); the test is cancelled and its sandbox "
        "removed.", "restic was stopped"]
    assert PASSWORD not in kept.read_text()
    assert "it is kept in" in err.getvalue()

    # the next start sends it before claiming anything
    client = FakeClient(claim=[{"run": None, "poll_seconds": 30}], result=[
        {"status": "cancelled", "error_code": "cancelled", "report_sha256": "cd" * 32,
         "accepted": True}])
    out = io.StringIO()
    again = agent_module.Agent(_config(tmp_path), client=client, out=out, err=io.StringIO())
    assert again.run() == agent_module.EXIT_OK
    assert [path for path, _body in client.calls] == [
        f"runs/{CLAIM['run']['id']}/result/", "claim/"]
    assert client.calls[0][1] == data["result"]
    assert not kept.exists()
    assert (f"run {CLAIM['run']['id']} DPI-DB / nas: cancelled [cancelled]: The agent was "
            f"stopped during the test (SIGTERM)") in out.getvalue()


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --- End to end: real HTTPS server, real agent, real restic ----------------------------------


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def build(subject, issuer, public_key, signer, *, ca: bool, issuer_key=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer_key or public_key), critical=False))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        else:
            builder = (builder
                       .add_extension(x509.SubjectAlternativeName(
                           [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                      critical=False))
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pcra test CA")])
    ca_cert = build(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), ca_name,
                 key.public_key(), ca_key, ca=False, issuer_key=ca_key.public_key())
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key_pem.chmod(0o600)
    return ca_pem, cert_pem, key_pem


@pytest.fixture
def shared_db(live_db, tmp_path, settings):
    """The environment under which another process opens this test's database.

    PostgreSQL: the test database by name. SQLite: Django's test database is in memory, out of
    reach of other processes, so it is copied (schema, triggers and all) into a file that this
    test's connection then uses too; the in-memory database is put back afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCRA_")}
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    env.update({"PCRA_DATA_DIR": str(data_dir), "PCRA_TASKS_INLINE": "1",
                "PCRA_SECRETS_KEY_FILE": str(settings.PCRA_SECRETS_KEY_FILE),
                "PCRA_LANGUAGE": "en", "PCRA_LOG_LEVEL": "WARNING"})
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        env["PCRA_DATABASE_URL"] = (f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:"
                                    f"{s['PORT'] or 5432}/{s['NAME']}")
        yield env
        return
    connection.ensure_connection()
    memory = connection.connection
    target = data_dir / "pcra.sqlite3"
    copy = sqlite3.connect(target)
    memory.backup(copy)
    copy.close()
    saved = connection.settings_dict
    connection.connection = None  # the in-memory database stays open through ``memory``
    connection.settings_dict = {**saved, "NAME": str(target)}
    try:
        yield env
    finally:
        connection.close()
        connection.settings_dict = saved
        connection.connection = memory


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict, directory: Path):
        self.ca, cert, key = _certificates(directory)
        self.port = _free_port()
        self.url = f"https://127.0.0.1:{self.port}/"
        self.log = directory / "server.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pcra.cli", "serve", "--certfile", str(cert),
                 "--keyfile", str(key), "--port", str(self.port), "--workers", "1"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        context = ssl.create_default_context(cafile=str(self.ca))
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "api/agent/v1/claim/", context=context,
                                       timeout=5)
            except urllib.error.HTTPError as exc:
                assert exc.code == 405
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("pcra serve did not start:\n" + self.text()) from None
                time.sleep(0.2)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def server_env(shared_db):
    return dict(shared_db)


@pytest.fixture
def https_server(server_env, tmp_path):
    directory = tmp_path / "tls"
    directory.mkdir()
    server = Server(server_env, directory)
    yield server
    server.stop()


def agent_argv(server: Server, token_file: Path, sandbox: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pcra.cli", "agent", "--server", server.url,
            "--token-file", str(token_file), "--ca-file", str(server.ca),
            "--sandbox", str(sandbox), "--reserve-bytes", "0", *extra]


def agent_env(tmp_path: Path) -> dict:
    """The agent's machine: no database, no secrets key, a data directory of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCRA_")}
    home = tmp_path / "agent-home"
    home.mkdir(exist_ok=True)
    env.update({"PCRA_DATA_DIR": str(home / "var"), "HOME": str(home)})
    return env


def e2e_world(tmp_path: Path, repo: Path, **definition):
    ght = make_org(kind="GHT", code="GHT-E")
    ej = make_org(kind="EJ", code="EJ-E", parent=ght)
    et = make_org(kind="ET", code="ET-E1", parent=ej)
    copy = make_copy(et, repo)
    agent, token = services.agent_register(organization=et, name="zone-sauvegarde")
    token_file = tmp_path / "agent.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    definition = services.definition_create(copy=copy, name="hebdo", agent=agent,
                                            **{"level": 2, **definition})
    return copy, agent, token, token_file, definition


def sandboxes(root: Path) -> list[str]:
    from pcra.restoretests import runner

    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.name.startswith(runner.SANDBOX_PREFIX))


def test_end_to_end_over_https(https_server, tmp_path, restic_repo):
    copy, agent, token, token_file, definition = e2e_world(tmp_path, restic_repo)
    run = services.run_request(copy=copy, definition=definition)
    sandbox = tmp_path / "sandbox"
    env = agent_env(tmp_path)

    # without the CA, the server's certificate is refused: nothing is sent
    proc = subprocess.run([sys.executable, "-m", "pcra.cli", "agent", "--server",
                           https_server.url, "--token-file", str(token_file), "--sandbox",
                           str(sandbox), "--once"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "the server's certificate was refused" in proc.stderr
    run.refresh_from_db()
    assert run.status == RunState.QUEUED

    proc = subprocess.run(agent_argv(https_server, token_file, sandbox, "--once"), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr + https_server.text()
    run.refresh_from_db()
    assert run.status == RunState.PASSED, (run.errors, proc.stderr)
    assert run.files_verified > 0
    assert run.files_verified == run.files_restored
    assert run.agent_id == agent.pk
    assert run.report_sha256 == hashlib.sha256(run.report_json.encode()).hexdigest()
    assert (run.verification.kind, run.verification.result) == (VerificationKind.RESTORE,
                                                                VerificationResult.OK)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    assert f"run {run.uuid} DPI-DB / nas: passed ({run.files_verified} files verified" in lines[0]
    assert run.report_sha256 in lines[0]
    assert f"run {run.uuid}" in proc.stderr
    for secret in (PASSWORD, token):
        assert secret not in proc.stdout + proc.stderr + https_server.text()
    assert sandboxes(sandbox) == []
    assert list((sandbox / agent_module.PENDING_DIR).iterdir()) == []
    agent.refresh_from_db()
    assert agent.last_seen_at is not None

    # nothing more to do: exit 0 at once
    proc = subprocess.run(agent_argv(https_server, token_file, sandbox, "--once"), env=env,
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert "no restore test to run" in proc.stderr

    # revoked: refused, exit 2
    services.agent_revoke(agent=agent)
    proc = subprocess.run(agent_argv(https_server, token_file, sandbox), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "token refused (revoked or unknown)" in proc.stderr
    assert token not in proc.stderr


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _kill_left_in(sandbox: Path) -> None:
    """Kill the processes working in ``sandbox``: the ones this test's agent started (engines
    and probes run in sessions of their own, which outlive a killed agent)."""
    root = str(sandbox.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + os.sep):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _listening_sockets(pid: int) -> list[str]:
    """The TCP/UDP sockets of process ``pid`` that listen (or are bound, for UDP)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A" if table.startswith("tcp") else fields[3] == "07"
            if fields[9] in inodes and listening:
                found.append(f"{table} {fields[1]}")
    return found


def _running_probe(run: RestoreTestRun):
    run.refresh_from_db()
    return run.status == RunState.RUNNING and run.phase == "probe"


@pytest.fixture
def short_lease_server(server_env, tmp_path):
    server_env["PCRA_RESTORE_LEASE_SECONDS"] = "5"
    directory = tmp_path / "tls"
    directory.mkdir()
    server = Server(server_env, directory)
    yield server
    server.stop()


def test_an_agent_killed_mid_test_is_lost_never_passed(short_lease_server, tmp_path,
                                                       restic_repo):
    server = short_lease_server
    copy, agent, token, token_file, definition = e2e_world(
        tmp_path, restic_repo, level=3, probe_command="sleep 30", probe_timeout_seconds=60)
    run = services.run_request(copy=copy, definition=definition)
    sandbox = tmp_path / "sandbox"
    env = agent_env(tmp_path)
    log = tmp_path / "agent.log"
    with open(log, "wb") as handle:
        proc = subprocess.Popen(agent_argv(server, token_file, sandbox, "--interval", "1"),
                                env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_for(lambda: _running_probe(run), 60, "the probe to run:\n" + log.read_text())
        assert len(sandboxes(sandbox)) == 1
        assert _listening_sockets(proc.pid) == []  # the agent only calls out
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill_left_in(sandbox)  # the probe the killed agent left behind (its own session)
    run.refresh_from_db()
    assert run.status == RunState.RUNNING
    assert services.runs_expire() == 0  # the lease still holds
    _wait_for(lambda: services.runs_expire() == 1, 15, "the lease to expire")
    run.refresh_from_db()
    assert (run.status, run.error_code) == (RunState.FAILED, "agent_lost")
    assert run.errors[0].startswith("the agent zone-sauvegarde stopped reporting during the test")
    assert run.verification is None
    assert run.report_sha256 == hashlib.sha256(run.report_json.encode()).hexdigest()
    assert len(sandboxes(sandbox)) == 1

    # started again: the stale sandbox goes; a late result would change nothing
    restarted = subprocess.run(agent_argv(server, token_file, sandbox, "--once"), env=env,
                               capture_output=True, text=True, timeout=60)
    assert restarted.returncode == 0, restarted.stderr
    assert "removed 1 sandbox(es) left by an interrupted test" in restarted.stderr
    assert sandboxes(sandbox) == []
    run.refresh_from_db()
    assert run.status == RunState.FAILED


def test_cancel_from_pcra_then_sigterm_stop_the_test_and_remove_its_sandbox(
        short_lease_server, tmp_path, restic_repo):
    https_server = short_lease_server  # a 5 s lease: a report every 2 s, even during the probe
    copy, agent, token, token_file, definition = e2e_world(
        tmp_path, restic_repo, level=3, probe_command="sleep 30", probe_timeout_seconds=60)
    first = services.run_request(copy=copy, definition=definition)
    sandbox = tmp_path / "sandbox"
    out, err = tmp_path / "agent.out", tmp_path / "agent.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(agent_argv(https_server, token_file, sandbox, "--interval", "1"),
                                env=agent_env(tmp_path), stdout=stdout, stderr=stderr,
                                start_new_session=True)
    try:
        _wait_for(lambda: _running_probe(first), 60, "the probe to run:\n" + err.read_text())
        services.run_cancel(first)
        _wait_for(lambda: first.refresh_from_db() or first.status != RunState.RUNNING, 40,
                  "the cancellation:\n" + err.read_text())
        assert first.status == RunState.CANCELLED
        assert sandboxes(sandbox) == []

        second = services.run_request(copy=copy, definition=definition)
        _wait_for(lambda: _running_probe(second), 60, "the probe to run:\n" + err.read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill_left_in(sandbox)
    second.refresh_from_db()
    assert (second.status, second.error_code) == (RunState.CANCELLED, "cancelled")
    assert "The agent was stopped during the test (SIGTERM)" in second.errors[0]
    assert second.verification is None
    assert sandboxes(sandbox) == []
    lines = out.read_text().splitlines()
    assert [line.split(": ")[1].split(" ")[0] for line in lines] == ["cancelled", "cancelled"]
