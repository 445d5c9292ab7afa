"""A GHT described as plain data: organizations, nodes and edges keyed by their codes.

The realistic demo (``data.py``) and the synthetic generator (``synthetic.py``) both produce a
:class:`GhtSpec`; ``services.py`` writes it. Pure Python, no Django import, so the definitions
can be checked (codes, references, acyclicity) before anything touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pcra.inventory.graph import find_cycle

ACTIVITY, APPLICATION, COMPONENT = "activity", "application", "component"


def hours(value: float | int | str | Decimal | None) -> Decimal | None:
    """A duration in hours as the Decimal the database gives back (2 decimal places)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    kind: str  # GHT, EJ, ET
    parent: str | None = None
    finess: str = ""
    weight: int = 0


@dataclass
class NodeSpec:
    code: str
    node_type: str
    name: str
    organization: str | None = None  # code of an EJ/ET; None = shared across the GHT
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EdgeSpec:
    source: str
    target: str
    autonomy: Decimal | None = None
    group: str = ""


class SpecError(ValueError):
    """The definition itself is wrong (a typo in a code, a cycle…)."""


@dataclass
class GhtSpec:
    ght: OrgSpec
    organizations: list[OrgSpec] = field(default_factory=list)  # EJ then ET, parents first
    nodes: list[NodeSpec] = field(default_factory=list)
    edges: list[EdgeSpec] = field(default_factory=list)

    def count(self, node_type: str) -> int:
        return sum(1 for n in self.nodes if n.node_type == node_type)

    def check(self) -> None:
        """Raise :class:`SpecError` on duplicate codes, dangling references or a cycle."""
        errors: list[str] = []
        org_codes = {self.ght.code}
        for org in self.organizations:
            if org.code in org_codes:
                errors.append(f"organization {org.code} defined twice")
            if org.parent not in org_codes:
                errors.append(f"organization {org.code}: parent {org.parent} not defined before")
            org_codes.add(org.code)
        types: dict[str, str] = {}
        for node in self.nodes:
            if node.code in types:
                errors.append(f"node {node.code} defined twice")
            types[node.code] = node.node_type
            if node.organization is not None and node.organization not in org_codes:
                errors.append(f"node {node.code}: unknown organization {node.organization}")
        seen: set[tuple[str, str]] = set()
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in types:
                    errors.append(f"edge {edge.source} → {edge.target}: unknown node {end}")
            if types.get(edge.target) == ACTIVITY:
                errors.append(f"edge {edge.source} → {edge.target}: target is an activity")
            if (edge.source, edge.target) in seen:
                errors.append(f"edge {edge.source} → {edge.target} defined twice")
            seen.add((edge.source, edge.target))
        if not errors:
            cycle = find_cycle((e.source, e.target) for e in self.edges)
            if cycle:
                errors.append("cycle: " + " → ".join(cycle))
        if errors:
            raise SpecError("; ".join(errors[:20]))
