"""Pages that change one copy: its settings, its password, a verification entered as
evidence, and the "collect now" / "verify now" actions that queue an engine run."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_tasks.base import TaskResultStatus

from pcra.backups import services, tasks
from pcra.backups.forms import CopyForm, CopySecretForm, VerificationForm
from pcra.backups.models import RunStatus
from pcra.backups.views.common import (
    asset_url,
    copy_anchor,
    get_asset,
    get_copy,
    require_write,
)
from pcra.core.crud import apply_errors


@login_required
@require_http_methods(["GET", "POST"])
def copy_create(request: HttpRequest, uuid) -> HttpResponse:
    asset = get_asset(request, uuid)
    require_write(request.user, asset)
    form = CopyForm(request.POST or None, user=request.user, asset=asset)
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.copy_create(data_asset=asset, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Created: %(object)s.") % {"object": copy})
            if copy.is_driven:
                messages.info(request, _("Now store the repository password so that pcra "
                                         "can read it."))
                return redirect("backups:copy_secret", uuid=copy.uuid)
            return redirect(copy_anchor(copy))
    return render(request, "backups/copy_form.html", {
        "form": form, "asset": asset, "title": _("New copy of %(code)s") % {"code": asset.code},
        "cancel_url": asset_url(asset)})


@login_required
@require_http_methods(["GET", "POST"])
def copy_edit(request: HttpRequest, uuid) -> HttpResponse:
    copy = get_copy(request, uuid)
    asset = copy.data_asset
    require_write(request.user, asset)
    form = CopyForm(request.POST or None, user=request.user, asset=asset, copy=copy)
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.copy_update(copy=copy, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": copy})
            return redirect(copy_anchor(copy))
    return render(request, "backups/copy_form.html", {
        "form": form, "asset": asset, "copy": copy,
        "title": _("Edit %(object)s") % {"object": copy}, "cancel_url": copy_anchor(copy)})


@login_required
@require_http_methods(["GET", "POST"])
def copy_delete(request: HttpRequest, uuid) -> HttpResponse:
    copy = get_copy(request, uuid)
    asset = copy.data_asset
    require_write(request.user, asset)
    if request.method == "POST":
        services.copy_delete(copy=copy)
        messages.success(request, _("Deleted: %(object)s.") % {"object": copy})
        return redirect(asset_url(asset))
    points = copy.points.count()
    return render(request, "core/confirm_delete.html", {
        "object": copy, "errors": [], "cancel_url": copy_anchor(copy),
        "title": _("Delete %(object)s") % {"object": copy},
        "consequences": [_("Its %(n)s restore points, its verifications, collection history "
                           "and alerts will be deleted too (the audit log keeps its settings "
                           "and verifications).") % {"n": points}],
    })


@login_required
@require_http_methods(["GET", "POST"])
def copy_secret(request: HttpRequest, uuid) -> HttpResponse:
    """Store the repository password (encrypted at rest, never shown back)."""
    copy = get_copy(request, uuid)
    require_write(request.user, copy.data_asset)
    form = CopySecretForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.copy_set_secret(copy=copy, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Password stored for %(copy)s.") % {"copy": copy})
            return redirect(copy_anchor(copy))
    return render(request, "backups/form.html", {
        "form": form, "asset": copy.data_asset, "copy": copy,
        "title": _("Repository password of %(object)s") % {"object": copy},
        "intro": (_("A password is stored for this copy; a new one replaces it.")
                  if copy.has_secret else _("No password is stored for this copy yet.")),
        "submit": _("Store the password"), "cancel_url": copy_anchor(copy)})


def _enqueue(request: HttpRequest, uuid, *, verify: bool) -> HttpResponse:
    copy = get_copy(request, uuid)
    require_write(request.user, copy.data_asset)
    action = _("Verify now") if verify else _("Collect now")
    if not copy.is_driven:
        messages.error(request, _("pcra does not drive %(engine)s: its results come through "
                                  "the ingest or the workbook.")
                       % {"engine": copy.get_engine_display()})
        return redirect(copy_anchor(copy))
    if request.method == "POST":
        task = tasks.verify_copy_task if verify else tasks.collect_copy_task
        result = task.enqueue(copy.pk)
        if result.is_finished:
            run = copy.runs.order_by("-started_at", "-pk").first()
            if result.status == TaskResultStatus.FAILED or (
                    run is not None and run.status == RunStatus.FAILED):
                error = (run.error if run is not None and run.error
                         else _("unexpected error, see the server log"))
                messages.error(request, _("%(action)s on %(copy)s failed: %(error)s")
                               % {"action": action, "copy": copy.name, "error": error})
            else:
                messages.success(request, _("%(action)s on %(copy)s: done.")
                                 % {"action": action, "copy": copy.name})
        else:
            messages.success(request, _("%(action)s on %(copy)s: queued; the result appears "
                                        "here once the worker has run it.")
                             % {"action": action, "copy": copy.name})
        return redirect(copy_anchor(copy))
    text = (_("Read the next slice of the data of %(copy)s now and record the verification?")
            if verify else _("Read the restore points of %(copy)s from its repository now?"))
    return render(request, "backups/confirm.html", {
        "title": action, "object": copy, "text": text % {"copy": copy},
        "submit": action, "cancel_url": copy_anchor(copy)})


@login_required
@require_http_methods(["GET", "POST"])
def copy_collect(request: HttpRequest, uuid) -> HttpResponse:
    return _enqueue(request, uuid, verify=False)


@login_required
@require_http_methods(["GET", "POST"])
def copy_verify(request: HttpRequest, uuid) -> HttpResponse:
    return _enqueue(request, uuid, verify=True)


@login_required
@require_http_methods(["GET", "POST"])
def verification_create(request: HttpRequest, uuid) -> HttpResponse:
    """A verification done outside pcra, entered as evidence."""
    copy = get_copy(request, uuid)
    require_write(request.user, copy.data_asset)
    form = VerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.verification_record(
                copy=copy, performed_at=data["performed_at"], kind=data["kind"],
                result=data["result"], error_count=data["error_count"],
                duration_seconds=data["duration_seconds"], notes=data["notes"] or "")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Verification recorded for %(copy)s.") % {"copy": copy})
            return redirect(copy_anchor(copy))
    return render(request, "backups/form.html", {
        "form": form, "asset": copy.data_asset, "copy": copy,
        "title": _("Record a verification of %(object)s") % {"object": copy},
        "intro": _("An integrity check or a restore test done outside pcra, as evidence. A "
                   "successful backup job is not a verification."),
        "submit": _("Record"), "cancel_url": copy_anchor(copy)})
