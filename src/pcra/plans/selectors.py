"""Reads of the plans app, scoped by the user's memberships (DESIGN §5), and the content of an
organization's crisis binder (what the PDF, the offline kit and their freshness are made of).

A plan, a contact or a reflex sheet belongs to an organization (empty = the whole GHT): its
readers are that organization's (roles flow down the hierarchy) and, for a plan, the readers of
the establishments it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from pcra.accounts.access import access_for
from pcra.organizations.models import Organization
from pcra.organizations.selectors import organization_ids_below
from pcra.plans import coverage
from pcra.plans.models import (
    Contact,
    ContinuityPlan,
    KitExport,
    PlanStatus,
    ReflexSheet,
    ReflexStep,
)
from pcra.plans.services import contact_data, content_hash


def _scoped(qs: QuerySet, user) -> QuerySet:
    access = access_for(user)
    if access.is_superuser:
        return qs
    return qs.filter(Q(organization_id__in=access.organization_ids)
                     | Q(organization__isnull=True, top_id__in=access.top_ids))


def _with_ancestors(ids: set[int]) -> set[int]:
    """``ids`` and every organization above them (one query)."""
    if not ids:
        return set()
    parents = dict(Organization.objects.filter(
        Q(root_id__in=Organization.objects.filter(pk__in=ids).values("root_id"))
        | Q(pk__in=ids)).values_list("pk", "parent_id"))
    out = set()
    for org in ids:
        while org is not None and org not in out:
            out.add(org)
            org = parents.get(org)
    return out


def plans_visible_to(*, user) -> QuerySet[ContinuityPlan]:
    """Plans owned by an organization the user reads (the GHT's to its readers), and plans
    that apply to one of the user's organizations or to an organization above it (a plan of
    the legal entity applies to its establishments: it is in their binder)."""
    access = access_for(user)
    qs = ContinuityPlan.objects.select_related("top", "organization")
    if access.is_superuser:
        return qs
    visible = ContinuityPlan.objects.filter(
        Q(organization_id__in=access.organization_ids)
        | Q(organization__isnull=True, top_id__in=access.top_ids)
        | Q(establishments__in=_with_ancestors(set(access.organization_ids)))).values("pk")
    return qs.filter(pk__in=visible)


def current_versions(qs: QuerySet[ContinuityPlan]) -> QuerySet[ContinuityPlan]:
    """The newest version of each plan among those of ``qs``."""
    newest = (qs.model.objects.filter(pk__in=qs.values("pk"), top_id=OuterRef("top_id"),
                                      code=OuterRef("code"))
              .order_by("-version").values("version")[:1])
    return qs.filter(version=Subquery(newest))


def approved_versions(qs: QuerySet[ContinuityPlan]) -> QuerySet[ContinuityPlan]:
    """The approved version of each plan in ``qs`` (at most one per plan)."""
    return qs.filter(status=PlanStatus.APPROVED)


def contacts_visible_to(*, user) -> QuerySet[Contact]:
    return _scoped(Contact.objects.select_related("organization", "alerted_by"), user)


def reflex_sheets_visible_to(*, user) -> QuerySet[ReflexSheet]:
    return _scoped(ReflexSheet.objects.select_related("organization"), user)


def can_edit(user, obj) -> bool:
    return access_for(user).can_write(obj.organization_id, top_id=obj.top_id)


def can_approve(user, plan: ContinuityPlan) -> bool:
    from pcra.accounts.models import Role

    return access_for(user).role_on(plan.organization_id, top_id=plan.top_id) == Role.ADMIN


def plan_versions(plan: ContinuityPlan, *, user) -> list[ContinuityPlan]:
    """The versions of the plan the user may see, newest first."""
    return list(plans_visible_to(user=user).filter(top_id=plan.top_id, code=plan.code)
                .select_related("approved_by", "submitted_by").order_by("-version"))


# --- Coverage --------------------------------------------------------------------------------


def coverage_of_top(*, top_id: int) -> coverage.Coverage:
    """CaRE D2 O1.c coverage of a GHT by its approved plans (unscoped: the figures of the
    whole GHT; pages show it to the GHT's readers)."""
    orgs = [coverage.Entity(o.pk, o.code, o.name, o.activity_weight, o.parent_id)
            for o in Organization.objects.filter(Q(pk=top_id) | Q(root_id=top_id))]
    by_code = {o.code: o.id for o in orgs}
    plans = []
    # As approved (the snapshot): editing or deleting a node later does not move coverage.
    for plan in ContinuityPlan.objects.filter(top_id=top_id, status=PlanStatus.APPROVED):
        content = plan.snapshot or {}
        ids = frozenset(by_code[o["code"]] for o in content.get("establishments", [])
                        if o["code"] in by_code)
        if not ids:
            ids = frozenset({plan.organization_id or top_id})
        plans.append(coverage.ApprovedPlan(
            plan.code, plan.title,
            frozenset(a["kind"] for a in content.get("activities", [])), ids))
    return coverage.compute(orgs, plans)


# --- The binder ------------------------------------------------------------------------------


@dataclass
class Binder:
    """What an organization's crisis binder holds (plain data, ready for the PDF and the offline
    kit), and its ``content_hash``."""

    organization: dict
    plans: list[dict] = field(default_factory=list)
    reflex_sheets: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    recovery: list[dict] = field(default_factory=list)
    content_hash: str = ""


def _chain_ids(org: Organization) -> set[int]:
    """The organization and those above it."""
    ids = {org.pk}
    current = org
    while current.parent_id is not None:
        current = current.parent
        ids.add(current.pk)
    return ids


def binder(*, organization: Organization, user=None) -> Binder:
    """The binder of ``organization``: the approved plans that apply to it or to an
    establishment under it, the reflex sheets and contacts of the GHT, of the organizations
    above it and below it, and the newest computed recovery plan (PRI) of each scenario that
    concerns it. ``user``: names in the PRI only for the nodes that user may see (None: the
    command line, everything). The hash covers the content, not who reads it or when."""
    top_id = organization.top_id
    below = organization_ids_below(top_id, [organization])
    related = below | _chain_ids(organization)
    if organization.pk == top_id:
        applies = ContinuityPlan.objects.filter(top_id=top_id, status=PlanStatus.APPROVED)
    else:
        applies = ContinuityPlan.objects.filter(
            Q(establishments__in=related) | Q(organization_id__in=below),
            top_id=top_id, status=PlanStatus.APPROVED).distinct()
    plans = [dict(p.snapshot, content_hash=p.content_hash, uuid=str(p.uuid))
             for p in applies.order_by("code", "pk")]
    owned = Q(organization__isnull=True) | Q(organization_id__in=related)
    sheets = [{"code": s.code, "title": s.title, "situation": s.situation,
               "organization": s.organization.code if s.organization else "",
               "steps": [{"when": st.when, "who": st.who, "action": st.action}
                         for st in s.steps.all()]}
              for s in ReflexSheet.objects.filter(owned, top_id=top_id)
              .select_related("organization")
              .prefetch_related(Prefetch("steps", ReflexStep.objects.order_by("position", "pk")))
              .order_by("position", "title", "pk")]
    contact_rows = list(Contact.objects.filter(owned, top_id=top_id)
                        .select_related("organization", "alerted_by")
                        .order_by("position", "name", "pk"))
    contacts = [dict(contact_data(c), id=c.pk, alerted_by=c.alerted_by_id,
                     organization=c.organization.code if c.organization else "")
                for c in contact_rows]
    recovery = _recovery(top_id, related, user)
    result = Binder(organization={"code": organization.code, "name": organization.name,
                                  "kind": organization.kind, "finess": organization.finess},
                    plans=plans, reflex_sheets=sheets, contacts=contacts, recovery=recovery)
    result.content_hash = content_hash({
        "organization": result.organization,
        "plans": [p["content_hash"] for p in plans],
        "reflex_sheets": sheets, "contacts": contacts,
        "recovery": [(r["plan"], r["computed_at"]) for r in recovery],
    })
    return result


def _recovery(top_id: int, related: set[int], user) -> list[dict]:
    from pcra.recovery.display import minutes_text
    from pcra.recovery.models import TaskKind
    from pcra.recovery.selectors import latest_plans

    access = access_for(user) if user is not None else None
    out = []
    for plan in sorted(latest_plans(top_id=top_id).values(), key=lambda p: p.scenario.code):
        scenario = plan.scenario
        if scenario.organization_id is not None and scenario.organization_id not in related:
            continue
        tasks = list(plan.tasks.order_by("start_minutes", "code"))

        def visible(task) -> bool:
            # Named when it belongs to the binder's organizations (or is shared by the GHT),
            # and, for a reader, when that reader may see it: a kit handed to one
            # establishment does not name another's systems.
            in_scope = (task.organization_id in related
                        or (task.organization_id is None and task.shared))
            return in_scope and (access is None
                                 or access.can_read(task.organization_id, top_id=top_id))

        names = {t.code: f"{t.code} – {t.name}" for t in tasks if visible(t)}
        activities = [{"name": names[t.code], "back": minutes_text(t.end_minutes),
                       "due": minutes_text(t.due_minutes),
                       "late": bool(t.lateness_minutes)}
                      for t in sorted(tasks, key=lambda t: (t.end_minutes, t.code))
                      if t.node_type == "activity" and t.code in names]
        teams: dict[str, list[dict]] = {}
        for t in tasks:
            if t.kind == TaskKind.MILESTONE:
                continue
            key = t.team if t.kind == TaskKind.RESTORE else ""
            teams.setdefault(key, []).append({
                "name": names.get(t.code, ""), "start": minutes_text(t.start_minutes),
                "end": minutes_text(t.end_minutes),
                "waits": [names.get(code, "") for code in t.waits_for]})
        out.append({
            "plan": str(plan.uuid), "scenario": plan.scenario_name,
            "computed_at": plan.finished_at.isoformat() if plan.finished_at else "",
            "everything_back": minutes_text(plan.makespan_minutes),
            "method": plan.method_label, "activities": activities,
            "teams": [{"team": team, "steps": steps} for team, steps in
                      sorted(teams.items(), key=lambda item: (item[0] == "", item[0]))],
        })
    return out


# --- Kits ------------------------------------------------------------------------------------


@dataclass
class KitFreshness:
    organization: Organization
    kit: KitExport
    changed: bool


def kit_freshness(*, user) -> list[KitFreshness]:
    """For each organization the user may read that has an exported kit: its newest kit and
    whether the binder changed since (the hash of its content differs)."""
    access = access_for(user)
    kits = KitExport.objects.select_related("organization", "organization__parent")
    if not access.is_superuser:
        kits = kits.filter(organization_id__in=access.organization_ids)
    newest: dict[int, KitExport] = {}
    for kit in kits.order_by("organization_id", "-created_at", "-pk"):
        newest.setdefault(kit.organization_id, kit)
    return [KitFreshness(kit.organization, kit,
                         binder(organization=kit.organization).content_hash != kit.content_hash)
            for kit in sorted(newest.values(), key=lambda k: k.organization.code)]

