"""One restore test run: request (ad hoc on a copy), the page with its live progress and
results, cancellation, the evidence (JSON exactly as stored, and the PDF report) and the
business referent's functional validation."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.backups.engines.base import display_repository
from pcra.core.crud import apply_errors
from pcra.restoretests import services
from pcra.restoretests.forms import RunForm, SignoffForm
from pcra.restoretests.models import RestoreTestRun, RunState
from pcra.restoretests.views.common import (
    RunView,
    can_write_copy,
    copy_anchor,
    get_copy,
    get_run,
    overall_fraction,
    percent_of,
    phase_label,
    progress_text,
    require_write,
    run_note,
    run_url,
    seconds_text,
    signoff_of,
    step_label,
)


def run_requested(request: HttpRequest, run: RestoreTestRun) -> HttpResponse:
    """After a run was requested: say where it stands and show its page (the worker may have
    run it already, as in the tests where jobs run inline)."""
    run.refresh_from_db()
    if run.status == RunState.PASSED:
        messages.success(request, _("Restore test passed."))
    elif run.status == RunState.FAILED:
        messages.error(request, _("Restore test failed: see its errors below."))
    elif run.agent_id:
        messages.success(request, _("Restore test queued: the agent %(name)s runs it when it "
                                    "next calls pcra.") % {"name": run.agent.name})
    else:
        messages.success(request, _("Restore test queued: its progress shows here."))
    return redirect(run_url(run))


@login_required
@require_http_methods(["GET", "POST"])
def copy_run(request: HttpRequest, uuid) -> HttpResponse:
    """An ad-hoc test of a copy, at the level chosen."""
    copy = get_copy(request, uuid)
    require_write(request.user, copy)
    form = RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.run_request(copy=copy, level=form.cleaned_data["level"],
                                       user=request.user, **form.overrides())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return run_requested(request, run)
    return render(request, "restoretests/run_form.html", {
        "form": form, "copy": copy, "asset": copy.data_asset,
        "copy_errors": services.copy_rules(copy),
        "title": _("Run a restore test of %(copy)s") % {"copy": copy},
        "cancel_url": copy_anchor(copy)})


def _report(run: RestoreTestRun) -> dict:
    if not run.report_json:
        return {}
    try:
        return json.loads(run.report_json)
    except ValueError:  # pragma: no cover - written by run_finish, always JSON
        return {}


def detail_context(request: HttpRequest, run: RestoreTestRun, *,
                   signoff_form: SignoffForm | None = None) -> dict:
    copy = run.copy
    report = _report(run)
    steps = [{**step, "label": step_label(step.get("name", "")),
              "duration": seconds_text(step.get("duration_seconds"))}
             for step in report.get("steps", [])]
    probe = report.get("probe")
    if probe:
        probe = {**probe, "duration": seconds_text(probe.get("duration_seconds"))}
    can_write = can_write_copy(request.user, copy)
    definition = run.definition
    may_sign = not services.signoff_rules(run, request.user)
    if may_sign and signoff_form is None:
        signoff_form = SignoffForm()
    return {
        "run": RunView(run), "copy": copy, "asset": copy.data_asset, "node": copy.data_asset.node,
        "definition": definition, "repository": display_repository(copy.repository).strip("'"),
        "parameters": run.parameters or {}, "steps": steps, "probe": probe,
        "engine_version": report.get("engine_version", ""),
        "sandbox_removed": report.get("sandbox_removed"),
        "signoff": signoff_of(run), "signoff_form": signoff_form if may_sign else None,
        "can_write": can_write,
        "can_cancel": can_write and not run.is_finished and not run.cancel_requested,
        "live": not run.is_finished,
    }


@login_required
@require_safe
def run_detail(request: HttpRequest, uuid) -> HttpResponse:
    run = get_run(request, uuid)
    return render(request, "restoretests/run_detail.html", detail_context(request, run))


@login_required
@require_safe
def run_progress(request: HttpRequest, uuid) -> JsonResponse:
    """The live state of a run, polled by its page every second while it is not finished."""
    run = get_run(request, uuid)
    fraction = overall_fraction(run)
    response = JsonResponse({
        "run": str(run.uuid), "status": run.status, "status_label": run.get_status_display(),
        "finished": run.is_finished, "cancel_requested": run.cancel_requested,
        "phase": run.phase, "phase_label": phase_label(run.phase),
        "bytes_done": run.bytes_done, "bytes_total": run.bytes_total,
        "files_done": run.files_done, "files_total": run.files_total,
        "fraction": fraction, "percent": percent_of(fraction),
        "text": progress_text(run), "note": run_note(run),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    })
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def run_cancel(request: HttpRequest, uuid) -> HttpResponse:
    run = get_run(request, uuid)
    require_write(request.user, run.copy)
    if run.is_finished:
        if request.method == "POST":
            messages.info(request, _("This test is already finished."))
            return redirect(run_url(run))
        return render(request, "restoretests/confirm.html", {
            "title": _("Cancel the restore test"), "object": run,
            "lines": [_("This test is already finished.")], "submit": None,
            "cancel_label": _("Back"), "cancel_url": run_url(run),
            "asset": run.copy.data_asset})
    if request.method == "POST":
        run = services.run_cancel(run, user=request.user)
        if run.status == RunState.CANCELLED:
            messages.success(request, _("Restore test cancelled."))
        else:
            messages.success(request, _("Cancellation requested: the test stops and removes "
                                        "its sandbox."))
        return redirect(run_url(run))
    return render(request, "restoretests/confirm.html", {
        "title": _("Cancel the restore test"), "object": run,
        "lines": [_("The engine is stopped and the restored data removed; the test is "
                    "recorded as cancelled.")],
        "submit": _("Cancel the test"), "cancel_label": _("Back"), "danger": True,
        "cancel_url": run_url(run), "asset": run.copy.data_asset})


def _filename(run: RestoreTestRun, extension: str) -> str:
    code = "".join(c if c.isalnum() or c in "-_" else "-" for c in run.copy.data_asset.node.code)
    moment = run.finished_at or run.requested_at
    return f"restore-test-{code}-{moment:%Y%m%d-%H%M}-{str(run.uuid)[:8]}.{extension}"


@login_required
@require_safe
def run_evidence(request: HttpRequest, uuid) -> HttpResponse:
    """The evidence record exactly as stored (its SHA-256 is on the run's page and report)."""
    run = get_run(request, uuid)
    if not run.report_json:
        raise Http404(_("No evidence yet: the test is not finished."))
    response = HttpResponse(run.report_json.encode("utf-8"),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(run, "json")}"'
    response["X-Evidence-SHA256"] = run.report_sha256
    return response


@login_required
@require_safe
def run_report(request: HttpRequest, uuid) -> HttpResponse:
    """The A4 PDF report of a finished run."""
    from pcra.restoretests.report import run_report_pdf

    run = get_run(request, uuid)
    if not run.is_finished:
        raise Http404(_("No report yet: the test is not finished."))
    pdf = run_report_pdf(run=run, context=detail_context(request, run),
                         base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(run, "pdf")}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def run_signoff(request: HttpRequest, uuid) -> HttpResponse:
    """The business referent validates (or refuses) the restored application (POST; GET shows
    the run's page, where the form is for the referent)."""
    run = get_run(request, uuid)
    if request.method == "GET":
        return render(request, "restoretests/run_detail.html", detail_context(request, run))
    definition = run.definition
    if definition is None or definition.referent_id != request.user.pk:
        raise PermissionDenied
    form = SignoffForm(request.POST)
    if form.is_valid():
        try:
            services.signoff_record(run=run, user=request.user,
                                    decision=form.cleaned_data["decision"],
                                    comment=form.cleaned_data["comment"] or "")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your decision is recorded."))
        return redirect(run_url(run) + "#signoff")
    return render(request, "restoretests/run_detail.html",
                  detail_context(request, run, signoff_form=form), status=200)
