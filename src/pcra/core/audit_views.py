"""The audit-log pages (DESIGN §5): list, detail with the before/after diff, chain verification.

Readers are users holding an audit role (auditor or admin) somewhere; each sees the entries of
the organizations on which they hold that role (the role covers the organizations below), a
superuser sees every entry. Verifying the chain is for administrators: it reads the whole log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.accounts.models import AUDIT_ROLES
from pcra.core.audit import verify_chain
from pcra.core.models import AuditAction, AuditEntry


def audit_entries_visible_to(*, user) -> QuerySet[AuditEntry]:
    """Entries of the organizations where ``user`` holds an audit role; 403 when none."""
    access = access_for(user)
    if access.is_superuser:
        return AuditEntry.objects.all()
    organizations = [org for org, role in access.roles.items() if role in AUDIT_ROLES]
    if not organizations:
        raise PermissionDenied
    return AuditEntry.objects.filter(organization_id__in=organizations)


def _can_verify(user) -> bool:
    """The chain spans every tenant of the instance: only a superuser verifies it from the web
    (anyone with shell access runs `pcra verify_audit`)."""
    return access_for(user).is_superuser


def model_label(label: str) -> str:
    """``inventory.node`` -> the model's verbose name ("node"), or the label itself."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Object type"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("Any action")), *AuditAction.choices])
    actor = forms.CharField(label=_("Actor"), required=False, max_length=200)
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, models=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("Any type"))] + sorted(
            ((label, model_label(label)) for label in models), key=lambda c: str(c[1]))

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.cleaned_data
        if data["model"]:
            entries = entries.filter(model=data["model"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["actor"]:
            entries = entries.filter(actor_label__icontains=data["actor"].strip())
        if data["date_from"]:
            entries = entries.filter(timestamp__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(timestamp__date__lte=data["date_to"])
        return entries


@login_required
@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = audit_entries_visible_to(user=request.user)
    models = entries.order_by("model").values_list("model", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, models=list(models))
    if form.is_valid():
        entries = form.apply(entries)
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries.order_by("-id"), settings.PCRA_PAGE_SIZE).get_page(
        request.GET.get("page"))
    for entry in page.object_list:
        entry.model_label = model_label(entry.model)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit/list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_verify": _can_verify(request.user)})


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    before: str
    after: str
    changed: bool


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_rows(entry: AuditEntry) -> list[DiffRow]:
    """One row per field of the object before and after the change: the changed fields first,
    each part in the model's field order."""
    payload = entry.payload
    before, after = payload.get("before") or {}, payload.get("after") or {}
    try:
        fields = {f.attname: f for f in apps.get_model(entry.model)._meta.concrete_fields}
    except (LookupError, ValueError):
        fields = {}
    position = {name: i for i, name in enumerate(fields)}
    rows = []
    for name in sorted(set(before) | set(after), key=lambda n: (position.get(n, len(position)), n)):
        field = fields.get(name)
        label = str(field.verbose_name) if field is not None else name
        old, new = before.get(name), after.get(name)
        changed = (name in before) != (name in after) or old != new
        rows.append(DiffRow(name, label, _shown(old) if name in before else "",
                            _shown(new) if name in after else "", changed))
    rows.sort(key=lambda row: not row.changed)  # stable: model order inside each part
    return rows


@login_required
@require_safe
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(audit_entries_visible_to(user=request.user), pk=pk)
    entry.model_label = model_label(entry.model)
    return render(request, "core/audit/detail.html", {
        "entry": entry, "rows": diff_rows(entry), "can_verify": _can_verify(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def audit_verify(request: HttpRequest) -> HttpResponse:
    if not _can_verify(request.user):
        raise PermissionDenied
    result = verify_chain() if request.method == "POST" else None
    return render(request, "core/audit/verify.html", {"result": result})
