"""CaRE D2 O1.c coverage of a GHT by approved continuity plans (plain Python, no Django).

The programme asks for a PCRA covering at least one care service, the most critical
administrative process and one medico-technical platform service; for a GHT of several
entities, the entities covered must represent at least 66 % of the activity.

pcra's reading, per *leaf* entity (an establishment ET, or an EJ without establishments below
it): the entity is covered when the approved plans that apply to it cover the three
categories. A plan applies to an entity when the entity, or an organization above it (its EJ,
the GHT), is among the plan's establishments. The GHT's share is the activity weight of the
covered entities over the weight of all its leaf entities (the weights of EJ and GHT are not
counted: they repeat their establishments'). With no weight declared, the share is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

#: The three mandatory categories, as ``inventory.ActivityKind`` values, in display order.
MANDATORY = ("soins", "administratif", "plateau_technique")
#: Share of the activity the covered entities must represent.
RULE = Decimal("0.66")


@dataclass(frozen=True)
class Entity:
    id: int
    code: str
    name: str
    weight: Decimal
    parent_id: int | None


@dataclass(frozen=True)
class ApprovedPlan:
    code: str
    title: str
    #: the activity kinds of its activities
    categories: frozenset[str]
    #: the organizations it applies to (any level)
    organization_ids: frozenset[int]


@dataclass
class EntityCoverage:
    entity: Entity
    #: category -> codes of the plans that cover it here
    plans: dict[str, list[str]] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [c for c in MANDATORY if not self.plans.get(c)]

    @property
    def covered(self) -> bool:
        return not self.missing


@dataclass
class Coverage:
    entities: list[EntityCoverage]
    covered_weight: Decimal
    total_weight: Decimal
    #: category -> codes of the approved plans of that category anywhere in the GHT
    categories: dict[str, list[str]]

    @property
    def share(self) -> Decimal | None:
        if not self.total_weight:
            return None
        return self.covered_weight / self.total_weight

    @property
    def meets_rule(self) -> bool:
        share = self.share
        return share is not None and share >= RULE

    @property
    def missing_categories(self) -> list[str]:
        return [c for c in MANDATORY if not self.categories.get(c)]


def compute(organizations: Iterable[Entity], plans: Iterable[ApprovedPlan]) -> Coverage:
    """The coverage of the organizations of one GHT (all levels: the leaves are found here)."""
    organizations = list(organizations)
    plans = list(plans)
    by_id = {o.id: o for o in organizations}
    parents = {o.parent_id for o in organizations if o.parent_id is not None}
    leaves = [o for o in organizations if o.id not in parents and o.parent_id is not None]
    if not leaves:  # a lone organization (an EJ outside a GHT without establishments)
        leaves = [o for o in organizations if o.id not in parents]
    categories: dict[str, list[str]] = {c: [] for c in MANDATORY}
    for plan in plans:
        for category in plan.categories:
            if category in categories and plan.code not in categories[category]:
                categories[category].append(plan.code)
    rows = []
    covered = total = Decimal(0)
    for leaf in sorted(leaves, key=lambda o: o.code):
        chain = set()
        current: Entity | None = leaf
        while current is not None and current.id not in chain:
            chain.add(current.id)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        row = EntityCoverage(entity=leaf)
        for plan in plans:
            if plan.organization_ids & chain:
                for category in plan.categories:
                    if category in MANDATORY:
                        row.plans.setdefault(category, [])
                        if plan.code not in row.plans[category]:
                            row.plans[category].append(plan.code)
        rows.append(row)
        total += leaf.weight
        if row.covered:
            covered += leaf.weight
    return Coverage(entities=rows, covered_weight=covered, total_weight=total,
                    categories=categories)
