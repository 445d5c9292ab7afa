"""Writing the demo GHT and the synthetic GHT. Atomic and audited, like every write.

* :func:`demo_seed` writes the realistic demo (``data.py``) through the inventory and
  organization services, so it obeys exactly the rules users obey (validation, cycle refusal,
  one audit entry per change). It updates in place by code: running it again changes nothing.
* :func:`synthetic_seed` writes a synthetic GHT of N establishments (``synthetic.py``) with
  ``bulk_create`` in batches and :func:`pcra.core.audit.record_many`: thousands of nodes and
  edges in seconds. The definition is checked (codes, references, acyclicity) before writing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from pcra.core import audit
from pcra.demo import data, synthetic
from pcra.demo.spec import GhtSpec
from pcra.inventory import selectors
from pcra.inventory.models import Dependency, Node, NodeType
from pcra.inventory.services import dependency_validate, node_create, node_update
from pcra.organizations.models import Organization, OrganizationKind
from pcra.organizations.services import organization_create, organization_update

BATCH_SIZE = 1000
#: the keys of the counters, as in ``SeedResult.totals``
PLURAL = {NodeType.ACTIVITY: "activities", NodeType.APPLICATION: "applications",
          NodeType.COMPONENT: "components"}


class SeedError(Exception):
    """The seeding cannot proceed; the message says why (nothing was changed)."""


@dataclass
class SeedResult:
    ght: Organization | None
    #: "created", "updated" (demo in place), "exists" (synthetic left alone), "replaced"
    status: str
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    def totals(self) -> dict[str, int]:
        """What the GHT holds now, by kind."""
        nodes = dict(Node.objects.filter(top=self.ght).values_list("node_type")
                     .annotate(n=Count("id")).values_list("node_type", "n"))
        return {
            "organizations": Organization.objects.filter(root=self.ght).count() + 1,
            "activities": nodes.get(NodeType.ACTIVITY, 0),
            "applications": nodes.get(NodeType.APPLICATION, 0),
            "components": nodes.get(NodeType.COMPONENT, 0),
            "dependencies": Dependency.objects.filter(top=self.ght).count(),
        }


# --- The realistic demo: through the services, updated in place ------------------------------


_FOREIGN_KEYS = {"parent", "organization"}


def _changed(instance, wanted: dict) -> dict:
    """The entries of ``wanted`` that differ from ``instance`` (foreign keys compared by id)."""
    out = {}
    for name, value in wanted.items():
        if name in _FOREIGN_KEYS:
            if getattr(instance, f"{name}_id") != (value.pk if value is not None else None):
                out[name] = value
        elif getattr(instance, name) != value:
            out[name] = value
    return out


def _upsert_organizations(spec: GhtSpec, result: SeedResult) -> dict[str, Organization]:
    orgs: dict[str, Organization] = {}
    for org in [spec.ght, *spec.organizations]:
        wanted = {"name": org.name, "kind": org.kind,
                  "parent": orgs[org.parent] if org.parent else None,
                  "finess": org.finess, "activity_weight": Decimal(org.weight)}
        existing = Organization.objects.filter(code=org.code).first()
        if existing is None:
            orgs[org.code] = organization_create(code=org.code, **wanted)
            result.created["organizations"] += 1
            continue
        if existing.kind != org.kind:
            raise SeedError(_("The code %(code)s is already used by another kind of "
                              "organization (%(kind)s).") % {"code": org.code,
                                                             "kind": existing.kind})
        if org is not spec.ght and existing.top_id != orgs[spec.ght.code].pk:
            raise SeedError(_("The code %(code)s is already used outside %(ght)s.")
                            % {"code": org.code, "ght": spec.ght.code})
        changes = _changed(existing, wanted)
        if changes:
            organization_update(organization=existing, **changes)
            result.updated["organizations"] += 1
        orgs[org.code] = existing
    return orgs


@transaction.atomic
def demo_seed(*, spec: GhtSpec | None = None) -> SeedResult:
    """Create the demo GHT, or bring an existing one back to the definition (by code)."""
    spec = spec or data.build()
    spec.check()
    existed = Organization.objects.filter(code=spec.ght.code).exists()
    result = SeedResult(ght=None, status="updated" if existed else "created")
    orgs = _upsert_organizations(spec, result)
    top = result.ght = orgs[spec.ght.code]
    if top.root_id is not None:
        raise SeedError(_("%(code)s is not a top organization.") % {"code": top.code})

    nodes = {n.code: n for n in Node.objects.filter(top=top)}
    for item in spec.nodes:
        wanted = {"name": item.name,
                  "organization": orgs[item.organization] if item.organization else None,
                  **item.fields}
        node = nodes.get(item.code)
        if node is None:
            nodes[item.code] = node_create(top=top, node_type=item.node_type, code=item.code,
                                           **wanted)
            result.created[PLURAL[item.node_type]] += 1
        elif node.node_type != item.node_type:
            raise SeedError(_("%(code)s already exists as another type of node (%(type)s).")
                            % {"code": item.code, "type": node.node_type})
        else:
            changes = _changed(node, wanted)
            if changes:
                node_update(node=node, **changes)
                result.updated[PLURAL[item.node_type]] += 1

    edges = {(e.source_id, e.target_id): e for e in Dependency.objects.filter(top=top)}
    adjacency = selectors.adjacency(top_id=top.pk)
    codes = {n.pk: code for code, n in nodes.items()}
    for item in spec.edges:
        source, target = nodes[item.source], nodes[item.target]
        wanted = {"degraded_autonomy_hours": item.autonomy, "redundancy_group": item.group}
        edge = edges.get((source.pk, target.pk))
        if edge is None:
            edge = Dependency(top=top, source=source, target=target, **wanted)
            dependency_validate(edge, adjacency=adjacency, codes=codes)
            edge.save()
            adjacency.setdefault(source.pk, []).append(target.pk)
            result.created["dependencies"] += 1
            continue
        changes = _changed(edge, wanted)
        if changes:
            for name, value in changes.items():
                setattr(edge, name, value)
            dependency_validate(edge, adjacency=adjacency, codes=codes)
            edge.save()
            result.updated["dependencies"] += 1
    return result


# --- The synthetic GHT: bulk writes ---------------------------------------------------------


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _bulk_create(model, objects: list, progress: Callable[[str, int, int], None] | None,
                 label: str) -> None:
    """``bulk_create`` in batches, each batch audited with ``record_many``."""
    done = 0
    for batch in _batches(objects):
        model.objects.bulk_create(batch)
        audit.record_many(audit.Change("create", obj, None, audit.snapshot(obj))
                          for obj in batch)
        done += len(batch)
        if progress:
            progress(label, done, len(objects))


def _foreign_references(top: Organization, org_ids: list[int]) -> list[str]:
    """Rows of other tables that point at the GHT's organizations or nodes (would block)."""
    owned = {Node, Dependency, Organization}
    found = []
    for model, ids in ((Organization, org_ids), (Node, Node.objects.filter(top=top))):
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete) or rel.related_model in owned:
                continue
            if rel.related_model._meta.label_lower == "accounts.membership":
                continue  # memberships are deleted with their organizations
            filters = {f"{rel.field.name}__in": ids}
            count = rel.related_model._default_manager.filter(**filters).count()
            if count:
                found.append(f"{count} × {rel.related_model._meta.verbose_name}")
    return found


def _purge(top: Organization) -> Counter:
    """Delete a synthetic GHT: audited deletes first (the log stays append-only), then the
    rows in a few statements rather than one signal per row."""
    org_ids = [top.pk, *Organization.objects.filter(root=top).values_list("pk", flat=True)]
    blocking = _foreign_references(top, org_ids)
    if blocking:
        raise SeedError(_("%(code)s cannot be replaced: other data refers to it (%(what)s).")
                        % {"code": top.code, "what": ", ".join(blocking)})
    from pcra.accounts.models import Membership

    for membership in Membership.objects.filter(organization_id__in=org_ids):
        membership.delete()  # audited by the signal handlers
    edges = list(Dependency.objects.filter(top=top).select_related("source", "target"))
    nodes = list(Node.objects.filter(top=top))
    kind_order = {OrganizationKind.ET: 0, OrganizationKind.EJ: 1, OrganizationKind.GHT: 2}
    orgs = sorted(Organization.objects.filter(pk__in=org_ids), key=lambda o: kind_order[o.kind])
    for batch in _batches([*edges, *nodes, *orgs], 5000):
        audit.record_many(audit.Change("delete", obj, audit.snapshot(obj), None)
                          for obj in batch)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(Dependency._meta.db_table)} WHERE top_id = %s",
                       [top.pk])
        cursor.execute(f"DELETE FROM {quote(Node._meta.db_table)} WHERE top_id = %s", [top.pk])
        cursor.execute(f"DELETE FROM {quote(Organization._meta.db_table)} WHERE root_id = %s",
                       [top.pk])
        cursor.execute(f"DELETE FROM {quote(Organization._meta.db_table)} WHERE id = %s",
                       [top.pk])
    deleted = Counter(PLURAL[node.node_type] for node in nodes)
    deleted.update({"organizations": len(orgs), "dependencies": len(edges)})
    return deleted


@transaction.atomic
def synthetic_seed(*, scale: int, seed: int = 1, replace: bool = False,
                   progress: Callable[[str, int, int], None] | None = None) -> SeedResult:
    """Create the synthetic GHT ``SYN-<scale>``; an existing one is left alone unless
    ``replace``, in which case it is deleted (audited) and generated again."""
    code = synthetic.ght_code(scale)
    existing = Organization.objects.filter(code=code).first()
    deleted: Counter = Counter()
    if existing is not None:
        if existing.kind != OrganizationKind.GHT or existing.root_id is not None:
            raise SeedError(_("The code %(code)s is already used by an organization that is "
                              "not a GHT.") % {"code": code})
        if not replace:
            return SeedResult(ght=existing, status="exists")
        deleted = _purge(existing)
    spec = synthetic.generate(scale, seed)
    spec.check()
    result = SeedResult(ght=None, status="replaced" if existing else "created", deleted=deleted)
    orgs: dict[str, Organization] = {}
    for org in [spec.ght, *spec.organizations]:
        orgs[org.code] = organization_create(
            code=org.code, name=org.name, kind=org.kind,
            parent=orgs[org.parent] if org.parent else None, finess=org.finess,
            activity_weight=Decimal(org.weight))
    result.created["organizations"] = len(orgs)
    top = result.ght = orgs[spec.ght.code]

    nodes = {}
    for item in spec.nodes:
        node = Node(top=top, node_type=item.node_type, code=item.code, name=item.name,
                    organization=orgs[item.organization] if item.organization else None,
                    **item.fields)
        nodes[item.code] = node
        result.created[PLURAL[item.node_type]] += 1
    _bulk_create(Node, list(nodes.values()), progress, "nodes")
    edges = [Dependency(top=top, source=nodes[e.source], target=nodes[e.target],
                        degraded_autonomy_hours=e.autonomy, redundancy_group=e.group)
             for e in spec.edges]
    _bulk_create(Dependency, edges, progress, "dependencies")
    result.created["dependencies"] = len(edges)
    return result
