"""Helpers shared by the seed_demo tests."""

import io
import json
from collections import Counter

from django.core.management import call_command
from django.utils import translation

from pcra.inventory.models import Dependency, Node
from pcra.organizations.models import Organization


def seed(*args) -> str:
    """Run seed_demo; its messages in English (the interface defaults to French)."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", *args, stdout=out)
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
