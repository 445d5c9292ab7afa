"""The Etablissements sheet: GHT, legal entities (EJ) and establishments (ET).

This handler also decides which GHT the workbook is about (``ctx.ght``): the single top
organization of the sheet, or the one named by the caller, or the only one the caller knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from pcra.organizations.models import Organization
from pcra.organizations.services import (
    CHANGE,
    CREATE,
    MOVE,
    organization_change_denied,
    organization_children_errors,
)
from pcra.workbook.handlers.base import (
    ExportScope,
    ExportTable,
    SheetHandler,
    column_labels,
    field_errors,
    record_change,
)
from pcra.workbook.importer import ImportContext, Row, SheetInput, SheetReport

#: columns of the sheet and the model fields they fill
FIELDS = ("code", "name", "kind", "parent", "finess", "activity_weight")


class OrganizationState:
    """Every organization by code, in its state after the import (database rows changed in
    memory, new ones unsaved). Loaded in two queries' worth of rows (organizations are few)."""

    def __init__(self):
        rows = list(Organization.objects.all())
        self.by_id: dict[int, Organization] = {o.pk: o for o in rows}
        for org in rows:  # wire parents without a query per organization
            org.parent = self.by_id.get(org.parent_id) if org.parent_id else None
        self.by_code: dict[str, Organization] = {o.code: o for o in rows}
        #: codes of a sheet that could not be read (a required column is missing): rows that
        #: name them are not checked further, to avoid errors in cascade
        self.placeholders: set[str] = set()
        self._owners: set[int] | None = None

    def top_of(self, org: Organization) -> Organization | None:
        """The top of ``org`` in the imported state; None when its parents loop."""
        seen = set()
        node = org
        while node.parent is not None:
            if id(node) in seen:
                return None
            seen.add(id(node))
            node = node.parent
        return node

    def depth(self, org: Organization) -> int:
        depth, node, seen = 0, org, set()
        while node.parent is not None and id(node) not in seen:
            seen.add(id(node))
            node = node.parent
            depth += 1
        return depth

    def owners_of_nodes(self) -> set[int]:
        """Ids of organizations that own nodes or are the top of nodes (one query, lazily)."""
        if self._owners is None:
            from pcra.inventory.models import Node

            owners = set(Node.objects.exclude(organization__isnull=True)
                         .values_list("organization_id", flat=True).distinct())
            owners |= set(Node.objects.values_list("top_id", flat=True).distinct())
            self._owners = owners
        return self._owners

    def db_descendants(self, org: Organization) -> list[Organization]:
        children: dict[int, list[Organization]] = {}
        for other in self.by_id.values():
            if other.parent_id:
                children.setdefault(other.parent_id, []).append(other)
        out, stack = [], [org]
        while stack:
            current = stack.pop()
            for child in children.get(current.pk, []):
                out.append(child)
                stack.append(child)
        return out


def state(ctx: ImportContext) -> OrganizationState:
    return ctx.state["organizations"]  # type: ignore[return-value]


@dataclass
class _Plan:
    row: Row
    org: Organization
    before: dict | None
    #: the parent in the database (None for a new organization or a top one)
    parent_before: Organization | None = None
    action: str = "unchanged"


def _values(org: Organization) -> dict:
    return {"code": org.code, "name": org.name, "kind": org.kind,
            "parent": org.parent.code if org.parent is not None else "",
            "finess": org.finess or "",
            "activity_weight": format(Decimal(org.activity_weight or 0).normalize(), "f")}


class OrganizationHandler(SheetHandler):
    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        st = OrganizationState()
        ctx.state[self.sheet.key] = st
        self.plans: list[_Plan] = []
        if data is not None and data.unusable:
            st.placeholders = {r.values["code"] for r in data.rows if r.values.get("code")}
        elif data is not None:
            self._build(ctx, data, st)
            self._validate(ctx, data, st)
        self._choose_ght(ctx, data, st)
        if ctx.ght is None or data is None:
            return
        self._check_scope_and_rights(ctx, data, st, report)

    # -- building the imported state ------------------------------------------------------
    def _build(self, ctx: ImportContext, data: SheetInput, st: OrganizationState) -> None:
        seen: dict[str, int] = {}
        for row in data.rows:
            code = row.values.get("code")
            if not code:
                continue  # already reported (required value or unreadable cell)
            if code in seen:
                ctx.error(data.name, row.number, data.header("code"),
                          _("Duplicate code %(code)s: already on row %(row)d.")
                          % {"code": code, "row": seen[code]})
                continue
            seen[code] = row.number
            org = st.by_code.get(code)
            before = _values(org) if org is not None else None
            if org is None:
                org = Organization(code=code, name="", kind="", activity_weight=0)
                org.parent = None
                st.by_code[code] = org
            for key in ("name", "kind", "finess"):
                if row.has(key):
                    setattr(org, key, row.values[key])
            if row.has("activity_weight"):
                weight = row.values["activity_weight"]
                org.activity_weight = weight if weight is not None else 0
            self.plans.append(_Plan(row=row, org=org, before=before, parent_before=org.parent))
        for plan in self.plans:
            row = plan.row
            if not row.has("parent"):
                continue
            parent_code = row.values["parent"]
            if not parent_code:
                plan.org.parent = None
            elif parent_code not in st.by_code:
                ctx.error(data.name, row.number, data.header("parent"),
                          _("Unknown organization %(code)s.") % {"code": parent_code})
                row.bad.add("parent")
            else:
                plan.org.parent = st.by_code[parent_code]

    def _validate(self, ctx: ImportContext, data: SheetInput, st: OrganizationState) -> None:
        in_sheet = {id(p.org) for p in self.plans}
        for plan in self.plans:
            org, row = plan.org, plan.row
            errors = org.rule_errors()
            # Cells already reported (unknown parent, bad value) are not reported twice.
            for name in ("parent", "finess", "kind", "activity_weight"):
                if name in row.bad:
                    errors.pop(name, None)
            if org.parent is not None and org.parent.kind == "":
                errors.pop("parent", None)  # the parent's own row carries the error
            exclude = ["parent", "root", "uuid", *errors, *row.bad]
            for name, messages in field_errors(org, exclude=exclude).items():
                errors.setdefault(name, []).extend(messages)
            if org.parent is not None and st.top_of(org) is None:
                errors.setdefault("parent", []).append(
                    _("An organization cannot be placed below itself."))
            for name, messages in errors.items():
                for message in messages:
                    ctx.error(data.name, row.number, data.header_for_field(name), message)
                row.bad.add(name)
        # Organizations kept from the database must still fit below a parent that changed
        # (the same rule as the web form: organization_children_errors).
        kept_children: dict[int, list[Organization]] = {}
        for org in st.by_id.values():
            if id(org) not in in_sheet and org.parent is not None:
                kept_children.setdefault(id(org.parent), []).append(org)
        for plan in self.plans:
            if "kind" in plan.row.bad or not plan.org.kind:
                continue
            for message in organization_children_errors(plan.org,
                                                        kept_children.get(id(plan.org), [])):
                ctx.error(data.name, plan.row.number, data.header("kind"), message)
        # FINESS numbers are unique.
        by_finess: dict[str, list[Organization]] = {}
        for org in st.by_code.values():
            if org.finess:
                by_finess.setdefault(org.finess, []).append(org)
        for plan in self.plans:
            finess = plan.org.finess
            if finess and "finess" not in plan.row.bad and len(by_finess.get(finess, [])) > 1:
                ctx.error(data.name, plan.row.number, data.header("finess"),
                          _("The FINESS number %(f)s is already used.") % {"f": finess})

    # -- the GHT ----------------------------------------------------------------------------
    def _choose_ght(self, ctx: ImportContext, data: SheetInput | None,
                    st: OrganizationState) -> None:
        where = data.name if data is not None else self.sheet.label
        if ctx.ght_code:
            ght = st.by_code.get(ctx.ght_code)
            if ght is None or ght.parent is not None:
                ctx.error(where, None, None, _("No top organization (GHT) has the code "
                                               "%(code)s.") % {"code": ctx.ght_code})
                return
            ctx.ght = ght
            return
        tops: dict[int, Organization] = {}
        for plan in self.plans:
            if "parent" in plan.row.bad:
                continue  # an unknown parent: reported already, it says nothing of the GHT
            top = st.top_of(plan.org)
            if top is not None:
                tops[id(top)] = top
        if len(tops) == 1:
            ctx.ght = next(iter(tops.values()))
            return
        if len(tops) > 1:
            codes = ", ".join(sorted(t.code for t in tops.values()))
            ctx.error(where, None, None,
                      _("The workbook holds several GHTs (%(codes)s): import one GHT at a "
                        "time, or choose which one.") % {"codes": codes})
            return
        fallback = [st.by_id[t.pk] for t in (ctx.fallback_tops or []) if t.pk in st.by_id]
        if len(fallback) == 1:
            ctx.ght = fallback[0]
            return
        if data is not None and data.unusable:
            return  # the sheet's headers are wrong: that error says enough
        ctx.error(where, None, None,
                  _("Cannot tell which GHT this workbook is about: add the GHT to the "
                    "Etablissements sheet, or choose it."))

    def _check_scope_and_rights(self, ctx: ImportContext, data: SheetInput,
                                st: OrganizationState, report: SheetReport | None) -> None:
        ght = ctx.ght
        for plan in self.plans:
            org, row = plan.org, plan.row
            top = st.top_of(org)
            if top is not None and top is not ght and "parent" not in row.bad:
                ctx.error(data.name, row.number, data.header("parent"),
                          _("%(code)s belongs to %(top)s, not to %(ght)s: a workbook holds one "
                            "GHT.") % {"code": org.code, "top": top.code, "ght": ght.code})
                continue
            if plan.before is not None and (org.root_id or org.pk) != (ght.pk or -1):
                moved = [org, *st.db_descendants(org)]
                if any(o.pk in st.owners_of_nodes() for o in moved):
                    ctx.error(data.name, row.number, data.header("parent"),
                              _("This organization owns activities, applications or "
                                "components: it cannot move to another GHT."))
                    continue
            after = _values(org)
            # Who may create, change or move an organization: the rule of the web pages.
            if plan.before is None:
                plan.action = "created"
                denied = organization_change_denied(access=ctx.access, action=CREATE,
                                                    organization=org, parent=org.parent)
                if denied:
                    ctx.error(data.name, row.number, data.header("code"), denied)
                changes: list[str] = []
            else:
                if not ctx.may_read(org.pk):
                    ctx.error(data.name, row.number, data.header("code"),
                              ctx.read_denied(org.code))
                    continue
                changes = [k for k in FIELDS if plan.before[k] != after[k]]
                if changes:
                    plan.action = "updated"
                    denied = organization_change_denied(access=ctx.access, action=CHANGE,
                                                        organization=org)
                    if denied:
                        ctx.error(data.name, row.number, data.header("code"), denied)
                    elif "parent" in changes and (denied := organization_change_denied(
                            access=ctx.access, action=MOVE, organization=org,
                            parent=org.parent, old_parent=plan.parent_before)):
                        ctx.error(data.name, row.number, data.header("parent"), denied)
            record_change(report, row=row.number, key=org.code, action=plan.action,
                          fields=column_labels(data, changes))

    # -- writing ----------------------------------------------------------------------------
    def apply(self, ctx: ImportContext) -> None:
        st = state(ctx)
        todo = [p for p in self.plans if p.action in ("created", "updated")]
        todo.sort(key=lambda p: st.depth(p.org))
        for plan in todo:
            plan.org.parent = plan.org.parent  # a parent created just before now has an id
            plan.org.save()  # audited by the signal handlers
        # A parent that moved moves its subtree: recompute the stored tops, parents first.
        for org in sorted(st.by_code.values(), key=st.depth):
            if org.pk is None:
                continue
            expected = org.parent.top_id if org.parent is not None else None
            if org.root_id != expected:
                org.save()

    # -- export -----------------------------------------------------------------------------
    def export(self, scope: ExportScope) -> ExportTable:
        ght = scope.ght
        if scope.user is None:
            qs = Organization.objects.all()
        else:
            from pcra.organizations.selectors import organizations_visible_to

            qs = organizations_visible_to(user=scope.user)
        qs = qs.filter(Q(pk=ght.pk) | Q(root_id=ght.pk)).select_related("parent")
        records = [
            {"code": o.code, "name": o.name, "kind": o.kind,
             "parent": o.parent.code if o.parent_id else None, "finess": o.finess or None,
             "activity_weight": o.activity_weight}
            for o in sorted(qs, key=lambda o: o.code)
        ]
        return self.table(records)
