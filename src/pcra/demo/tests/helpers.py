"""Helpers shared by the seed_demo tests."""

import io
import json
from collections import Counter

from django.core.management import call_command
from django.utils import translation

from pcra.demo.spec import SIGNED_OFF, SUBMITTED
from pcra.inventory.models import Dependency, Node
from pcra.organizations.models import Organization

#: the audit entries of a new impact scale (the default one: 6 criteria, 6 horizons)
SCALE_ENTRIES = Counter({("impact.impactscale", "create"): 1,
                         ("impact.impactcriterion", "create"): 6,
                         ("impact.impacthorizon", "create"): 6})


def seed(*args, backups: bool = False) -> str:
    """Run seed_demo; its messages in English (the interface defaults to French). Without
    ``backups``, the real repositories are left out (tests of backups seed them on their own)."""
    out = io.StringIO()
    extra = () if backups or "--scale" in args else ("--no-backups",)
    with translation.override("en"):
        call_command("seed_demo", *args, *extra, stdout=out)
    return out.getvalue()


def seed_json(*args) -> dict:
    return json.loads(seed(*args, "--json"))


def totals(ght: Organization) -> dict:
    by_type = Counter(Node.objects.filter(top=ght).values_list("node_type", flat=True))
    return {"organizations": Organization.objects.filter(root=ght).count() + 1,
            "activities": by_type["activity"], "applications": by_type["application"],
            "components": by_type["component"],
            "dependencies": Dependency.objects.filter(top=ght).count()}


def edges_by_code(ght: Organization) -> set:
    return set(Dependency.objects.filter(top=ght).values_list(
        "source__code", "target__code", "degraded_autonomy_hours", "redundancy_group"))


def spec_edges(spec) -> set:
    return {(e.source, e.target, e.autonomy, e.group) for e in spec.edges}


def graph_entries(spec) -> Counter:
    """The audit entries of creating the spec's organizations, nodes and edges."""
    return Counter({("organizations.organization", "create"): 1 + len(spec.organizations),
                    ("inventory.node", "create"): len(spec.nodes),
                    ("inventory.dependency", "create"): len(spec.edges)})


def bia_entries(spec) -> Counter:
    """The audit entries of writing the spec's BIAs through the services, version by version:
    a new version copies the previous one's levels, then changes what differs."""
    entries: Counter = Counter()
    for bia in spec.bias:
        previous: dict = {}
        for version in bia.versions:
            entries["impact.businessimpactanalysis", "create"] += 1
            entries["impact.impactlevel", "create"] += len(previous)  # the copied levels
            for cell, level in version.levels.items():
                if cell not in previous:
                    entries["impact.impactlevel", "create"] += 1
                elif previous[cell] != level:
                    entries["impact.impactlevel", "update"] += 1
            entries["impact.businessimpactanalysis", "update"] += {
                SUBMITTED: 1, SIGNED_OFF: 2}.get(version.status, 0)
            previous = {**previous, **version.levels}
    if spec.campaigns:
        entries["impact.biacampaign", "create"] += len(spec.campaigns)
    return entries


def curves(levels: dict) -> dict[str, list[int]]:
    """Levels by criterion, in horizon order (for checking that they never decrease)."""
    from pcra.demo.spec import BIA_CRITERIA, BIA_HORIZONS

    return {c: [levels[(c, h)] for h in BIA_HORIZONS if (c, h) in levels] for c in BIA_CRITERIA}

