"""The dependency-graph pages: what a node needs, what its loss impacts, single points of failure.

Impact is always computed on the whole GHT graph (a component the user cannot see still
breaks an activity the user can see, DESIGN §4.2), but the pages only name nodes the user
may read: the others are counted, or drawn as one anonymous marker per connected group.
"""

from __future__ import annotations

import re
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from pcra.inventory import graph_selectors as gs
from pcra.inventory.models import NodeType
from pcra.inventory.selectors import nodes_visible_to
from pcra.organizations.models import OrganizationKind
from pcra.organizations.selectors import organizations_visible_to, tops_visible_to

#: above this many drawn nodes the page shows the table only (a drawing would be unreadable)
DRAW_LIMIT = 300
SPOF_PAGE_SIZE = 100
#: activities named inline per single point of failure (its own page lists them all)
SPOF_LIST_LIMIT = 30


def _node_url(info: gs.NodeInfo) -> str:
    return reverse("graph:node", args=[info.uuid])


def _hidden_label(count: int) -> str:
    return ngettext("%(count)d node outside your scope", "%(count)d nodes outside your scope",
                    count) % {"count": count}


def _node_page_data(request: HttpRequest, uuid: UUID) -> dict:
    node = gs.visible_node_or_404(user=request.user, uuid=uuid)
    loaded = gs.load_graph_for(user=request.user, top_ids=[node.top_id])
    needs = gs.needs_of(loaded, node.id, url_for=_node_url, hidden_label=_hidden_label)
    drawn = len(needs.elements["nodes"])
    return {"node": node, "loaded": loaded, "needs": needs, "draw_limit": DRAW_LIMIT,
            "drawable": 1 < drawn <= DRAW_LIMIT, "too_large": drawn > DRAW_LIMIT}


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = gs.search_nodes(user=request.user, query=query) if query else []
    return render(request, "inventory/graph/index.html",
                  {"query": query, "results": results, "limit": 50})


@login_required
@require_safe
def node(request: HttpRequest, uuid: UUID) -> HttpResponse:
    context = _node_page_data(request, uuid)
    loaded, node = context["loaded"], context["node"]
    context["impact"] = gs.impact_of(loaded, [node.id])
    if node.node_type == NodeType.ACTIVITY:
        context["spofs"], context["hidden_spofs"] = gs.spofs_of_activity(loaded, node.id)
    context["data_url"] = reverse("graph:node_data", args=[node.uuid])
    return render(request, "inventory/graph/node.html", context)


@login_required
@require_safe
def node_data(request: HttpRequest, uuid: UUID) -> JsonResponse:
    """The drawing of what a node needs, as cytoscape elements (hidden nodes collapsed)."""
    context = _node_page_data(request, uuid)
    needs = context["needs"]
    return JsonResponse({"root": str(needs.root.uuid), "hidden": needs.hidden,
                         "drawable": context["drawable"], "elements": needs.elements})


# --- Loss of a set of nodes ---------------------------------------------------------------


class LossForm(forms.Form):
    codes = forms.CharField(label=_("Codes of the lost nodes"), max_length=4000,
                            help_text=_("Separate codes with commas or spaces."))
    ght = forms.ChoiceField(label=_("GHT"), required=False)

    def __init__(self, *args, tops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ght"].choices = [("", _("All my GHTs"))] + [(t.code, str(t)) for t in tops]
        if len(tops) < 2:
            self.fields["ght"].widget = forms.HiddenInput()

    def code_list(self) -> list[str]:
        raw = re.split(r"[\s,;]+", self.cleaned_data["codes"])
        return list(dict.fromkeys(code for code in raw if code))


@login_required
@require_safe
def loss(request: HttpRequest) -> HttpResponse:
    tops = list(tops_visible_to(user=request.user).order_by("code"))
    form = LossForm(request.GET or None, tops=tops)
    context: dict = {"form": form}
    if form.is_valid():
        codes = form.code_list()
        nodes = nodes_visible_to(user=request.user).filter(code__in=codes)
        if form.cleaned_data["ght"]:
            nodes = nodes.filter(top__code=form.cleaned_data["ght"])
        by_code: dict[str, list] = {}
        for found in nodes:
            by_code.setdefault(found.code, []).append(found)
        context["unknown"] = [code for code in codes if code not in by_code]
        context["ambiguous"] = sorted(code for code, found in by_code.items() if len(found) > 1)
        if by_code and not context["unknown"] and not context["ambiguous"]:
            lost = [found[0] for found in by_code.values()]
            loaded = gs.load_graph_for(user=request.user, top_ids={n.top_id for n in lost})
            context["impact"] = gs.impact_of(loaded, [n.id for n in lost])
    return render(request, "inventory/graph/loss.html", context)


# --- Single points of failure -------------------------------------------------------------


class SpofFilterForm(forms.Form):
    establishment = forms.ChoiceField(label=_("Activities of"), required=False)
    node_type = forms.ChoiceField(label=_("Node type"), required=False, choices=[
        ("", _("Applications and components")),
        (NodeType.APPLICATION, _("Applications")),
        (NodeType.COMPONENT, _("Components")),
    ])
    ght = forms.ChoiceField(label=_("GHT"), required=False)

    def __init__(self, *args, organizations=(), tops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establishment"].choices = [("", _("All establishments"))] + [
            (org.code, str(org)) for org in organizations]
        self.fields["ght"].choices = [("", _("All my GHTs"))] + [(t.code, str(t)) for t in tops]
        if len(tops) < 2:
            self.fields["ght"].widget = forms.HiddenInput()


@login_required
@require_safe
def spof(request: HttpRequest) -> HttpResponse:
    orgs = list(organizations_visible_to(user=request.user).order_by("code"))
    tops = list(tops_visible_to(user=request.user).order_by("code"))
    establishments = [org for org in orgs if org.kind != OrganizationKind.GHT]
    form = SpofFilterForm(request.GET or None, organizations=establishments, tops=tops)
    top_ids = {t.id for t in tops}
    organization_ids = node_type = None
    if form.is_valid():
        data = form.cleaned_data
        if data["ght"]:
            top_ids = {t.id for t in tops if t.code == data["ght"]}
        if data["establishment"]:  # the establishment and, for an EJ, its ET
            chosen = next(org for org in orgs if org.code == data["establishment"])
            organization_ids = {chosen.id} | {org.id for org in orgs if org.parent_id == chosen.id}
        node_type = data["node_type"] or None
    elif form.is_bound:
        top_ids = set()  # a filter outside the user's scope: show its error, list nothing
    rows = gs.spof_rows(user=request.user, top_ids=top_ids, organization_ids=organization_ids,
                        node_type=node_type) if top_ids else []
    page = Paginator(rows, SPOF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inventory/graph/spof.html", {
        "form": form, "page": page, "total": len(rows), "query": query.urlencode(),
        "filtered_by_establishment": organization_ids is not None,
        "list_limit": SPOF_LIST_LIMIT, "list_limit_neg": -SPOF_LIST_LIMIT,
    })
