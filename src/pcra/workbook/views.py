"""Workbook pages: upload → preview (a dry run) → confirm; export; empty template."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pcra.accounts.access import access_for
from pcra.organizations.selectors import tops_visible_to
from pcra.workbook import services
from pcra.workbook.forms import ImportForm

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: rows of changes shown per sheet on the preview
PREVIEW_ROWS = 20


def _require_writer(request: HttpRequest) -> None:
    if not access_for(request.user).can_write_anything:
        raise PermissionDenied(_("You have no editor or administrator role."))


def _upload(request: HttpRequest, token: str):
    try:
        return services.upload_get(user=request.user, token=token)
    except services.UploadNotFound as exc:
        raise Http404(_("This upload does not exist or has expired.")) from exc


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    tops = list(tops_visible_to(user=request.user))
    form = ImportForm(request.POST or None, request.FILES or None, tops=tops)
    if request.method == "POST" and form.is_valid():
        token = services.upload_store(user=request.user, uploaded=form.cleaned_data["file"],
                                      ght_code=form.cleaned_data.get("ght") or None)
        return redirect(f"{reverse('workbook:import_preview')}?token={token}")
    return render(request, "workbook/import.html", {"form": form})


def _render_report(request: HttpRequest, token: str, meta: dict, report, *,
                   status: int = 200) -> HttpResponse:
    sheets = [{"report": s, "changes": s.changes[:PREVIEW_ROWS],
               "more": max(0, s.created + s.updated - PREVIEW_ROWS)} for s in report.sheets]
    return render(request, "workbook/preview.html", {
        "token": token, "name": meta.get("name", ""), "report": report, "sheets": sheets,
        "totals": report.totals()}, status=status)


@login_required
@require_GET
def import_preview(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    token = request.GET.get("token", "")
    if not token:  # nothing to preview: the upload form
        tops = list(tops_visible_to(user=request.user))
        return render(request, "workbook/import.html", {"form": ImportForm(tops=tops)})
    path, meta = _upload(request, token)
    report = services.workbook_import(path=path, ght_code=meta.get("ght") or None,
                                      user=request.user, dry_run=True,
                                      display_name=meta.get("name"))
    return _render_report(request, token, meta, report)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    token = request.POST.get("token", "")
    path, meta = _upload(request, token)
    report = services.workbook_import(path=path, ght_code=meta.get("ght") or None,
                                      user=request.user, dry_run=False,
                                      display_name=meta.get("name"))
    if not report.ok:  # something changed since the preview: show why, write nothing
        return _render_report(request, token, meta, report, status=409)
    services.upload_discard(token=token)
    totals = report.totals()
    messages.success(request, _("%(name)s imported into %(ght)s: %(created)d created, "
                                "%(updated)d updated, %(unchanged)d unchanged.")
                     % {"name": meta.get("name", ""), "ght": report.ght, **totals})
    return redirect("workbook:import")


def _filename(code: str, kind: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", code).strip("_") or "ght"
    return f"pcra-{kind}-{safe}-{timezone.localdate().isoformat()}.xlsx"


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    tops = sorted(tops_visible_to(user=request.user), key=lambda t: t.code)
    code = request.GET.get("ght")
    if code:
        ght = next((t for t in tops if t.code == code), None)
        if ght is None:
            raise Http404(_("No GHT with this code."))
    elif len(tops) == 1:
        ght = tops[0]
    elif not tops:
        raise Http404(_("You have no GHT to export."))
    else:
        return render(request, "workbook/export_choose.html", {"tops": tops})
    data = services.workbook_export_bytes(ght=ght, user=request.user)
    return _xlsx_response(data, _filename(ght.code, "export"))


@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    return _xlsx_response(services.workbook_template(), "pcra-template.xlsx")
