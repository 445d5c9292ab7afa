"""Writes of the restore-tests app: definitions, runs from request to evidence, agents and
their protocol, the business referent's sign-off.

A run goes queued → running → passed / failed / cancelled. Whoever executes it (the worker in
:func:`execute_run`, or a remote agent through the API) reports progress, which renews its lease;
a run whose lease expires (the worker or agent was killed) is failed by :func:`runs_expire`.
Only :func:`run_finish` writes results: it validates what it is given (an agent's upload is
untrusted input), writes the evidence record once (canonical JSON and its SHA-256) and, for a
restore (level 2 or 3), the ``Verification`` that the "0" of 3-2-1-1-0 reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import secrets as pysecrets
import shlex
import time
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import pcra
from pcra.accounts.access import access_for
from pcra.backups.engines.base import CODES, display_repository
from pcra.backups.models import (
    BackupCopy,
    Source,
    Verification,
    VerificationKind,
    VerificationResult,
)
from pcra.core.crud import assign_fields
from pcra.core.secrets import token_digest
from pcra.restoretests.models import (
    FINISHED_STATES,
    Agent,
    Decision,
    Level,
    RestoreTestDefinition,
    RestoreTestRun,
    RunState,
    Scope,
    Signoff,
)

AGENT_TOKEN_PREFIX = "pcra_agent_"
REPORT_FORMAT = "pcra-restore-test/1"
#: failures that say nothing of the backed-up data (it was not read, or the test could not be
#: judged): no verification is recorded for them
NOT_ABOUT_THE_DATA = ("wrong_password", "repository_not_found", "unreachable",
                      "permission_denied", "repository_locked", "engine_missing", "disk_space",
                      "agent_lost", "bad_result", "internal", "timeout", "garbled_output")
#: error codes a result may carry besides the engine's
RESULT_CODES = (*CODES, "damaged", "missing_snapshot", "disk_space", "probe_failed",
                "cancelled", "internal", "agent_lost", "bad_result")
MAX_ERRORS = 200
MAX_ERROR_LENGTH = 2000

DEFINITION_FIELDS = (
    "name", "level", "scope", "sample_files", "sample_percent", "snapshot", "probe_command",
    "probe_expect", "probe_timeout_seconds", "timeout_seconds", "interval_days", "agent",
    "functional_signoff", "referent", "enabled",
)


def _scope_of(copy: BackupCopy) -> tuple[int | None, int]:
    node = copy.data_asset.node
    return node.organization_id, node.top_id


# --- Definitions ------------------------------------------------------------------------------


def copy_rules(copy: BackupCopy) -> list[str]:
    """Why pcra cannot run restore tests on ``copy`` (empty: it can)."""
    errors = []
    if not copy.is_driven:
        errors.append(_("pcra restores restic and Borg repositories itself; restore tests of "
                        "%(engine)s copies are recorded as evidence on the copy.")
                      % {"engine": copy.get_engine_display()})
    elif not copy.repository:
        errors.append(_("The copy %(copy)s has no repository address.") % {"copy": copy.name})
    return errors


def agent_serves(agent: Agent, copy: BackupCopy) -> bool:
    """Whether ``agent`` may run tests of ``copy``: the copy is under the agent's organization
    (its establishment, or the GHT for an agent of the GHT)."""
    organization_id, top_id = _scope_of(copy)
    org = agent.organization
    if org.pk == top_id or (organization_id is not None and org.pk == organization_id):
        return True
    if organization_id is None:
        return False
    from pcra.organizations.models import Organization

    return Organization.objects.filter(pk=organization_id, parent_id=org.pk).exists()


def definition_rules(definition: RestoreTestDefinition) -> dict[str, list[str]]:
    """The meaning rules of a definition, per field (shared by the form and the services)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for message in copy_rules(definition.copy):
        add("__all__", message)
    if definition.scope == Scope.SAMPLE:
        if not definition.sample_files and not definition.sample_percent:
            add("sample_files", _("A sample needs a number of files or a percentage."))
        if definition.sample_files and definition.sample_percent:
            add("sample_percent", _("Give a number of files or a percentage, not both."))
        if definition.sample_percent is not None and not (
                Decimal(0) < Decimal(definition.sample_percent) <= Decimal(100)):
            add("sample_percent", _("A percentage is between 0 and 100."))
    elif definition.sample_files or definition.sample_percent:
        add("scope", _("A sample size is only for the sample scope."))
    if definition.level == Level.PROBE and not definition.probe_command.strip():
        add("probe_command", _("Level 3 runs a probe: give its command."))
    if definition.probe_command.strip():
        try:
            shlex.split(definition.probe_command)
        except ValueError as exc:
            add("probe_command", _("This command cannot be read: %(error)s.")
                % {"error": exc})
    if definition.probe_expect:
        try:
            re.compile(definition.probe_expect)
        except re.error as exc:
            add("probe_expect", _("This regular expression is invalid: %(error)s.")
                % {"error": exc})
    for field in ("probe_timeout_seconds", "timeout_seconds"):
        if getattr(definition, field) is not None and getattr(definition, field) < 1:
            add(field, _("At least one second."))
    if definition.agent_id is not None:
        agent = definition.agent
        if agent.revoked_at is not None:
            add("agent", _("The agent %(name)s is revoked.") % {"name": agent.name})
        elif not agent_serves(agent, definition.copy):
            add("agent", _("The agent %(name)s does not serve this establishment.")
                % {"name": agent.name})
    if definition.functional_signoff and definition.referent_id is None:
        add("referent", _("Name the business referent who validates the restored "
                          "application."))
    if definition.referent_id is not None:
        organization_id, top_id = _scope_of(definition.copy)
        if not access_for(definition.referent).can_read(organization_id, top_id=top_id):
            add("referent", _("%(user)s has no access to this establishment in pcra.")
                % {"user": definition.referent})
    if definition.functional_signoff and definition.level < Level.RESTORE:
        add("functional_signoff", _("A functional validation needs a restore (level 2 or 3)."))
    return errors


def _definition_save(definition: RestoreTestDefinition) -> RestoreTestDefinition:
    errors = definition_rules(definition)
    if RestoreTestDefinition.objects.filter(copy=definition.copy, name=definition.name) \
            .exclude(pk=definition.pk).exists():
        errors.setdefault("name", []).append(
            _("This copy already has a restore test with this name."))
    if errors:
        raise ValidationError(errors)
    definition.full_clean(exclude=["copy", "uuid"])
    if definition.interval_days and definition.enabled:
        if definition.next_run_at is None:
            definition.next_run_at = timezone.now()
    else:
        definition.next_run_at = None
    definition.save()
    return definition


@transaction.atomic
def definition_create(*, copy: BackupCopy, **fields) -> RestoreTestDefinition:
    definition = RestoreTestDefinition(copy=copy)
    assign_fields(definition, fields, DEFINITION_FIELDS)
    return _definition_save(definition)


@transaction.atomic
def definition_update(*, definition: RestoreTestDefinition, **fields) -> RestoreTestDefinition:
    interval = definition.interval_days
    assign_fields(definition, fields, DEFINITION_FIELDS)
    if definition.interval_days != interval:
        definition.next_run_at = None  # a new schedule starts now
    return _definition_save(definition)


def definition_delete(*, definition: RestoreTestDefinition) -> None:
    """Runs stay (they are evidence); they lose their link to the definition."""
    definition.delete()


# --- Runs: request, execution, results ---------------------------------------------------------


def _parameters(definition: RestoreTestDefinition | None, *, level: int, scope: str,
                overrides: dict) -> dict:
    params = {"snapshot": "", "sample_files": None, "sample_percent": None,
              "probe_command": "", "probe_expect": "", "probe_timeout_seconds": 300,
              "timeout_seconds": 4 * 3600, "seed": 0}
    if definition is not None:
        params.update({
            "snapshot": definition.snapshot, "sample_files": definition.sample_files,
            "sample_percent": (float(definition.sample_percent)
                               if definition.sample_percent is not None else None),
            "probe_command": definition.probe_command, "probe_expect": definition.probe_expect,
            "probe_timeout_seconds": definition.probe_timeout_seconds,
            "timeout_seconds": definition.timeout_seconds,
        })
    params.update({k: v for k, v in overrides.items() if v is not None})
    if level < Level.PROBE:
        params["probe_command"] = params["probe_expect"] = ""
    if scope == Scope.FULL:
        params["sample_files"] = params["sample_percent"] = None
    return params


_DEFINITION_AGENT = object()


@transaction.atomic
def run_request(*, copy: BackupCopy, definition: RestoreTestDefinition | None = None,
                level: int | None = None, user=None, enqueue: bool = True,
                agent=_DEFINITION_AGENT, **overrides) -> RestoreTestRun:
    """A queued run of ``definition`` (or an ad-hoc one on ``copy``). Runs without an agent are
    handed to the worker (a background job) once the transaction commits; an agent picks its
    own up when it next polls. ``overrides``: snapshot, probe_command, probe_expect,
    probe_timeout_seconds, timeout_seconds, seed."""
    errors = copy_rules(copy)
    if definition is not None and definition.copy_id != copy.pk:
        raise ValueError("the definition belongs to another copy")
    level = int(level or (definition.level if definition else Level.RESTORE))
    if level not in Level.values:
        errors.append(_("The level is 1, 2 or 3."))
    scope = definition.scope if definition is not None else Scope.FULL
    params = _parameters(definition, level=level, scope=scope, overrides=overrides)
    if level == Level.PROBE and not params["probe_command"]:
        errors.append(_("Level 3 runs a probe: give its command."))
    if agent is _DEFINITION_AGENT:
        agent = definition.agent if definition is not None else None
    if agent is not None and agent.revoked_at is not None:
        errors.append(_("The agent %(name)s is revoked: choose another one or the worker.")
                      % {"name": agent.name})
    if not copy.has_secret:
        errors.append(_("The copy %(copy)s has no repository password in pcra.")
                      % {"copy": copy.name})
    if errors:
        raise ValidationError(errors)
    if definition is not None and definition.interval_days and definition.enabled:
        # A run of a scheduled definition (run now, or the scheduler) starts its next period.
        definition.next_run_at = timezone.now() + dt.timedelta(days=definition.interval_days)
        RestoreTestDefinition.objects.filter(pk=definition.pk).update(
            next_run_at=definition.next_run_at)
    run = RestoreTestRun.objects.create(copy=copy, definition=definition, level=level,
                                        scope=scope, parameters=params, agent=agent,
                                        requested_by=user if user and user.is_authenticated
                                        else None)
    if agent is None and enqueue:
        from pcra.restoretests.tasks import run_restore_test_task

        transaction.on_commit(lambda: run_restore_test_task.enqueue(run.pk))
    return run


def run_spec_fields(run: RestoreTestRun) -> dict:
    """The runner's TestSpec fields of ``run`` that come from the server (with the secret):
    what the worker passes to the runner and what an agent receives. The sandbox and the free
    space to keep belong to whoever executes."""
    from pcra.backups.services import copy_password

    p = run.parameters
    return {
        "engine": run.copy.engine, "repository": run.copy.repository,
        "secret": copy_password(run.copy), "level": run.level, "snapshot": p.get("snapshot", ""),
        "scope": run.scope, "sample_files": p.get("sample_files"),
        "sample_percent": p.get("sample_percent"), "seed": p.get("seed", 0),
        "probe_command": p.get("probe_command", ""), "probe_expect": p.get("probe_expect", ""),
        "probe_timeout": float(p.get("probe_timeout_seconds", 300)),
        "timeout": float(p.get("timeout_seconds", 4 * 3600)),
    }


def _lease(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.PCRA_RESTORE_LEASE_SECONDS)


def run_start(run: RestoreTestRun, *, agent: Agent | None = None,
              now: dt.datetime | None = None) -> bool:
    """Mark a queued run running (False: it was no longer queued, e.g. cancelled)."""
    now = now or timezone.now()
    updated = RestoreTestRun.objects.filter(pk=run.pk, status=RunState.QUEUED).update(
        status=RunState.RUNNING, started_at=now, heartbeat_at=now, lease_expires_at=_lease(now),
        phase="", agent=agent or run.agent)
    if updated:
        run.refresh_from_db()
    return bool(updated)


PROGRESS_PHASES = ("check", "listing", "space", "restoring", "verifying", "probe", "cleanup")


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**62:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return value


def run_progress(run: RestoreTestRun, progress: dict, *, now: dt.datetime | None = None) -> bool:
    """Record the live progress of a running run and renew its lease; returns whether a
    cancellation was requested. ValueError for a malformed progress."""
    now = now or timezone.now()
    if not isinstance(progress, dict):
        raise ValueError("progress must be an object")
    phase = progress.get("phase", "")
    if phase not in PROGRESS_PHASES:
        raise ValueError(f"unknown phase {phase!r}")
    fields = {name: _count(progress.get(name, 0), name)
              for name in ("bytes_done", "bytes_total", "files_done", "files_total")}
    RestoreTestRun.objects.filter(pk=run.pk, status=RunState.RUNNING).update(
        phase=phase, heartbeat_at=now, lease_expires_at=_lease(now), **fields)
    return RestoreTestRun.objects.filter(pk=run.pk, cancel_requested=True).exists()


def run_cancel(run: RestoreTestRun, *, user=None) -> RestoreTestRun:
    """Cancel a queued run at once; ask a running one to stop (its executor stops the engine
    and removes the sandbox)."""
    with transaction.atomic():
        run = RestoreTestRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunState.QUEUED:
            now = timezone.now()
            run.status = RunState.CANCELLED
            run.cancel_requested = True
            run.finished_at = now
            run.error_code = "cancelled"
            run.errors = [_("Cancelled before it started.")]
            run.save()
            _write_report(run, result=None)
        elif run.status == RunState.RUNNING and not run.cancel_requested:
            run.cancel_requested = True
            run.save(update_fields=["cancel_requested"])
    return run


def _float(value, name: str, *, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"{name} must be a non-negative number, not {value!r}")
    return float(value)


def _text(value, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    return value[:limit]


def _time(value, name: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 string")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return parsed


def clean_result(data) -> dict:
    """The result of a test (the runner's ``TestResult.to_dict()``) checked field by field;
    ValueError naming the first bad field. Whatever comes from an agent goes through here."""
    if not isinstance(data, dict):
        raise ValueError("the result must be a JSON object")
    status = data.get("status")
    if status not in ("passed", "failed", "cancelled"):
        raise ValueError(f"status must be passed, failed or cancelled, not {status!r}")
    errors = data.get("errors", [])
    if not isinstance(errors, list | tuple) or not all(isinstance(e, str) for e in errors):
        raise ValueError("errors must be a list of strings")
    code = data.get("error_code") or ""
    if code and code not in RESULT_CODES:
        raise ValueError(f"unknown error_code {code!r}")
    if status == "passed" and (errors or code):
        raise ValueError("a passed test carries no error")
    if status != "passed" and not errors:
        raise ValueError("a failed or cancelled test says why (errors is empty)")
    steps = data.get("steps", [])
    if not isinstance(steps, list | tuple):
        raise ValueError("steps must be a list")
    clean_steps = []
    for index, step in enumerate(steps[:50]):
        if not isinstance(step, dict) or not isinstance(step.get("ok"), bool):
            raise ValueError(f"steps[{index}] must be an object with a boolean ok")
        clean_steps.append({"name": _text(step.get("name"), "step name", 40),
                            "ok": step["ok"],
                            "duration_seconds": _float(step.get("duration_seconds"),
                                                       "step duration"),
                            "detail": _text(step.get("detail"), "step detail", 2000)})
    if status == "passed" and not all(s["ok"] for s in clean_steps):
        raise ValueError("a passed test has a failed step")
    probe = data.get("probe")
    if probe is not None:
        if not isinstance(probe, dict):
            raise ValueError("probe must be an object")
        probe = {"command": _text(probe.get("command"), "probe command", 1000),
                 "exit_code": probe.get("exit_code") if isinstance(probe.get("exit_code"), int)
                 and not isinstance(probe.get("exit_code"), bool) else None,
                 "stdout": _text(probe.get("stdout"), "probe stdout", 4000),
                 "stderr": _text(probe.get("stderr"), "probe stderr", 4000),
                 "duration_seconds": _float(probe.get("duration_seconds"), "probe duration"),
                 "ok": bool(probe.get("ok"))}
    level = data.get("level")
    if level not in (1, 2, 3) or isinstance(level, bool):
        raise ValueError(f"level must be 1, 2 or 3, not {level!r}")
    scope = data.get("scope")
    if scope not in Scope.values:
        raise ValueError(f"scope must be full or sample, not {scope!r}")
    counts = {name: _count(data.get(name) or 0, name)
              for name in ("bytes_restored", "files_restored", "files_verified")}
    optional_counts = {}
    for name in ("snapshot_bytes", "snapshot_files"):
        value = data.get(name)
        optional_counts[name] = None if value is None else _count(value, name)
    return {
        "status": status,
        "level": level,
        "scope": scope,
        "errors": [e[:MAX_ERROR_LENGTH] for e in errors[:MAX_ERRORS]],
        "error_code": code,
        "snapshot_id": _text(data.get("snapshot_id"), "snapshot_id", 200),
        "snapshot_time": _time(data.get("snapshot_time"), "snapshot_time"),
        **optional_counts,
        **counts,
        "duration_seconds": _float(data.get("duration_seconds"), "duration_seconds"),
        "restore_seconds": _float(data.get("restore_seconds"), "restore_seconds"),
        "throughput": _float(data.get("throughput_bytes_per_second"),
                             "throughput_bytes_per_second"),
        "extrapolated_full_seconds": _float(data.get("extrapolated_full_seconds"),
                                            "extrapolated_full_seconds"),
        "probe": probe,
        "steps": clean_steps,
        "sandbox_removed": bool(data.get("sandbox_removed")),
        "engine_version": _text(data.get("engine_version"), "engine_version", 100),
    }


#: the steps a passed test of each level must show, all ok
REQUIRED_STEPS = {1: ("check", "listing"), 2: ("check", "listing", "space", "restore", "verify"),
                  3: ("check", "listing", "space", "restore", "verify", "probe")}


def result_against_run(clean: dict, run: RestoreTestRun) -> None:
    """A result must be the test that was asked for (ValueError otherwise): the same level and
    scope, every step of that level present and ok when it passed, every file of a full
    snapshot verified, a probe that passed at level 3."""
    if (clean["level"], clean["scope"]) != (run.level, run.scope):
        raise ValueError(f"the result is of a level {clean['level']} {clean['scope']} test, "
                         f"but a level {run.level} {run.scope} test was asked for")
    if clean["status"] != "passed":
        return
    done = {step["name"] for step in clean["steps"] if step["ok"]}
    missing = [name for name in REQUIRED_STEPS[run.level] if name not in done]
    if missing:
        raise ValueError(f"a passed level {run.level} test lacks the step(s) "
                         f"{', '.join(missing)}")
    if run.level >= Level.RESTORE:
        expected = clean["snapshot_files"]
        if run.scope == Scope.FULL and (expected is None
                                        or clean["files_verified"] != expected):
            raise ValueError(f"{clean['files_verified']} file(s) verified of the "
                             f"{expected} in the snapshot")
        if clean["files_verified"] < 1:
            raise ValueError("a passed restore verified no file")
    if run.level == Level.PROBE and not (clean["probe"] and clean["probe"]["ok"]):
        raise ValueError("a passed level 3 test has no passed probe")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _write_report(run: RestoreTestRun, *, result: dict | None) -> None:
    """The evidence record of a finished run: canonical JSON and its SHA-256, written once."""
    copy = run.copy
    node = copy.data_asset.node
    report = {
        "format": REPORT_FORMAT,
        "run": str(run.uuid),
        "status": run.status,
        "error_code": run.error_code,
        "errors": list(run.errors),
        "asset": {"code": node.code, "name": node.name,
                  "organization": node.organization.code if node.organization_id else None,
                  "ght": node.top.code},
        "copy": {"name": copy.name, "engine": copy.engine,
                 "repository": display_repository(copy.repository).strip("'")},
        "test": {"level": run.level, "scope": run.scope, "parameters": run.parameters,
                 "definition": run.definition.name if run.definition_id else None,
                 "executor": f"agent:{run.agent.name}" if run.agent_id else "worker",
                 "requested_by": run.requested_by.get_username() if run.requested_by_id
                 else None,
                 "requested_at": _iso(run.requested_at), "started_at": _iso(run.started_at),
                 "finished_at": _iso(run.finished_at)},
        "snapshot": {"id": run.snapshot_id, "time": _iso(run.snapshot_time),
                     "bytes": run.snapshot_bytes, "files": run.snapshot_files},
        "measurements": {"duration_seconds": run.duration_seconds,
                         "restore_seconds": run.restore_seconds,
                         "bytes_restored": run.bytes_restored,
                         "files_restored": run.files_restored,
                         "files_verified": run.files_verified,
                         "throughput_bytes_per_second": run.throughput,
                         "extrapolated_full_seconds": run.extrapolated_full_seconds},
        "steps": result["steps"] if result else [],
        "probe": result["probe"] if result else None,
        "engine_version": result["engine_version"] if result else "",
        "sandbox_removed": result["sandbox_removed"] if result else True,
        "pcra_version": pcra.__version__,
    }
    text = json.dumps(report, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    run.report_json = text
    run.report_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    RestoreTestRun.objects.filter(pk=run.pk).update(report_json=text,
                                                    report_sha256=run.report_sha256)


def _record_verification(run: RestoreTestRun) -> None:
    """The restore evidence the "0" reads: a full restore (passed or failed), or any failed
    restore (a failed sample is a failed restore; a passed sample is not a full test)."""
    if run.status == RunState.CANCELLED or run.error_code in NOT_ABOUT_THE_DATA:
        # the backup was not read, or the test could not be judged: a failed test, but it
        # says nothing of the data (supervision still raises it, see backups.supervision)
        return
    if run.level < Level.RESTORE:
        if run.status == RunState.FAILED:
            # The engine's check found damage: the whole repository is suspect.
            verification = Verification.objects.create(
                copy=run.copy, performed_at=run.finished_at, kind=VerificationKind.INTEGRITY,
                result=VerificationResult.FAILED, error_count=max(1, len(run.errors)),
                reads_data=False, errors=list(run.errors)[:50],
                notes=_("Restore test %(run)s (level 1).") % {"run": run.uuid},
                source=Source.RESTORE_TEST)
            run.verification = verification
            RestoreTestRun.objects.filter(pk=run.pk).update(verification=verification)
        return
    if run.status == RunState.PASSED and run.scope != Scope.FULL:
        return
    ok = run.status == RunState.PASSED
    verification = Verification.objects.create(
        copy=run.copy, performed_at=run.finished_at, kind=VerificationKind.RESTORE,
        result=VerificationResult.OK if ok else VerificationResult.FAILED,
        error_count=0 if ok else max(1, len(run.errors)),
        duration_seconds=run.restore_seconds, size_bytes=run.bytes_restored,
        errors=list(run.errors)[:50],
        notes=_("Restore test %(run)s (level %(level)s, %(scope)s).")
        % {"run": run.uuid, "level": run.level, "scope": run.get_scope_display()},
        source=Source.RESTORE_TEST)
    run.verification = verification
    RestoreTestRun.objects.filter(pk=run.pk).update(verification=verification)


def run_finish(run: RestoreTestRun, result, *, now: dt.datetime | None = None) -> RestoreTestRun:
    """Record the result of a running run (from the worker or an agent) as evidence. A result
    that does not hold together fails the run with ``bad_result`` instead: it is never taken
    as a pass."""
    now = now or timezone.now()
    try:
        clean = clean_result(result)
        result_against_run(clean, run)
    except ValueError as exc:
        return run_fail(run, "bad_result",
                        _("The result sent for this test could not be read (%(error)s); the "
                          "test is counted as failed.") % {"error": exc}, now=now)
    with transaction.atomic():
        run = RestoreTestRun.objects.select_for_update(of=("self",)).select_related(
            "copy__data_asset__node__organization", "copy__data_asset__node__top",
            "definition", "agent", "requested_by").get(pk=run.pk)
        if run.status in FINISHED_STATES:
            return run  # already ended (expired or cancelled): the first outcome stands
        status = {"passed": RunState.PASSED, "failed": RunState.FAILED,
                  "cancelled": RunState.CANCELLED}[clean["status"]]
        run.status = status
        run.finished_at = now
        for name in ("error_code", "errors", "snapshot_id", "snapshot_time", "snapshot_bytes",
                     "snapshot_files", "duration_seconds", "restore_seconds", "bytes_restored",
                     "files_restored", "files_verified", "throughput",
                     "extrapolated_full_seconds"):
            setattr(run, name, clean[name])
        run.phase = ""
        run.lease_expires_at = None
        run.save()
        _write_report(run, result=clean)
        _record_verification(run)
        _after_run(run, now)
    return run


def run_fail(run: RestoreTestRun, code: str, message: str, *,
             now: dt.datetime | None = None, only_if_expired: bool = False) -> RestoreTestRun:
    """End a run as failed for a reason outside the test itself (its executor was lost, its
    result was unreadable)."""
    now = now or timezone.now()
    with transaction.atomic():
        run = RestoreTestRun.objects.select_for_update(of=("self",)).select_related(
            "copy__data_asset__node__organization", "copy__data_asset__node__top",
            "definition", "agent", "requested_by").get(pk=run.pk)
        if run.status in FINISHED_STATES:
            return run
        if only_if_expired and (run.lease_expires_at is None or run.lease_expires_at >= now):
            return run  # it reported again meanwhile
        run.status = RunState.FAILED
        run.finished_at = now
        run.error_code = code
        run.errors = [message]
        if run.started_at is not None:
            run.duration_seconds = (now - run.started_at).total_seconds()
        run.lease_expires_at = None
        run.save()
        _write_report(run, result=None)
        _after_run(run, now)
    return run


def _after_run(run: RestoreTestRun, now: dt.datetime) -> None:
    from pcra.backups import supervision
    from pcra.backups.models import DataAsset

    assets = DataAsset.objects.select_related("node").filter(pk=run.copy.data_asset_id)
    transaction.on_commit(lambda: supervision.alerts_refresh(assets=assets))


def runs_expire(now: dt.datetime | None = None) -> int:
    """Fail the running runs whose executor stopped reporting (killed worker or agent)."""
    now = now or timezone.now()
    expired = list(RestoreTestRun.objects.filter(status=RunState.RUNNING,
                                                 lease_expires_at__lt=now)
                   .select_related("agent"))
    for run in expired:
        where = (_("the agent %(name)s") % {"name": run.agent.name} if run.agent_id
                 else _("the pcra worker"))
        last = timezone.localtime(run.heartbeat_at or run.started_at or now)
        run_fail(run, "agent_lost",
                 _("%(where)s stopped reporting during the test (last sign of life at "
                   "%(when)s); the test is failed. Its sandbox is removed when it starts "
                   "again.") % {"where": where, "when": last.strftime("%Y-%m-%d %H:%M:%S")},
                 now=now, only_if_expired=True)
    return len(expired)


def execute_run(run: RestoreTestRun, *, on_progress: Callable | None = None,
                interrupted: Callable[[], bool] | None = None) -> RestoreTestRun:
    """Run a queued run here (the worker, or ``pcra run_restore_test``): start it, drive the
    runner with live progress and cancellation (from the UI, or ``interrupted()`` turning
    true, e.g. Ctrl-C), record the result."""
    from pcra.restoretests import runner

    if not run_start(run):
        run.refresh_from_db()
        return run
    sandbox_root = settings.PCRA_RESTORE_SANDBOX_DIR
    sandbox_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        spec = runner.TestSpec(**run_spec_fields(run), sandbox_root=str(sandbox_root),
                               reserve_bytes=settings.PCRA_RESTORE_RESERVE_BYTES)
    except Exception as exc:  # the key file is missing, the secret cannot be decrypted…
        return run_fail(run, "internal", str(exc))
    state = {"last": 0.0, "cancel": False}

    def progress(p) -> None:
        if on_progress is not None:
            on_progress(p)
        moment = time.monotonic()
        if moment - state["last"] >= 1.0:
            state["last"] = moment
            state["cancel"] = run_progress(run, {
                "phase": p.phase, "bytes_done": p.bytes_done, "bytes_total": p.bytes_total,
                "files_done": p.files_done, "files_total": p.files_total})

    def should_cancel() -> bool:
        if interrupted is not None and interrupted():
            return True
        moment = time.monotonic()
        if moment - state["last"] >= 1.0:
            state["last"] = moment
            RestoreTestRun.objects.filter(pk=run.pk).update(
                heartbeat_at=timezone.now(), lease_expires_at=_lease(timezone.now()))
            state["cancel"] = RestoreTestRun.objects.filter(
                pk=run.pk, cancel_requested=True).exists()
        return state["cancel"]

    result = runner.run_test(spec, progress=progress, should_cancel=should_cancel)
    return run_finish(run, result.to_dict())


# --- Scheduling -------------------------------------------------------------------------------


def schedule_due(now: dt.datetime | None = None) -> int:
    """Queue a run of every enabled definition whose next date has come (rows locked, skipped
    by concurrent schedulers on PostgreSQL); returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(RestoreTestDefinition.objects.select_for_update(skip_locked=True)
                   .filter(enabled=True, interval_days__isnull=False, next_run_at__lte=now))
        for definition in due:
            RestoreTestDefinition.objects.filter(pk=definition.pk).update(
                next_run_at=now + dt.timedelta(days=definition.interval_days))
    queued = 0
    for definition in due:
        definition = RestoreTestDefinition.objects.select_related(
            "copy__data_asset__node", "agent").get(pk=definition.pk)
        try:
            run_request(copy=definition.copy, definition=definition)
            queued += 1
        except ValidationError as exc:
            # Nothing can run (no password, revoked agent…): the run is failed at once, so that
            # the problem shows where the tests are read, instead of silence.
            run = RestoreTestRun.objects.create(
                copy=definition.copy, definition=definition, level=definition.level,
                scope=definition.scope, parameters={}, agent=None, status=RunState.RUNNING,
                started_at=now)
            run_fail(run, "internal", " ".join(exc.messages), now=now)
    return queued


# --- Functional validation (level 4) -----------------------------------------------------------


def signoff_rules(run: RestoreTestRun, user) -> list[str]:
    errors = []
    if run.status != RunState.PASSED or run.level < Level.RESTORE:
        errors.append(_("Only a passed restore (level 2 or 3) can be validated."))
    definition = run.definition
    if definition is None or definition.referent_id is None:
        errors.append(_("No business referent is named for this test."))
    elif definition.referent_id != user.pk:
        errors.append(_("Only the business referent named for this test (%(user)s) can "
                        "validate it.") % {"user": definition.referent})
    if Signoff.objects.filter(run=run).exists():
        errors.append(_("This test is already validated or refused."))
    return errors


@transaction.atomic
def signoff_record(*, run: RestoreTestRun, user, decision: str, comment: str = "") -> Signoff:
    """The referent's functional validation. A refusal is a failed restore of the copy: the "0"
    of 3-2-1-1-0 fails until a later restore test passes."""
    run = RestoreTestRun.objects.select_for_update(of=("self",)).select_related(
        "definition", "copy").get(pk=run.pk)
    errors = signoff_rules(run, user)
    if decision not in Decision.values:
        errors.append(_("Choose validated or refused."))
    if decision == Decision.REFUSED and not comment.strip():
        errors.append(_("Say what does not work."))
    if errors:
        raise ValidationError(errors)
    signoff = Signoff.objects.create(run=run, referent=user, decision=decision,
                                     comment=comment.strip())
    if decision == Decision.REFUSED:
        # Dated like the test it judges: a refusal of an old test does not hide later passes.
        Verification.objects.create(
            copy=run.copy, performed_at=run.finished_at, kind=VerificationKind.RESTORE,
            result=VerificationResult.FAILED, error_count=1,
            errors=[_("Functional validation refused by %(user)s: %(comment)s")
                    % {"user": user.get_username(), "comment": comment.strip()}],
            notes=_("Restore test %(run)s.") % {"run": run.uuid}, source=Source.RESTORE_TEST)
        _after_run(run, timezone.now())
    return signoff


# --- Agents -----------------------------------------------------------------------------------


@transaction.atomic
def agent_register(*, organization, name: str, description: str = "",
                   user=None) -> tuple[Agent, str]:
    """A new agent and its token (shown once, only its SHA-256 is kept)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the agent a name.")]})
    if Agent.objects.filter(organization=organization, name=name).exists():
        raise ValidationError({"name": [_("An agent with this name already exists.")]})
    raw = AGENT_TOKEN_PREFIX + pysecrets.token_urlsafe(32)
    agent = Agent.objects.create(organization=organization, name=name,
                                 description=description.strip(), token_hash=token_digest(raw),
                                 created_by=user)
    return agent, raw


@transaction.atomic
def agent_revoke(*, agent: Agent, user=None) -> Agent:
    """Revoke an agent: its token is refused from now on, its queued runs are cancelled and
    its definitions wait for another executor."""
    if agent.revoked_at is None:
        agent.revoked_at = timezone.now()
        agent.revoked_by = user
        agent.save()
        for run in RestoreTestRun.objects.filter(agent=agent, status=RunState.QUEUED):
            run_cancel(run, user=user)
    return agent


def agent_from_token(raw: str) -> Agent | None:
    """The active agent holding ``raw`` (None: unknown or revoked)."""
    if not raw or not raw.startswith(AGENT_TOKEN_PREFIX) or len(raw) > 200:
        return None
    return (Agent.objects.select_related("organization")
            .filter(token_hash=token_digest(raw), revoked_at__isnull=True).first())


def agent_seen(agent: Agent, *, version: str = "", now: dt.datetime | None = None) -> None:
    Agent.objects.filter(pk=agent.pk).update(last_seen_at=now or timezone.now(),
                                             last_version=version[:40])


def agent_claim(agent: Agent, *, now: dt.datetime | None = None) -> RestoreTestRun | None:
    """The oldest queued run assigned to ``agent``, now running (None: nothing to do)."""
    now = now or timezone.now()
    with transaction.atomic():
        run = (RestoreTestRun.objects.select_for_update(skip_locked=True)
               .filter(agent=agent, status=RunState.QUEUED, cancel_requested=False)
               .order_by("requested_at", "pk").first())
        if run is None:
            return None
        if not run_start(run, agent=agent, now=now):
            return None
    return RestoreTestRun.objects.select_related("copy__data_asset__node").get(pk=run.pk)


def agent_run(agent: Agent, run_uuid) -> RestoreTestRun | None:
    """A run of this agent (None: not found or someone else's)."""
    return (RestoreTestRun.objects.select_related("copy__data_asset__node")
            .filter(Q(uuid=run_uuid) & Q(agent=agent)).first())
