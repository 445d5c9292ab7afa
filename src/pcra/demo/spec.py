"""A GHT described as plain data: organizations, nodes, edges, BIAs and BIA campaigns keyed by
their codes.

The realistic demo (``data.py``) and the synthetic generator (``synthetic.py``) both produce a
:class:`GhtSpec`; ``services.py`` writes it. Pure Python, no Django import, so the definitions
can be checked (codes, references, acyclicity) before anything touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pcra.inventory.graph import find_cycle

ACTIVITY, APPLICATION, COMPONENT = "activity", "application", "component"
DRAFT, SUBMITTED, SIGNED_OFF = "draft", "submitted", "signed_off"
BIA_STATUSES = (DRAFT, SUBMITTED, SIGNED_OFF)
#: the codes of the default impact scale (``pcra.impact.defaults``), in order
BIA_CRITERIA = ("securite_patients", "continuite_soins", "juridique", "financier", "image",
                "organisation")
BIA_HORIZONS = ("h1", "h4", "h24", "h72", "w1", "m1")

Cell = tuple[str, str]  # (criterion code, horizon code)


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


@dataclass
class BiaVersionSpec:
    """One version of a BIA: its status and its levels (missing cells: not assessed)."""

    status: str
    levels: dict[Cell, int] = field(default_factory=dict)


@dataclass
class BiaSpec:
    """The BIA history of an activity, oldest version first; every version but the last is
    signed off (a new version starts only from a signed-off one)."""

    activity: str
    versions: list[BiaVersionSpec]

    @property
    def status(self) -> str:
        return self.versions[-1].status


@dataclass(frozen=True)
class CampaignSpec:
    """A BIA campaign of an organization; dates in days from the day of seeding."""

    organization: str
    name: str
    starts_in_days: int
    due_in_days: int


def levels_from(curves: str) -> dict[Cell, int]:
    """Levels written compactly: one group of six characters per criterion, in the order of
    ``BIA_CRITERIA``, one character per horizon (``BIA_HORIZONS``), ``.`` for a cell not
    assessed: ``"344444 344444 123344 012334 234444 344444"``."""
    groups = curves.split()
    if len(groups) != len(BIA_CRITERIA) or any(len(g) != len(BIA_HORIZONS) for g in groups):
        raise SpecError(f"levels {curves!r}: expected {len(BIA_CRITERIA)} groups of "
                        f"{len(BIA_HORIZONS)} characters")
    levels = {}
    for criterion, group in zip(BIA_CRITERIA, groups, strict=True):
        for horizon, char in zip(BIA_HORIZONS, group, strict=True):
            if char == ".":
                continue
            if char not in "01234":
                raise SpecError(f"levels {curves!r}: {char!r} is not a level 0–4")
            levels[(criterion, horizon)] = int(char)
    return levels


class SpecError(ValueError):
    """The definition itself is wrong (a typo in a code, a cycle…)."""


@dataclass
class GhtSpec:
    ght: OrgSpec
    organizations: list[OrgSpec] = field(default_factory=list)  # EJ then ET, parents first
    nodes: list[NodeSpec] = field(default_factory=list)
    edges: list[EdgeSpec] = field(default_factory=list)
    bias: list[BiaSpec] = field(default_factory=list)
    campaigns: list[CampaignSpec] = field(default_factory=list)

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
        errors += self._bia_errors(types, org_codes)
        if errors:
            raise SpecError("; ".join(errors[:20]))

    def _bia_errors(self, types: dict[str, str], org_codes: set[str]) -> list[str]:
        errors: list[str] = []
        seen: set[str] = set()
        for bia in self.bias:
            where = f"BIA of {bia.activity}"
            if types.get(bia.activity) != ACTIVITY:
                errors.append(f"{where}: not an activity")
            if bia.activity in seen:
                errors.append(f"{where} defined twice")
            seen.add(bia.activity)
            if not bia.versions:
                errors.append(f"{where}: no version")
            for index, version in enumerate(bia.versions):
                if version.status not in BIA_STATUSES:
                    errors.append(f"{where}: unknown status {version.status}")
                if index < len(bia.versions) - 1 and version.status != SIGNED_OFF:
                    errors.append(f"{where}: version {index + 1} is followed by another but "
                                  "is not signed off")
                for (criterion, horizon), level in version.levels.items():
                    if criterion not in BIA_CRITERIA or horizon not in BIA_HORIZONS:
                        errors.append(f"{where}: unknown cell {criterion}/{horizon}")
                    if not (isinstance(level, int) and 0 <= level <= 4):
                        errors.append(f"{where}: {level!r} is not a level 0–4")
                full = len(BIA_CRITERIA) * len(BIA_HORIZONS)
                if version.status != DRAFT and len(version.levels) != full:
                    errors.append(f"{where}: a {version.status} version fills every cell")
        for campaign in self.campaigns:
            if campaign.organization not in org_codes:
                errors.append(f"campaign {campaign.name}: unknown organization "
                              f"{campaign.organization}")
            if campaign.due_in_days < campaign.starts_in_days:
                errors.append(f"campaign {campaign.name}: due before it starts")
        return errors
