"""The node sheets: Activites, Applications, Composants (one handler, one node type each).

The checks are those of ``inventory.services.node_validate`` (same rules, same messages), run
on dictionaries prefetched once per import instead of a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.core import audit
from pcra.core.models import AuditAction
from pcra.inventory.models import Node, NodeType
from pcra.inventory.services import (
    COMMON_FIELDS,
    NODE_TYPE_FIELDS,
    node_lock_errors,
    node_rules,
)
from pcra.organizations.models import Organization
from pcra.workbook.handlers.base import (
    ExportScope,
    ExportTable,
    SheetHandler,
    changed_fields,
    column_labels,
    field_errors,
    record_change,
)
from pcra.workbook.handlers.organizations import state as org_state
from pcra.workbook.importer import ImportContext, Row, SheetInput, SheetReport

BATCH = 500


class NodeState:
    """The GHT's nodes by code and by id, in their state after the import; shared by the node
    sheets and by the sheets that refer to nodes (dependencies and later ones)."""

    def __init__(self, ctx: ImportContext):
        orgs = org_state(ctx)
        ght = ctx.ght
        nodes = list(Node.objects.filter(top_id=ght.pk)) if ght.pk is not None else []
        for node in nodes:  # wire relations to the shared objects: no query per node later
            node.top = ght
            node.organization = orgs.by_id.get(node.organization_id) if (
                node.organization_id) else None
        self.by_id: dict[int, Node] = {n.pk: n for n in nodes}
        self.by_code: dict[str, Node] = {n.code: n for n in nodes}
        #: code -> (sheet name, row) of the node rows seen so far in the workbook
        self.rows: dict[str, tuple[str, int]] = {}


def node_state(ctx: ImportContext) -> NodeState:
    found = ctx.state.get("nodes")
    if found is None:
        found = NodeState(ctx)
        ctx.state["nodes"] = found
    return found  # type: ignore[return-value]


def owner_may_read(ctx: ImportContext, node: Node) -> bool:
    """May the importer see this node as it is in the database (new nodes: yes)?"""
    if node.pk is None:
        return True
    return ctx.may_read(node.organization_id)


@dataclass
class _Plan:
    row: Row
    node: Node
    before: dict | None
    org: Organization | None
    org_before: Organization | None
    action: str = "unchanged"


class NodeHandler(SheetHandler):
    @property
    def node_type(self) -> str:
        return self.sheet.options["node_type"]

    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        self.plans: list[_Plan] = []
        if data is None:
            return
        nodes = node_state(ctx)
        orgs = org_state(ctx)
        if data.unusable:  # known codes only, so that the dependencies do not fail in cascade
            for row in data.rows:
                code = row.values.get("code")
                if code and code not in nodes.by_code:
                    nodes.by_code[code] = Node(node_type=self.node_type, code=code)
            return
        for row in data.rows:
            code = row.values.get("code")
            if not code:
                continue
            if code in nodes.rows:
                sheet_name, number = nodes.rows[code]
                if sheet_name == data.name:
                    message = _("Duplicate code %(code)s: already on row %(row)d.") % {
                        "code": code, "row": number}
                else:
                    message = _("Duplicate code %(code)s: already on sheet %(sheet)s, row "
                                "%(row)d.") % {"code": code, "sheet": sheet_name, "row": number}
                ctx.error(data.name, row.number, data.header("code"), message)
                continue
            nodes.rows[code] = (data.name, row.number)
            node = nodes.by_code.get(code)
            # Read access first: a node the user may not see is never described (its type
            # would tell that it exists).
            if node is not None and not owner_may_read(ctx, node):
                ctx.error(data.name, row.number, data.header("code"), ctx.read_denied(code))
                continue
            if node is not None and node.node_type != self.node_type:
                ctx.error(data.name, row.number, data.header("code"),
                          _("The code %(code)s is already used in this GHT by a node of type "
                            "%(type)s.") % {"code": code,
                                            "type": NodeType(node.node_type).label})
                continue
            plan = self._build(ctx, data, row, node, nodes, orgs)
            self._validate(ctx, data, plan)
            self._rights_and_changes(ctx, data, plan, report)
            self.plans.append(plan)

    def _build(self, ctx, data, row, node, nodes: NodeState, orgs) -> _Plan:
        before = audit.snapshot(node) if node is not None else None
        org_before = node.organization if node is not None else None
        if node is None:
            node = Node(node_type=self.node_type, code=row.values["code"], name="")
            node.top = ctx.ght
            node.organization = None
            nodes.by_code[node.code] = node
        for column in self.sheet.columns:
            if column.key in ("code", "organization") or not row.has(column.key):
                continue
            setattr(node, column.field_name, row.values[column.key])
        org = org_before
        if row.has("organization"):
            org_code = row.values["organization"]
            if not org_code:
                org = None
            elif org_code in orgs.by_code:
                org = orgs.by_code[org_code]
            elif org_code in orgs.placeholders:
                row.bad.add("organization")
            else:
                ctx.error(data.name, row.number, data.header("organization"),
                          _("Unknown organization %(code)s.") % {"code": org_code})
                row.bad.add("organization")
        node.organization = org
        if data.extra_headers:
            attributes = dict(node.attributes or {})
            for header in data.extra_headers:
                value = row.extra.get(header)
                if value is None:
                    attributes.pop(header, None)
                else:
                    attributes[header] = value
            node.attributes = attributes
        return _Plan(row=row, node=node, before=before, org=org, org_before=org_before)

    def _validate(self, ctx: ImportContext, data: SheetInput, plan: _Plan) -> None:
        """``node_validate``'s rules on the imported state."""
        node, org, row = plan.node, plan.org, plan.row
        errors = node_rules(node, organization=org,
                            same_ght=org is None or org_state(ctx).top_of(org) is ctx.ght)
        # Cells already reported (unknown organization, bad value) are not reported twice.
        bad_fields = [self.sheet.column(k).field_name for k in row.bad if k in data.headers]
        for name in bad_fields:
            errors.pop(name, None)
        exclude = ["top", "uuid", "organization", *errors, *bad_fields]
        for name, messages in field_errors(node, exclude=exclude).items():
            errors.setdefault(name, []).extend(messages)
        for name, messages in errors.items():
            for message in messages:
                ctx.error(data.name, row.number, data.header_for_field(name), message)

    def _rights_and_changes(self, ctx: ImportContext, data: SheetInput, plan: _Plan,
                            report: SheetReport | None) -> None:
        node, org = plan.node, plan.org
        if plan.before is None:
            plan.action = "created"
            changes: list[str] = []
            if not ctx.may_write(org):
                ctx.error(data.name, plan.row.number, data.header("organization"),
                          ctx.write_denied(node.code, org))
        else:
            after = audit.snapshot(node)
            changes = [c for c in changed_fields(plan.before, after) if c != "organization_id"]
            if org is not plan.org_before:
                changes.append("organization")
            if changes:
                plan.action = "updated"
                for field, messages in node_lock_errors(node, set(changes)).items():
                    for message in messages:
                        ctx.error(data.name, plan.row.number, data.header_for_field(field),
                                  message)
                if not ctx.may_write(org):
                    ctx.error(data.name, plan.row.number, data.header("code"),
                              ctx.write_denied(node.code, org))
                elif org is not plan.org_before and not ctx.may_write(plan.org_before):
                    ctx.error(data.name, plan.row.number, data.header("organization"),
                              ctx.write_denied(node.code, plan.org_before))
        record_change(report, row=plan.row.number, key=node.code, action=plan.action,
                      fields=column_labels(data, changes))

    # -- writing ----------------------------------------------------------------------------
    def apply(self, ctx: ImportContext) -> None:
        created = [p for p in self.plans if p.action == "created"]
        updated = [p for p in self.plans if p.action == "updated"]
        for plan in created + updated:
            plan.node.top = ctx.ght
            plan.node.organization = plan.org  # the organization may have been created
        if created:
            Node.objects.bulk_create([p.node for p in created], batch_size=BATCH)
        if updated:
            now = timezone.now()
            for plan in updated:
                plan.node.updated_at = now
            fields = sorted((COMMON_FIELDS | NODE_TYPE_FIELDS[self.node_type]) | {"updated_at"})
            Node.objects.bulk_update([p.node for p in updated], fields=fields,
                                     batch_size=BATCH // 2)
        audit.record_many(
            [audit.Change(AuditAction.CREATE, p.node, None, audit.snapshot(p.node))
             for p in created]
            + [audit.Change(AuditAction.UPDATE, p.node, p.before, audit.snapshot(p.node))
               for p in updated])

    # -- export -----------------------------------------------------------------------------
    def export(self, scope: ExportScope) -> ExportTable:
        if scope.user is None:
            qs = Node.objects.filter(node_type=self.node_type)
        else:
            from pcra.inventory.selectors import nodes_visible_to

            qs = nodes_visible_to(user=scope.user, node_type=self.node_type)
        nodes = sorted(qs.filter(top_id=scope.ght.pk).select_related("organization"),
                       key=lambda n: n.code)
        records = []
        for node in nodes:
            record: dict[str, object] = {}
            for column in self.sheet.columns:
                if column.key == "organization":
                    record[column.key] = node.organization.code if node.organization else None
                else:
                    record[column.key] = getattr(node, column.field_name)
            records.append(record)
        extras = sorted({key for node in nodes for key in (node.attributes or {})})
        return self.table(records, extras=extras, attributes=[n.attributes or {} for n in nodes])
