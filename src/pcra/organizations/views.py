"""Pages of the organizations: GHT, legal entities (EJ) and establishments (ET).

A user sees the organizations covered by a membership. Who may create, change, move and
delete them is :func:`pcra.organizations.services.organization_change_denied` (the same rule
as the workbook import): the administrator role on the parent to create or delete one (a
superuser for a top organization), on the organization to change it, on the old and the new
parent to move it. Its administrators also see and manage its members (``accounts`` pages).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import Access, access_for
from pcra.accounts.selectors import organization_members
from pcra.core.crud import (
    Column,
    apply_errors,
    attr,
    badge,
    bound_columns,
    number,
    paginate,
    render_list,
)
from pcra.inventory.models import ComponentKind, NodeType
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations import services
from pcra.organizations.forms import (
    OrganizationFilterForm,
    OrganizationForm,
    admin_parent_queryset,
)
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organizations_visible_to


def _detail_url(org: Organization) -> str:
    return reverse("organizations:detail", kwargs={"uuid": org.uuid})


def _parent(org: Organization) -> Any:
    if org.parent is None:
        return None
    return format_html('<span title="{}">{}</span>', org.parent.name, org.parent.code)


COLUMNS = (
    Column("code", gettext_lazy("Code"),
           lambda o: format_html('<a href="{}" class="code">{}</a>', _detail_url(o), o.code),
           "nowrap"),
    Column("name", gettext_lazy("Name"), attr("name"), "wide"),
    Column("kind", gettext_lazy("Type"), badge("kind", "org")),
    Column("finess", gettext_lazy("FINESS"), attr("finess"), "nowrap mono"),
    Column("parent", gettext_lazy("Parent"), _parent, "nowrap"),
    Column("activity_weight", gettext_lazy("Activity weight"), number("activity_weight"),
           "num"),
    Column("n_nodes", gettext_lazy("Nodes"), attr("n_nodes"), "num"),
)


def _denied(access: Access, action: str, org: Organization, **kwargs) -> bool:
    return services.organization_change_denied(access=access, action=action, organization=org,
                                               **kwargs) is not None


def can_create_organization(user) -> bool:
    """A superuser, or an administrator of a GHT or an EJ (a possible parent)."""
    return access_for(user).is_superuser or admin_parent_queryset(user).exists()


@login_required
@require_safe
def organization_list(request: HttpRequest) -> HttpResponse:
    filters = OrganizationFilterForm(request.GET or None)
    qs = organizations_visible_to(user=request.user).annotate(n_nodes=Count("nodes"))
    page = paginate(request, filters.filter(qs).order_by("code"))
    context = {
        "filters": filters, "page": page, "columns": COLUMNS,
        "rows": bound_columns(COLUMNS, page.object_list),
        "can_create": can_create_organization(request.user),
        "searching": bool(request.GET),
    }
    return render_list(request, "organizations/organization_list.html",
                       "organizations/_organization_results.html", context)


@login_required
@require_safe
def organization_detail(request: HttpRequest, uuid) -> HttpResponse:
    visible = organizations_visible_to(user=request.user)
    org = get_object_or_404(visible, uuid=uuid)
    access = access_for(request.user)
    children = list(visible.filter(parent=org).order_by("code"))
    counts = {(t, k == ComponentKind.SUPPLIER): n for t, k, n in
              nodes_visible_to(user=request.user).filter(organization=org).order_by()
              .values_list("node_type", "component_kind").annotate(n=Count("id"))}
    totals = {
        "activity": counts.get((NodeType.ACTIVITY, False), 0),
        "application": counts.get((NodeType.APPLICATION, False), 0),
        "component": counts.get((NodeType.COMPONENT, False), 0)
        + counts.get((NodeType.COMPONENT, True), 0),
        "supplier": counts.get((NodeType.COMPONENT, True), 0),
    }
    return render(request, "organizations/organization_detail.html", {
        "org": org, "children": children, "totals": totals,
        "members": organization_members(user=request.user, organization=org),
        "can_edit": not _denied(access, services.CHANGE, org),
        "can_delete": not _denied(access, services.DELETE, org),
        "can_add_child": org.kind != "ET" and not _denied(
            access, services.CREATE, Organization(code="", kind=""), parent=org),
    })


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    if not can_create_organization(request.user):
        raise PermissionDenied
    initial = {}
    if parent_uuid := request.GET.get("parent"):
        initial["parent"] = parent_uuid
        initial["kind"] = request.GET.get("kind", "")
    form = OrganizationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(access=access_for(request.user),
                                               **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("parent", str(exc))
        else:
            messages.success(request, _("Created: %(object)s.") % {"object": org})
            return redirect(_detail_url(org))
    return render(request, "organizations/organization_form.html", {
        "form": form, "title": _("New organization"),
        "cancel_url": reverse("organizations:list"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, uuid) -> HttpResponse:
    org = get_object_or_404(organizations_visible_to(user=request.user), uuid=uuid)
    access = access_for(request.user)
    if _denied(access, services.CHANGE, org):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, user=request.user, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(organization=org, access=access,
                                         **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("parent", str(exc))  # a move the user may not make
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": org})
            return redirect(_detail_url(org))
    if form.is_bound:
        org.refresh_from_db()  # nothing was saved: the page shows the stored values
    return render(request, "organizations/organization_form.html", {
        "form": form, "org": org, "title": _("Edit %(object)s") % {"object": org.code},
        "cancel_url": _detail_url(org),
    })


@login_required
@require_http_methods(["GET", "POST"])
def organization_delete(request: HttpRequest, uuid) -> HttpResponse:
    org = get_object_or_404(organizations_visible_to(user=request.user), uuid=uuid)
    access = access_for(request.user)
    if _denied(access, services.DELETE, org):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.organization_delete(organization=org, access=access)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("Deleted: %(object)s.") % {"object": org})
            return redirect("organizations:list")
    return render(request, "core/confirm_delete.html", {
        "object": org, "errors": errors, "cancel_url": _detail_url(org),
        "title": _("Delete %(object)s") % {"object": org.code},
        "blockers": [(str(c), _detail_url(c)) for c in org.children.order_by("code")],
        "blockers_text": _("These organizations belong to it; move or delete them first:"),
    })
