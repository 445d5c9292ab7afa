"""Writing the demo GHT and the synthetic GHT. Atomic and audited, like every write.

* :func:`demo_seed` writes the realistic demo (``data.py``) through the inventory,
  organization and impact services, so it obeys exactly the rules users obey (validation, cycle
  refusal, locked BIAs, one audit entry per change). It updates organizations, nodes and edges
  in place by code: running it again changes nothing. A BIA's history is never rewritten: an
  activity that has a BIA already keeps it as it is; campaigns are matched by organization and
  name, and their dates, relative to the day of the first seeding, are not moved afterwards.
* :func:`synthetic_seed` writes a synthetic GHT of N establishments (``synthetic.py``) with
  ``bulk_create`` in batches and :func:`pcra.core.audit.record_many`: thousands of nodes, edges
  and BIA levels in seconds. The definition is checked (codes, references, acyclicity) before
  writing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.core import audit
from pcra.demo import data, synthetic
from pcra.demo.spec import SIGNED_OFF, SUBMITTED, GhtSpec
from pcra.impact.models import (
    BiaCampaign,
    BiaStatus,
    BusinessImpactAnalysis,
    ImpactCriterion,
    ImpactHorizon,
    ImpactLevel,
    ImpactScale,
)
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
    #: what the demo's backups hold (data assets, copies), when they were seeded
    backups: dict = field(default_factory=dict)

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

    def bia_totals(self) -> dict[str, int]:
        """The status of each activity's current BIA version ("missing" without BIA), and the
        number of BIA campaigns of the GHT."""
        return bia_totals(self.ght)


def bia_totals(ght: Organization) -> dict[str, int]:
    current: dict[int, str] = {}
    for activity_id, status in (BusinessImpactAnalysis.objects.filter(activity__top=ght)
                                .order_by("activity_id", "-version")
                                .values_list("activity_id", "status")):
        current.setdefault(activity_id, status)
    counts = Counter(current.values())
    activities = Node.objects.filter(top=ght, node_type=NodeType.ACTIVITY).count()
    org_ids = Organization.objects.filter(root=ght).values_list("pk", flat=True)
    return {"signed_off": counts[BiaStatus.SIGNED_OFF], "submitted": counts[BiaStatus.SUBMITTED],
            "draft": counts[BiaStatus.DRAFT], "missing": activities - len(current),
            "campaigns": BiaCampaign.objects.filter(organization_id__in=[ght.pk, *org_ids])
            .count()}


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
def demo_seed(*, spec: GhtSpec | None = None, backups: bool = False) -> SeedResult:
    """Create the demo GHT, or bring an existing one back to the definition (by code); with
    ``backups``, also its real restic and Borg repositories, collected and verified
    (``pcra.demo.backups``)."""
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
    _seed_bias(spec, top, nodes, orgs, result)
    if backups:
        from pcra.demo.backups import seed_backups

        result.backups = seed_backups(top, nodes)
    from pcra.demo.recovery import seed_recovery

    # With the backups, the restore tests have measured durations: the plan is worth showing.
    seed_recovery(top, plan=backups)
    from pcra.demo.plans import seed_plans

    made = seed_plans(top, nodes=nodes, orgs=orgs, signer=_demo_signer(top, result))
    for name, count in made.items():
        if count:
            result.created[name] += count
    return result


def _demo_signer(top: Organization, result: SeedResult):
    """The demo account that signs the BIAs off: no usable password (it cannot log in), an
    administrator of the demo GHT only so that its signature is that of the direction."""
    from django.contrib.auth import get_user_model

    from pcra.accounts.models import Membership, Role

    user_model = get_user_model()
    user = user_model.objects.filter(username=data.SIGNER["username"]).first()
    if user is None:
        user = user_model(**data.SIGNER)
        user.set_unusable_password()
        user.save()
        result.created["users"] += 1
    if not Membership.objects.filter(user=user, organization=top).exists():
        Membership.objects.create(user=user, organization=top, role=Role.ADMIN)
        result.created["memberships"] += 1
    return user


def _seed_bias(spec: GhtSpec, top: Organization, nodes: dict[str, Node],
               orgs: dict[str, Organization], result: SeedResult) -> None:
    """The BIA of the activities that have none yet, version by version through the impact
    services (draft → submitted → signed off), then the campaigns that do not exist yet."""
    from pcra.impact.services import (
        bia_set_levels,
        bia_sign_off,
        bia_start,
        bia_submit,
        campaign_create,
        scale_ensure,
    )

    if not spec.bias and not spec.campaigns:
        return
    scale_ensure(top=top)
    signer = _demo_signer(top, result)
    started = set(BusinessImpactAnalysis.objects.filter(activity__top=top)
                  .values_list("activity_id", flat=True))
    for item in spec.bias:
        node = nodes[item.activity]
        if node.pk in started:
            continue
        for version in item.versions:
            bia = bia_start(activity=node)
            bia_set_levels(bia=bia, levels=version.levels)
            if version.status in (SUBMITTED, SIGNED_OFF):
                bia_submit(bia=bia, user=signer)
            if version.status == SIGNED_OFF:
                bia_sign_off(bia=bia, user=signer)
            result.created["bias"] += 1
    today = timezone.localdate()
    existing = set(BiaCampaign.objects.filter(organization__in=orgs.values())
                   .values_list("organization_id", "name"))
    for campaign in spec.campaigns:
        org = orgs[campaign.organization]
        if (org.pk, campaign.name) in existing:
            continue
        campaign_create(organization=org, name=campaign.name,
                        starts_on=today + dt.timedelta(days=campaign.starts_in_days),
                        due_on=today + dt.timedelta(days=campaign.due_in_days))
        result.created["campaigns"] += 1


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
    owned = {Node, Dependency, Organization, ImpactScale, BusinessImpactAnalysis, BiaCampaign}
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
    kind_order = {OrganizationKind.ET: 0, OrganizationKind.EJ: 1, OrganizationKind.GHT: 2}
    orgs = sorted(Organization.objects.filter(pk__in=org_ids), key=lambda o: kind_order[o.kind])
    # Relations wired in memory: the audit entries need them, without a query per row.
    org_by_id = {org.pk: org for org in orgs}
    for org in orgs:
        org.parent = org_by_id.get(org.parent_id) if org.parent_id else None
    nodes = list(Node.objects.filter(top=top))
    for node in nodes:
        node.top = top
        node.organization = org_by_id.get(node.organization_id) if node.organization_id else None
    by_id = {node.pk: node for node in nodes}
    edges = list(Dependency.objects.filter(top=top))
    for edge in edges:
        edge.source, edge.target = by_id[edge.source_id], by_id[edge.target_id]
    # The BIA first (levels, versions, the scale, campaigns): they point at nodes and
    # organizations.
    bias = list(BusinessImpactAnalysis.objects.filter(activity__top=top))
    for bia in bias:
        bia.activity = by_id[bia.activity_id]
    bia_by_id = {bia.pk: bia for bia in bias}
    levels = list(ImpactLevel.objects.filter(bia__activity__top=top))
    for level in levels:
        level.bia = bia_by_id[level.bia_id]
    scales = list(ImpactScale.objects.filter(top=top).select_related("top"))
    scale_parts = [*ImpactCriterion.objects.filter(scale__top=top).select_related("scale"),
                   *ImpactHorizon.objects.filter(scale__top=top).select_related("scale")]
    campaigns = list(BiaCampaign.objects.filter(organization_id__in=org_ids))
    impact = [*levels, *bias, *scale_parts, *scales, *campaigns]
    for batch in _batches([*impact, *edges, *nodes, *orgs], 5000):
        audit.record_many(audit.Change("delete", obj, audit.snapshot(obj), None)
                          for obj in batch)
    for queryset in (ImpactLevel.objects.filter(bia__activity__top=top),
                     BusinessImpactAnalysis.objects.filter(activity__top=top),
                     ImpactCriterion.objects.filter(scale__top=top),
                     ImpactHorizon.objects.filter(scale__top=top),
                     ImpactScale.objects.filter(top=top),
                     BiaCampaign.objects.filter(organization_id__in=org_ids)):
        # Audited above, in bulk, rather than one signal per row.
        queryset._raw_delete(queryset.db)
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
    deleted.update({"bias": len(bias), "campaigns": len(campaigns)})
    return +deleted


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
    _bulk_bias(spec, top, nodes, progress, result)
    return result


#: who signs the synthetic BIAs off (no account: the name is kept with the signature)
SYNTHETIC_SIGNER = "Direction (synthétique)"


def _bulk_bias(spec: GhtSpec, top: Organization, nodes: dict[str, Node],
               progress: Callable[[str, int, int], None] | None, result: SeedResult) -> None:
    """The synthetic BIAs in their final state, written in bulk and audited with
    ``record_many``; a signed-off version keeps what was signed as ``bia_sign_off`` does."""
    from pcra.impact import rules
    from pcra.impact.selectors import scale_data
    from pcra.impact.services import scale_ensure

    if not spec.bias:
        return
    scale = scale_ensure(top=top)
    criteria = dict(scale.criteria.values_list("code", "id"))
    horizons = dict(scale.horizons.values_list("code", "id"))
    rule_scale = scale_data(top_id=top.pk).rule_scale
    now = timezone.now()
    bias, levels = [], []
    for item in spec.bias:
        node = nodes[item.activity]
        for number, version in enumerate(item.versions, start=1):
            bia = BusinessImpactAnalysis(activity=node, version=number, status=version.status)
            if version.status in (SUBMITTED, SIGNED_OFF):
                bia.submitted_at = now
            if version.status == SIGNED_OFF:
                computed = rules.dmia_hours(version.levels, rule_scale)
                dmia, source = rules.effective_dmia(computed, node.declared_dmia_hours)
                bia.signed_off_at = now
                bia.signed_off_by_name = SYNTHETIC_SIGNER
                bia.signoff = {
                    "activity": node.code, "version": number,
                    "levels": [[c, h, lv] for (c, h), lv in sorted(version.levels.items())],
                    "pdma_hours": _float(node.pdma_hours),
                    "declared_dmia_hours": _float(node.declared_dmia_hours),
                    "declared_dmia_reason": node.declared_dmia_reason,
                    "dmia_hours": dmia, "dmia_source": source,
                    "signed_off_at": now.isoformat(), "signed_off_by": SYNTHETIC_SIGNER,
                }
            bias.append(bia)
            levels += [ImpactLevel(bia=bia, criterion_id=criteria[c], horizon_id=horizons[h],
                                   level=level)
                       for (c, h), level in sorted(version.levels.items())]
    _bulk_create(BusinessImpactAnalysis, bias, progress, "BIA")
    _bulk_create(ImpactLevel, levels, progress, "impact levels")
    result.created["bias"] = len(bias)


def _float(value) -> float | None:
    return float(value) if value is not None else None
