"""Pages of the inventory: activities, applications, components, suppliers and dependencies.

The four node pages share one set of views, described by a :class:`NodeKind` each (which
columns, filters and form fields). Every queryset comes from a selector scoped by the user:
an object outside it is a 404; a user who may read but not change it gets a 403 on writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_safe

from pcra.accounts.access import access_for
from pcra.core.crud import (
    Column,
    apply_errors,
    attr,
    badge,
    bound_columns,
    hours,
    optional_url,
    paginate,
    render_list,
    safe_next,
)
from pcra.inventory import services
from pcra.inventory.forms import DependencyFilterForm, DependencyForm, NodeFilterForm, NodeForm
from pcra.inventory.models import ComponentKind, Dependency, Node, NodeType
from pcra.inventory.selectors import dependencies_visible_to, nodes_visible_to
from pcra.organizations.selectors import organizations_visible_to

# --- Node kinds ----------------------------------------------------------------------------------


def kind_of(node: Node) -> str:
    """The page family of a node: a component of type supplier is shown as a supplier."""
    if node.node_type == NodeType.COMPONENT and node.component_kind == ComponentKind.SUPPLIER:
        return "supplier"
    return node.node_type


def node_url(node: Node, action: str = "detail") -> str:
    return reverse(f"inventory:{kind_of(node)}_{action}", kwargs={"uuid": node.uuid})


def _code_link(node: Node) -> Any:
    return format_html('<a href="{}" class="code">{}</a>', node_url(node), node.code)


def _establishment(node: Node) -> Any:
    if node.organization_id is None:
        return format_html('<span class="badge shared" title="{}">{}</span>',
                           node.top.name, _("Shared · %(top)s") % {"top": node.top.code})
    return format_html('<span title="{}">{}</span>', node.organization.name,
                       node.organization.code)


def _count(name: str) -> Any:
    def render(node: Node) -> Any:
        value = getattr(node, name, 0)
        return value if value else format_html('<span class="muted">{}</span>', 0)
    return render


CODE = Column("code", gettext_lazy("Code"), _code_link, "nowrap")
NAME = Column("name", gettext_lazy("Name"), attr("name"), "wide")
ESTABLISHMENT = Column("organization", gettext_lazy("Establishment"), _establishment, "nowrap")
N_DEPS = Column("n_dependencies", gettext_lazy("Depends on"), _count("n_dependencies"), "num")
N_DEPENDENTS = Column("n_dependents", gettext_lazy("Needed by"), _count("n_dependents"), "num")
RESTORE = Column("restore_hours_estimate", gettext_lazy("Restore (est.)"),
                 hours("restore_hours_estimate"), "num")


@dataclass(frozen=True)
class NodeKind:
    slug: str
    node_type: str
    title: Any
    new_label: Any
    columns: tuple[Column, ...]
    form_fields: tuple[str, ...]
    filters: tuple[str, ...] = ()
    queryset_filter: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    empty_text: Any = ""
    description: Any = ""

    def url(self, action: str, **kwargs: Any) -> str:
        return reverse(f"inventory:{self.slug}_{action}", kwargs=kwargs or None)

    @property
    def list_url(self) -> str:
        return self.url("list")

    @property
    def create_url(self) -> str:
        return self.url("create")

    def queryset(self, user) -> QuerySet[Node]:
        return nodes_visible_to(user=user, node_type=self.node_type).filter(
            **self.queryset_filter)


KINDS: dict[str, NodeKind] = {
    "activity": NodeKind(
        slug="activity", node_type=NodeType.ACTIVITY,
        title=gettext_lazy("Activities"), new_label=gettext_lazy("New activity"),
        columns=(CODE, NAME, ESTABLISHMENT,
                 Column("activity_kind", gettext_lazy("Nature"),
                        badge("activity_kind", "nature")),
                 Column("owner", gettext_lazy("Business referent"), attr("owner")),
                 Column("pdma_hours", gettext_lazy("PDMA"), hours("pdma_hours"), "num"),
                 Column("declared_dmia_hours", gettext_lazy("Declared DMIA"),
                        hours("declared_dmia_hours"), "num"),
                 N_DEPS),
        form_fields=("code", "name", "organization", "activity_kind", "owner", "description",
                     "pdma_hours", "declared_dmia_hours", "declared_dmia_reason"),
        filters=("activity_kind", "missing"),
        empty_text=gettext_lazy("No activity yet."),
        description=gettext_lazy("Care services, administrative processes, medico-technical "
                                 "platforms and support activities that must keep going."),
    ),
    "application": NodeKind(
        slug="application", node_type=NodeType.APPLICATION,
        title=gettext_lazy("Applications"), new_label=gettext_lazy("New application"),
        columns=(CODE, NAME, ESTABLISHMENT,
                 Column("vendor", gettext_lazy("Vendor"), attr("vendor")),
                 Column("hosting", gettext_lazy("Hosting"), badge("hosting", "hosting")),
                 RESTORE, N_DEPS, N_DEPENDENTS),
        form_fields=("code", "name", "organization", "vendor", "hosting",
                     "restore_hours_estimate", "description"),
        filters=("hosting", "missing"),
        empty_text=gettext_lazy("No application yet."),
        description=gettext_lazy("Software used by the activities (DPI, PACS, SIL…)."),
    ),
    "component": NodeKind(
        slug="component", node_type=NodeType.COMPONENT,
        title=gettext_lazy("Components"), new_label=gettext_lazy("New component"),
        columns=(CODE, NAME, ESTABLISHMENT,
                 Column("component_kind", gettext_lazy("Type"),
                        badge("component_kind", "ckind")),
                 Column("site", gettext_lazy("Site"), attr("site")),
                 Column("recovery_team", gettext_lazy("Recovery team"), attr("recovery_team")),
                 RESTORE, N_DEPS, N_DEPENDENTS),
        form_fields=("code", "name", "organization", "component_kind", "site", "recovery_team",
                     "restore_hours_estimate", "description"),
        filters=("component_kind", "missing"),
        empty_text=gettext_lazy("No component yet."),
        description=gettext_lazy("Infrastructure: servers, virtual machines, databases, "
                                 "storage, network, directory, sites, power…"),
    ),
    "supplier": NodeKind(
        slug="supplier", node_type=NodeType.COMPONENT,
        title=gettext_lazy("Suppliers"), new_label=gettext_lazy("New supplier"),
        columns=(CODE, NAME, ESTABLISHMENT,
                 Column("recovery_team", gettext_lazy("Contact / team"),
                        attr("recovery_team")),
                 N_DEPS, N_DEPENDENTS),
        form_fields=("code", "name", "organization", "recovery_team",
                     "restore_hours_estimate", "description"),
        filters=("missing",),
        queryset_filter={"component_kind": ComponentKind.SUPPLIER},
        fixed={"component_kind": ComponentKind.SUPPLIER},
        empty_text=gettext_lazy("No supplier yet."),
        description=gettext_lazy("Suppliers whose services or SaaS the information system "
                                 "relies on."),
    ),
}

#: fields shown on a detail page, per node type, in order
DETAIL_FIELDS = {
    NodeType.ACTIVITY: ("activity_kind", "owner", "pdma_hours", "declared_dmia_hours",
                        "declared_dmia_reason"),
    NodeType.APPLICATION: ("vendor", "hosting", "restore_hours_estimate"),
    NodeType.COMPONENT: ("component_kind", "site", "recovery_team", "restore_hours_estimate"),
}


def _can_write(user, node: Node) -> bool:
    return access_for(user).can_write(node.organization_id, top_id=node.top_id)


def _edge_count(end: str) -> Coalesce:
    """Number of edges whose ``end`` ("source" or "target") is the row: one subquery, no
    GROUP BY on the node list."""
    edges = (Dependency.objects.filter(**{end: OuterRef("pk")}).order_by().values(end)
             .annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(edges), 0)


def with_edge_counts(queryset: QuerySet[Node]) -> QuerySet[Node]:
    """Annotate ``n_dependencies`` (what the node needs) and ``n_dependents`` (what needs it),
    counting every edge, visible or not."""
    return queryset.annotate(n_dependencies=_edge_count("source"),
                             n_dependents=_edge_count("target"))


def _get_node(request: HttpRequest, kind: NodeKind, uuid) -> Node:
    return get_object_or_404(with_edge_counts(kind.queryset(request.user)), uuid=uuid)


# --- Node views ---------------------------------------------------------------------------------


@login_required
@require_safe
def node_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    organizations = list(organizations_visible_to(user=request.user).order_by("code"))
    filters = NodeFilterForm(request.GET or None, organizations=organizations,
                             filters=spec.filters)
    qs = with_edge_counts(spec.queryset(request.user))
    page = paginate(request, filters.filter(qs).order_by("code", "id"))
    access = access_for(request.user)
    context = {
        "kind": spec, "filters": filters, "page": page,
        "columns": spec.columns, "rows": bound_columns(spec.columns, page.object_list),
        "can_create": access.can_write_anything, "searching": bool(request.GET),
    }
    return render_list(request, "inventory/node_list.html", "inventory/_node_results.html",
                       context)


@login_required
@require_safe
def node_detail(request: HttpRequest, kind: str, uuid) -> HttpResponse:
    spec = KINDS[kind]
    node = _get_node(request, spec, uuid)
    visible_edges = dependencies_visible_to(user=request.user).select_related(
        "source__top", "target__top")
    dependencies = list(visible_edges.filter(source=node).order_by("target__code"))
    dependents = list(visible_edges.filter(target=node).order_by("source__code"))
    for edge in dependencies:
        edge.other, edge.other_url = edge.target, node_url(edge.target)
    for edge in dependents:
        edge.other, edge.other_url = edge.source, node_url(edge.source)
    fields = [(Node._meta.get_field(name), _display(node, name))
              for name in DETAIL_FIELDS[node.node_type]]
    context = {
        "kind": spec, "node": node, "fields": fields,
        "dependencies": dependencies, "dependents": dependents,
        "hidden_dependencies": node.n_dependencies - len(dependencies),
        "hidden_dependents": node.n_dependents - len(dependents),
        "attributes": sorted((node.attributes or {}).items()),
        "can_write": _can_write(request.user, node),
        "edit_url": spec.url("edit", uuid=node.uuid),
        "delete_url": spec.url("delete", uuid=node.uuid),
        "graph_url": optional_url("graph:node", uuid=node.uuid),
        "add_dependency_url": reverse("inventory:dependency_create") + f"?source={node.uuid}",
    }
    return render(request, "inventory/node_detail.html", context)


def _display(node: Node, name: str) -> Any:
    value = getattr(node, name)
    display = getattr(node, f"get_{name}_display", None)
    if value and callable(display):
        return display()
    return value


@login_required
@require_http_methods(["GET", "POST"])
def node_create(request: HttpRequest, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    if not access_for(request.user).can_write_anything:
        raise PermissionDenied
    form = NodeForm(request.POST or None, user=request.user, node_type=spec.node_type,
                    field_names=spec.form_fields)
    if not form.owners:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_create(top=form.top, node_type=spec.node_type,
                                        **form.service_fields(), **spec.fixed)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Created: %(object)s.") % {"object": node})
            return redirect(node_url(node))
    return render(request, "inventory/node_form.html",
                  {"kind": spec, "form": form, "title": spec.new_label,
                   "cancel_url": spec.url("list")})


@login_required
@require_http_methods(["GET", "POST"])
def node_edit(request: HttpRequest, kind: str, uuid) -> HttpResponse:
    spec = KINDS[kind]
    node = get_object_or_404(spec.queryset(request.user), uuid=uuid)
    if not _can_write(request.user, node):
        raise PermissionDenied
    form = NodeForm(request.POST or None, user=request.user, node_type=spec.node_type,
                    field_names=spec.form_fields, node=node)
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_update(node=node, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": node})
            return redirect(node_url(node))
    return render(request, "inventory/node_form.html",
                  {"kind": spec, "form": form, "node": node,
                   "title": _("Edit %(object)s") % {"object": node.code},
                   "cancel_url": node_url(node)})


@login_required
@require_http_methods(["GET", "POST"])
def node_delete(request: HttpRequest, kind: str, uuid) -> HttpResponse:
    spec = KINDS[kind]
    node = get_object_or_404(spec.queryset(request.user), uuid=uuid)
    if not _can_write(request.user, node):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.node_delete(node=node, viewer=access_for(request.user))
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("Deleted: %(object)s.") % {"object": node})
            return redirect(spec.url("list"))
    access = access_for(request.user)
    dependents = [d.source for d in node.dependents.select_related("source")
                  .order_by("source__code")]
    shown = [d for d in dependents
             if access.can_read(d.organization_id, top_id=d.top_id)][:20]
    hidden = sum(1 for d in dependents if not access.can_read(d.organization_id, top_id=d.top_id))
    n_dependencies = node.dependencies.count()
    return render(request, "core/confirm_delete.html", {
        "object": node, "errors": errors, "cancel_url": node_url(node),
        "title": _("Delete %(object)s") % {"object": node.code},
        "blockers": [(str(d), node_url(d)) for d in shown]
        + ([(ngettext("%(n)d node outside your scope", "%(n)d nodes outside your scope",
                      hidden) % {"n": hidden}, "")] if hidden else []),
        "blockers_text": _("These nodes depend on it; remove those dependencies first:"),
        "consequences": [ngettext("Its outgoing dependency will be deleted too.",
                                  "Its %(n)s outgoing dependencies will be deleted too.",
                                  n_dependencies) % {"n": n_dependencies}]
        if n_dependencies else [],
    })


@login_required
@require_safe
def node_any(request: HttpRequest, uuid) -> HttpResponse:
    """``/inventory/nodes/<uuid>/``: the page of any visible node, whatever its type (for
    links that only know the node, like the audit log and the graph)."""
    node = get_object_or_404(nodes_visible_to(user=request.user), uuid=uuid)
    return node_detail(request, kind_of(node), uuid)


# --- Dependencies -------------------------------------------------------------------------------


def _node_cell(name: str):
    def render(edge: Dependency) -> Any:
        node = getattr(edge, name)
        return format_html(
            '<a href="{}" class="code">{}</a> <span class="badge small type-{}">{}</span>'
            '<span class="cell-sub">{}</span>',
            node_url(node), node.code, node.node_type, node.get_node_type_display(), node.name)
    return render


def _edge_establishment(edge: Dependency) -> Any:
    return _establishment(edge.source)


def _edge_link(edge: Dependency) -> Any:
    return format_html('<a href="{}" title="{}">{}</a>',
                       reverse("inventory:dependency_detail", kwargs={"uuid": edge.uuid}),
                       _("Details of the dependency"), "→")


def _group(edge: Dependency) -> Any:
    if not edge.redundancy_group:
        return None
    return format_html('<span class="badge">{}</span>', edge.redundancy_group)


DEPENDENCY_COLUMNS = (
    Column("source", gettext_lazy("Source"), _node_cell("source"), "wide"),
    Column("arrow", "", _edge_link, "arrow"),
    Column("target", gettext_lazy("Depends on"), _node_cell("target"), "wide"),
    Column("organization", gettext_lazy("Establishment"), _edge_establishment, "nowrap"),
    Column("degraded_autonomy_hours", gettext_lazy("Autonomy"),
           hours("degraded_autonomy_hours"), "num"),
    Column("redundancy_group", gettext_lazy("Redundancy group"), _group),
)


def _edges(user) -> QuerySet[Dependency]:
    return dependencies_visible_to(user=user).select_related("source__top", "target__top")


def _can_write_edge(user, edge: Dependency) -> bool:
    return _can_write(user, edge.source)


@login_required
@require_safe
def dependency_list(request: HttpRequest) -> HttpResponse:
    organizations = list(organizations_visible_to(user=request.user).order_by("code"))
    filters = DependencyFilterForm(request.GET or None, organizations=organizations)
    page = paginate(request, filters.filter(_edges(request.user)))
    context = {
        "filters": filters, "page": page, "columns": DEPENDENCY_COLUMNS,
        "rows": bound_columns(DEPENDENCY_COLUMNS, page.object_list),
        "can_create": access_for(request.user).can_write_anything,
        "searching": bool(request.GET),
    }
    return render_list(request, "inventory/dependency_list.html",
                       "inventory/_dependency_results.html", context)


@login_required
@require_safe
def dependency_detail(request: HttpRequest, uuid) -> HttpResponse:
    edge = get_object_or_404(_edges(request.user), uuid=uuid)
    alternatives = []
    if edge.redundancy_group:
        alternatives = list(_edges(request.user).filter(
            source=edge.source, redundancy_group=edge.redundancy_group).exclude(pk=edge.pk))
    return render(request, "inventory/dependency_detail.html", {
        "edge": edge, "alternatives": alternatives,
        "can_write": _can_write_edge(request.user, edge),
        "source_url": node_url(edge.source), "target_url": node_url(edge.target),
    })


@login_required
@require_http_methods(["GET", "POST"])
def dependency_create(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).can_write_anything:
        raise PermissionDenied
    initial = {"source": request.GET.get("source", ""), "target": request.GET.get("target", "")}
    form = DependencyForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            edge = services.dependency_create(
                source=data["source"], target=data["target"],
                degraded_autonomy_hours=data["degraded_autonomy_hours"],
                redundancy_group=data["redundancy_group"] or "",
                viewer=access_for(request.user))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Created: %(object)s.") % {"object": edge})
            return redirect(safe_next(request, node_url(edge.source)))
    return render(request, "inventory/dependency_form.html", {
        "form": form, "title": _("New dependency"),
        "cancel_url": safe_next(request, reverse("inventory:dependency_list")),
        "next": request.GET.get("next", ""),
    })


@login_required
@require_http_methods(["GET", "POST"])
def dependency_edit(request: HttpRequest, uuid) -> HttpResponse:
    edge = get_object_or_404(_edges(request.user), uuid=uuid)
    if not _can_write_edge(request.user, edge):
        raise PermissionDenied
    form = DependencyForm(request.POST or None, user=request.user, edge=edge)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            edge = services.dependency_update(
                edge=edge, source=data["source"], target=data["target"],
                degraded_autonomy_hours=data["degraded_autonomy_hours"],
                redundancy_group=data["redundancy_group"] or "",
                viewer=access_for(request.user))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s.") % {"object": edge})
            return redirect("inventory:dependency_detail", uuid=edge.uuid)
    return render(request, "inventory/dependency_form.html", {
        "form": form, "edge": edge, "title": _("Edit %(object)s") % {"object": edge},
        "cancel_url": reverse("inventory:dependency_detail", kwargs={"uuid": edge.uuid}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def dependency_delete(request: HttpRequest, uuid) -> HttpResponse:
    edge = get_object_or_404(_edges(request.user), uuid=uuid)
    if not _can_write_edge(request.user, edge):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        source_url = node_url(edge.source)
        try:
            services.dependency_delete(edge=edge)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("Deleted: %(object)s.") % {"object": edge})
            return redirect(safe_next(request, source_url))
    return render(request, "core/confirm_delete.html", {
        "object": edge, "errors": errors, "title": _("Delete %(object)s") % {"object": edge},
        "cancel_url": reverse("inventory:dependency_detail", kwargs={"uuid": edge.uuid}),
        "next": request.GET.get("next", ""),
    })

