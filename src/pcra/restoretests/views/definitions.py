"""Restore-test definitions of a copy: create (from a copy), read, edit, delete, run now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.backups.models import DRIVEN_ENGINES, BackupCopy
from pcra.backups.selectors import copies_visible_to
from pcra.core.crud import apply_errors
from pcra.inventory.models import NodeType
from pcra.inventory.selectors import adjacency, nodes_visible_to
from pcra.restoretests import services
from pcra.restoretests.forms import DefinitionForm
from pcra.restoretests.models import RestoreTestDefinition
from pcra.restoretests.views.common import (
    RunView,
    can_write_copy,
    copy_anchor,
    definition_url,
    get_copy,
    get_definition,
    level_short,
    require_write,
    seconds_text,
)
from pcra.restoretests.views.runs import run_requested


def activity_owners(copy: BackupCopy, user) -> list[tuple[str, str, str]]:
    """(code, name, business referent) of the activities, visible to ``user``, that depend on
    the copy's application or component through some path: who can tell whether the restored
    application works."""
    node = copy.data_asset.node
    parents: dict[int, list[int]] = {}
    for source, targets in adjacency(top_id=node.top_id).items():
        for target in targets:
            parents.setdefault(target, []).append(source)
    seen, stack = set(), [node.pk]
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    activities = (nodes_visible_to(user=user, node_type=NodeType.ACTIVITY)
                  .filter(pk__in=seen).order_by("code"))
    return [(a.code, a.name, a.owner) for a in activities]


def _form_page(request: HttpRequest, form: DefinitionForm, copy: BackupCopy, *, title: str,
               cancel_url: str, definition: RestoreTestDefinition | None = None) -> HttpResponse:
    return render(request, "restoretests/definition_form.html", {
        "form": form, "copy": copy, "asset": copy.data_asset, "definition": definition,
        "title": title, "cancel_url": cancel_url, "copy_errors": services.copy_rules(copy),
        "owners": activity_owners(copy, request.user)})


def _copies_to_test(user) -> list[BackupCopy]:
    """The restic and Borg copies ``user`` may define restore tests on."""
    access = access_for(user)
    copies = (copies_visible_to(user=user).filter(engine__in=DRIVEN_ENGINES)
              .select_related("data_asset__node__top")
              .order_by("data_asset__node__code", "name"))
    return [c for c in copies if access.can_write(c.data_asset.node.organization_id,
                                                  top_id=c.data_asset.node.top_id)]


@login_required
@require_http_methods(["GET", "POST"])
def definition_create(request: HttpRequest) -> HttpResponse:
    """A new definition on the copy given by ``?copy=<uuid>``; without it, the copies the user
    may test, to choose from."""
    uuid = request.GET.get("copy") or request.POST.get("copy") or ""
    if not uuid:
        if not access_for(request.user).can_write_anything:
            raise PermissionDenied
        return render(request, "restoretests/copy_choose.html", {
            "copies": _copies_to_test(request.user)})
    try:
        copy = get_copy(request, uuid)
    except ValidationError:  # not a UUID
        raise Http404 from None
    require_write(request.user, copy)
    form = DefinitionForm(request.POST or None, user=request.user, copy=copy)
    if request.method == "POST" and form.is_valid():
        try:
            definition = services.definition_create(copy=copy, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Created: %(object)s.") % {"object": definition.name})
            return redirect(definition_url(definition))
    return _form_page(request, form, copy,
                      title=_("New restore test of %(copy)s") % {"copy": copy},
                      cancel_url=copy_anchor(copy))


@login_required
@require_safe
def definition_detail(request: HttpRequest, uuid) -> HttpResponse:
    definition = get_definition(request, uuid)
    copy = definition.copy
    runs = [RunView(r) for r in definition.runs.select_related("agent", "signoff")
            .order_by("-requested_at", "-pk")[:20]]
    return render(request, "restoretests/definition_detail.html", {
        "definition": definition, "copy": copy, "asset": copy.data_asset, "runs": runs,
        "level_short": level_short(definition.level),
        "timeout": seconds_text(definition.timeout_seconds),
        "probe_timeout": seconds_text(definition.probe_timeout_seconds),
        "can_write": can_write_copy(request.user, copy),
        "copy_errors": services.copy_rules(copy), "total_runs": definition.runs.count()})


@login_required
@require_http_methods(["GET", "POST"])
def definition_edit(request: HttpRequest, uuid) -> HttpResponse:
    definition = get_definition(request, uuid)
    copy = definition.copy
    require_write(request.user, copy)
    form = DefinitionForm(request.POST or None, user=request.user, copy=copy,
                          definition=definition)
    if request.method == "POST" and form.is_valid():
        try:
            definition = services.definition_update(definition=definition,
                                                    **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": definition.name})
            return redirect(definition_url(definition))
    return _form_page(request, form, copy, definition=definition,
                      title=_("Edit %(object)s") % {"object": definition.name},
                      cancel_url=definition_url(definition))


@login_required
@require_http_methods(["GET", "POST"])
def definition_delete(request: HttpRequest, uuid) -> HttpResponse:
    definition = get_definition(request, uuid)
    copy = definition.copy
    require_write(request.user, copy)
    if request.method == "POST":
        services.definition_delete(definition=definition)
        messages.success(request, _("Deleted: %(object)s.") % {"object": definition.name})
        return redirect(copy_anchor(copy))
    n_runs = definition.runs.count()
    return render(request, "core/confirm_delete.html", {
        "object": definition, "errors": [], "cancel_url": definition_url(definition),
        "title": _("Delete the restore test %(object)s") % {"object": definition.name},
        "consequences": [_("Its %(n)s runs stay as evidence; they lose their link to this "
                           "definition.") % {"n": n_runs}] if n_runs else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def definition_run(request: HttpRequest, uuid) -> HttpResponse:
    """Run now: queue a run of the definition (POST; GET asks for confirmation)."""
    definition = get_definition(request, uuid)
    copy = definition.copy
    require_write(request.user, copy)
    if request.method == "POST":
        try:
            run = services.run_request(copy=copy, definition=definition, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(definition_url(definition))
        return run_requested(request, run)
    return render(request, "restoretests/confirm.html", {
        "title": _("Run now"), "object": f"{copy.data_asset.code} · {copy.name} · "
                                          f"{definition.name}",
        "lines": [_("Queue a %(level)s test of %(copy)s now?")
                  % {"level": definition.get_level_display(), "copy": copy}],
        "submit": _("Run now"), "cancel_url": definition_url(definition),
        "asset": copy.data_asset})

