"""The Dependances sheet: one row per edge "Source depends on Cible".

The checks are those of ``inventory.services.dependency_validate`` (same rules, same
messages); the cycle check runs ``inventory.graph.find_cycle`` once over the GHT's existing
edges and the workbook's, and names each cycle by its codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pcra.core import audit
from pcra.core.models import AuditAction
from pcra.inventory.graph import find_cycle
from pcra.inventory.models import Dependency, Node, NodeType
from pcra.inventory.services import format_cycle
from pcra.workbook.handlers.base import (
    ExportScope,
    ExportTable,
    SheetHandler,
    changed_fields,
    column_labels,
    field_errors,
    record_change,
)
from pcra.workbook.handlers.nodes import node_state, owner_may_read
from pcra.workbook.importer import ImportContext, Row, SheetInput, SheetReport

BATCH = 1000
#: stop naming cycles after this many (each one is an error already)
MAX_CYCLES = 50


@dataclass
class _Plan:
    row: Row
    edge: Dependency
    source: Node
    target: Node
    before: dict | None
    action: str = "unchanged"


class DependencyHandler(SheetHandler):
    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        self.plans: list[_Plan] = []
        if data is None or data.unusable:
            return
        nodes = node_state(ctx)
        existing: dict[tuple[str, str], Dependency] = {}
        if ctx.ght.pk is not None:
            for edge in Dependency.objects.filter(top_id=ctx.ght.pk):
                source, target = nodes.by_id.get(edge.source_id), nodes.by_id.get(edge.target_id)
                if source is None or target is None:  # pragma: no cover - edges stay in a GHT
                    continue
                edge.source, edge.target = source, target
                existing[(source.code, target.code)] = edge
        seen: dict[tuple[str, str], int] = {}
        new_pairs: dict[tuple[str, str], Row] = {}
        for row in data.rows:
            source_code, target_code = row.values.get("source"), row.values.get("target")
            if not source_code or not target_code:
                continue
            source = self._node(ctx, data, row, "source", source_code, nodes)
            target = self._node(ctx, data, row, "target", target_code, nodes)
            if source is None or target is None:
                continue
            pair = (source_code, target_code)
            if pair in seen:
                ctx.error(data.name, row.number, data.header("target"),
                          _("Duplicate dependency: %(s)s → %(t)s is already on row %(row)d.")
                          % {"s": source_code, "t": target_code, "row": seen[pair]})
                continue
            seen[pair] = row.number
            if target.node_type == NodeType.ACTIVITY:
                ctx.error(data.name, row.number, data.header("target"),
                          _("An activity cannot be depended on: the target must be an "
                            "application or a component."))
                continue
            if source is target:
                ctx.error(data.name, row.number, data.header("target"),
                          _("A node cannot depend on itself."))
                continue
            plan = self._plan(ctx, data, row, source, target, existing.get(pair), report)
            if plan is not None:
                self.plans.append(plan)
                if plan.before is None:
                    new_pairs[pair] = row
        self._check_cycles(ctx, data, existing, new_pairs)

    def _node(self, ctx, data, row, key, code, nodes) -> Node | None:
        node = nodes.by_code.get(code)
        if node is None or not owner_may_read(ctx, node):
            ctx.error(data.name, row.number, data.header(key),
                      _("Unknown node %(code)s: no activity, application or component has this "
                        "code.") % {"code": code})
            return None
        return node

    def _plan(self, ctx, data, row, source, target, edge, report) -> _Plan | None:
        before = audit.snapshot(edge) if edge is not None else None
        if edge is None:
            edge = Dependency(degraded_autonomy_hours=None, redundancy_group="")
        if row.has("degraded_autonomy_hours"):
            edge.degraded_autonomy_hours = row.values["degraded_autonomy_hours"]
        if row.has("redundancy_group"):
            edge.redundancy_group = row.values["redundancy_group"] or ""
        errors = field_errors(edge, exclude=["top", "source", "target", "uuid", *row.bad])
        for name, messages in errors.items():
            for message in messages:
                ctx.error(data.name, row.number, data.header_for_field(name, "target"), message)
        plan = _Plan(row=row, edge=edge, source=source, target=target, before=before)
        label = f"{source.code} → {target.code}"
        changes: list[str] = []
        if before is None:
            plan.action = "created"
        else:
            changes = changed_fields(before, audit.snapshot(edge))
            if changes:
                plan.action = "updated"
        if plan.action != "unchanged" and not ctx.may_write(source.organization):
            ctx.error(data.name, row.number, data.header("source"),
                      ctx.write_denied(label, source.organization))
        record_change(report, row=row.number, key=label, action=plan.action,
                      fields=column_labels(data, changes))
        return plan

    @staticmethod
    def _hidden_codes(ctx, codes) -> set[str]:
        """Codes of existing nodes the importing user may not see (masked in messages)."""
        nodes = node_state(ctx).by_code
        return {code for code in codes
                if code in nodes and nodes[code].pk is not None
                and not ctx.may_read(nodes[code].organization_id)}

    def _check_cycles(self, ctx, data, existing, new_pairs) -> None:
        """Every cycle the new edges would close, each reported on the row of its last new
        edge, named by its codes from that edge's source (as the web form names it)."""
        pairs = set(existing) | set(new_pairs)
        for _round in range(MAX_CYCLES):
            cycle = find_cycle(sorted(pairs))
            if cycle is None:
                return
            steps = list(zip(cycle, cycle[1:], strict=False))
            candidates = [step for step in steps if step in new_pairs]
            if not candidates:  # pragma: no cover - the database refuses cycles
                ctx.error(data.name, None, None, _("The existing dependencies already hold a "
                                                   "cycle: %(cycle)s") % {
                    "cycle": format_cycle(cycle)})
                return
            step = max(candidates, key=lambda s: new_pairs[s].number)
            index = steps.index(step)
            loop = cycle[:-1]
            named = loop[index:] + loop[:index] + [step[0]]
            row = new_pairs[step]
            ctx.error(data.name, row.number, data.header("target"),
                      _("This dependency would close a cycle: %(cycle)s")
                      % {"cycle": format_cycle(named, self._hidden_codes(ctx, named))})
            pairs.discard(step)

    # -- writing ----------------------------------------------------------------------------
    def apply(self, ctx: ImportContext) -> None:
        created = [p for p in self.plans if p.action == "created"]
        updated = [p for p in self.plans if p.action == "updated"]
        for plan in created:
            plan.edge.top = ctx.ght
            plan.edge.source = plan.source  # nodes created by this import now have ids
            plan.edge.target = plan.target
        if created:
            Dependency.objects.bulk_create([p.edge for p in created], batch_size=BATCH)
        if updated:
            now = timezone.now()
            for plan in updated:
                plan.edge.updated_at = now
            Dependency.objects.bulk_update(
                [p.edge for p in updated],
                fields=["degraded_autonomy_hours", "redundancy_group", "updated_at"],
                batch_size=BATCH // 2)
        audit.record_many(
            [audit.Change(AuditAction.CREATE, p.edge, None, audit.snapshot(p.edge))
             for p in created]
            + [audit.Change(AuditAction.UPDATE, p.edge, p.before, audit.snapshot(p.edge))
               for p in updated])

    # -- export -----------------------------------------------------------------------------
    def export(self, scope: ExportScope) -> ExportTable:
        if scope.user is None:
            qs = Dependency.objects.all()
        else:
            from pcra.inventory.selectors import dependencies_visible_to

            qs = dependencies_visible_to(user=scope.user)
        edges = qs.filter(Q(top_id=scope.ght.pk)).select_related("source", "target")
        records = [
            {"source": e.source.code, "target": e.target.code,
             "degraded_autonomy_hours": e.degraded_autonomy_hours,
             "redundancy_group": e.redundancy_group or None}
            for e in sorted(edges, key=lambda e: (e.source.code, e.target.code))
        ]
        return self.table(records)
