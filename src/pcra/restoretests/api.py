"""The agent protocol (``/api/agent/v1/``, docs/agent.md): JSON over HTTPS, called by
``pcra agent`` from a backup zone. The agent polls; the server never calls it.

Every request carries the agent's bearer token (``Authorization: Bearer <token>``); a missing,
unknown or revoked token gets 401 and nothing else. Every answer is JSON, and none is cached:
the claim answer holds the repository password, which is sent there and nowhere else (never
logged, never stored in clear).

* ``POST claim/`` ``{"version": "..."}`` → ``{"run": null | {...}, "poll_seconds": N}``
* ``POST runs/<uuid>/progress/`` a progress → ``{"cancel": bool}`` (409: the run is over)
* ``POST runs/<uuid>/result/`` the runner's result → ``{"status": ..., "report_sha256": ...}``
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from pcra.core.actor import Actor, acting_as
from pcra.restoretests import services
from pcra.restoretests.models import Agent, RestoreTestRun, RunState

logger = logging.getLogger(__name__)

#: request bodies above these sizes are refused (413) before being parsed
SMALL_BODY_BYTES = 16 * 1024
RESULT_BODY_BYTES = 2 * 1024 * 1024
#: how long an idle agent waits before its next claim (the agent may poll less often)
DEFAULT_POLL_SECONDS = 30


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _error(message: str, status: int) -> JsonResponse:
    return _json({"error": message}, status=status)


def _unauthorized() -> JsonResponse:
    response = _json({"error": "unauthorized"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="pcra"'
    return response


def _bearer(request: HttpRequest) -> str:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _body(request: HttpRequest, limit: int) -> dict:
    """The JSON object in the request body (BadRequest: too large, not JSON, not an object)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BadRequest(f"the request body is too large (at most {limit} bytes)", 413)
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise BadRequest(f"the request body is too large (at most {limit} bytes)", 413) from exc
    if len(raw) > limit:
        raise BadRequest(f"the request body is too large (at most {limit} bytes)", 413)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the request body is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def agent_endpoint(view: Callable) -> Callable:
    """POST only (405 otherwise), bearer token (401), JSON errors, and the agent as the actor
    of what the request writes in the audit log."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        if request.method != "POST":
            response = _error("method not allowed: use POST", 405)
            response["Allow"] = "POST"
            return response
        agent = services.agent_from_token(_bearer(request))
        if agent is None:
            return _unauthorized()
        try:
            with acting_as(Actor(user_id=None, label=f"agent:{agent.name}"[:200])):
                return view(request, agent, *args, **kwargs)
        except BadRequest as exc:
            return _error(str(exc), exc.status)

    return wrapper


def _agent_run(agent: Agent, run_id: str) -> RestoreTestRun:
    try:
        key = uuid.UUID(run_id)
    except ValueError as exc:
        raise BadRequest("no such run", 404) from exc
    run = services.agent_run(agent, key)
    if run is None:
        raise BadRequest("no such run", 404)
    return run


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    return _error("no such endpoint of the agent API", 404)


@agent_endpoint
def claim(request: HttpRequest, agent: Agent) -> JsonResponse:
    body = _body(request, SMALL_BODY_BYTES)
    version = body.get("version", "")
    if not isinstance(version, str):
        raise BadRequest("version must be a string")
    services.agent_seen(agent, version=version)
    poll = int(getattr(settings, "PCRA_AGENT_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    while True:
        run = services.agent_claim(agent)
        if run is None:
            return _json({"run": None, "poll_seconds": poll})
        try:
            spec = services.run_spec_fields(run)
        except Exception as exc:  # no key file, undecryptable secret: this run cannot start
            logger.warning("restore test %s cannot be handed to agent %s: %s", run.uuid,
                           agent.name, type(exc).__name__)
            services.run_fail(run, "internal", str(exc))
            continue
        node = run.copy.data_asset.node
        return _json({
            "run": {"id": str(run.uuid), "label": f"{node.code} / {run.copy.name}",
                    "spec": spec, "lease_seconds": settings.PCRA_RESTORE_LEASE_SECONDS},
            "poll_seconds": poll,
        })


@agent_endpoint
def progress(request: HttpRequest, agent: Agent, run_id: str) -> JsonResponse:
    run = _agent_run(agent, run_id)
    body = _body(request, SMALL_BODY_BYTES)
    if run.status != RunState.RUNNING:
        return _json({"error": f"the run is {run.status}: stop the test", "status": run.status,
                      "cancel": True}, status=409)
    try:
        cancel = services.run_progress(run, body)
    except ValueError as exc:
        raise BadRequest(f"bad progress: {exc}") from exc
    return _json({"cancel": cancel})


@agent_endpoint
def result(request: HttpRequest, agent: Agent, run_id: str) -> JsonResponse:
    """Record the result. A result that cannot be read fails the run (``bad_result``), it is
    never a pass. Sending the result of a run that has already ended (a retry after a lost
    answer, or a run failed meanwhile) changes nothing and answers its recorded outcome."""
    run = _agent_run(agent, run_id)
    body = _body(request, RESULT_BODY_BYTES)
    if run.status == RunState.QUEUED:
        return _json({"error": "the run was not claimed", "status": run.status}, status=409)
    accepted = run.status == RunState.RUNNING
    run = services.run_finish(run, body)
    return _json({"status": run.status, "error_code": run.error_code,
                  "report_sha256": run.report_sha256, "accepted": accepted})
