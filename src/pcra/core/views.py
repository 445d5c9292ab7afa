"""The dashboard: what the user's establishments have mapped, and where the map has holes.

Everything comes from three aggregate queries (nodes grouped by owner, type, nature and
whether they have edges; edges grouped by the owner of their source; the organizations), so
the page costs the same whatever the size of the graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from pcra.accounts.access import access_for
from pcra.inventory.models import ActivityKind, ComponentKind, Dependency, NodeType
from pcra.inventory.selectors import dependencies_visible_to, nodes_visible_to
from pcra.organizations.models import Organization, OrganizationKind
from pcra.organizations.selectors import organizations_visible_to, tops_visible_to


@dataclass
class Counts:
    activities: int = 0
    applications: int = 0
    components: int = 0
    suppliers: int = 0
    dependencies: int = 0
    activities_without_dependency: int = 0
    isolated: int = 0
    natures: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        for name in ("activities", "applications", "components", "suppliers", "dependencies",
                     "activities_without_dependency", "isolated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for nature, n in other.natures.items():
            self.natures[nature] = self.natures.get(nature, 0) + n

    @property
    def nature_items(self) -> list[tuple[str, str, int]]:
        """``(value, label, count)`` of the natures present, in the order of the choices."""
        return [(value, label, self.natures[value]) for value, label in ActivityKind.choices
                if self.natures.get(value)]

    @property
    def nodes(self) -> int:
        return self.activities + self.applications + self.components


@dataclass
class Row:
    """One line of a GHT's table: an organization, or the nodes shared across the GHT."""

    label: str
    title: str
    query: str
    counts: Counts
    kind: str = ""
    indent: bool = False
    url: str = ""


@dataclass
class TopSection:
    top: Organization
    rows: list[Row]
    total: Counts
    query: str
    url: str


def _tree_key(org: Organization) -> tuple:
    if org.kind == OrganizationKind.GHT:
        return ("", 0, org.code)
    if org.kind == OrganizationKind.ET and org.parent is not None:
        return (org.parent.code, 1, org.code)
    return (org.code, 0, "")


def dashboard(user) -> tuple[list[TopSection], Counts]:
    """Per top organization, the counts of each visible organization and of shared nodes."""
    access = access_for(user)
    has_out = Exists(Dependency.objects.filter(source=OuterRef("pk")))
    has_in = Exists(Dependency.objects.filter(target=OuterRef("pk")))
    counts: dict[tuple[int, int | None], Counts] = defaultdict(Counts)
    node_stats = (nodes_visible_to(user=user).order_by()
                  .annotate(has_out=has_out, has_in=has_in)
                  .values("top_id", "organization_id", "node_type", "activity_kind",
                          "component_kind", "has_out", "has_in")
                  .annotate(n=Count("id")))
    for row in node_stats:
        c = counts[(row["top_id"], row["organization_id"])]
        n = row["n"]
        if row["node_type"] == NodeType.ACTIVITY:
            c.activities += n
            c.natures[row["activity_kind"]] = c.natures.get(row["activity_kind"], 0) + n
            if not row["has_out"]:
                c.activities_without_dependency += n
        else:
            if row["node_type"] == NodeType.APPLICATION:
                c.applications += n
            else:
                c.components += n
                if row["component_kind"] == ComponentKind.SUPPLIER:
                    c.suppliers += n
            if not row["has_out"] and not row["has_in"]:
                c.isolated += n
    edge_stats = (dependencies_visible_to(user=user).order_by()
                  .values("top_id", "source__organization_id").annotate(n=Count("id")))
    for row in edge_stats:
        counts[(row["top_id"], row["source__organization_id"])].dependencies += row["n"]

    orgs = sorted(organizations_visible_to(user=user), key=_tree_key)
    sections: list[TopSection] = []
    grand = Counts()
    for top in tops_visible_to(user=user).order_by("code"):
        rows: list[Row] = []
        total = Counts()
        shared = counts.get((top.id, None))
        ght_query = urlencode({"ght": top.uuid})
        if shared is not None:
            rows.append(Row(label="", title=top.name, counts=shared, kind="shared",
                            query=urlencode({"org": "shared", "ght": top.uuid})))
            total.add(shared)
        for org in orgs:
            if org.top_id != top.id:
                continue
            c = counts.get((top.id, org.id), Counts())
            if org.kind == OrganizationKind.GHT and not c.nodes:
                continue
            rows.append(Row(label=org.code, title=org.name, counts=c, kind=org.kind,
                            query=urlencode({"org": org.uuid}),
                            url=reverse("organizations:detail", kwargs={"uuid": org.uuid}),
                            indent=org.kind == OrganizationKind.ET))
            total.add(c)
        top_url = (reverse("organizations:detail", kwargs={"uuid": top.uuid})
                   if access.can_read(top.pk) else "")
        sections.append(TopSection(top=top, rows=rows, total=total, query=ght_query,
                                   url=top_url))
        grand.add(total)
    return sections, grand


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    sections, grand = dashboard(request.user)
    return render(request, "core/home.html", {
        "sections": sections, "grand": grand, "natures": ActivityKind.choices,
    })
