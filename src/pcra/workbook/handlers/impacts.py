"""The Impacts sheet (BIA): one row per activity and criterion, a level 0–4 per horizon.

Import: the levels go into each activity's current draft BIA (a v1 draft is created for an
activity without BIA). A row that would change a level of a submitted or signed-off BIA is
refused with the message of the activity lock (``impact.locks``); an unchanged row of such a
BIA is fine, so re-importing an export changes nothing. An empty cell clears the level; an
absent column leaves its levels as they are. The checks are those of
``impact.services.bia_set_levels`` (same messages), run on data loaded once per import.

Export: every activity (sorted by code) × every criterion of the GHT's scale (in scale order),
with the levels of the activity's effective BIA as the selectors see it (the latest signed-off
version, else the current one); empty cells where nothing is assessed, so the sheet doubles as
the grid to fill in.

Horizon columns: the six default ones (``1h`` … ``1mois``, keys ``h1`` … ``m1``) are declared;
a GHT whose scale has other horizons exchanges them as extra columns headed by their code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcra.core import audit
from pcra.core.models import AuditAction
from pcra.impact import defaults
from pcra.impact.locks import lock_message
from pcra.impact.models import BiaStatus, BusinessImpactAnalysis, ImpactLevel, ImpactScale
from pcra.inventory.models import Node, NodeType
from pcra.workbook import values
from pcra.workbook.handlers.base import ExportScope, ExportTable, SheetHandler, record_change
from pcra.workbook.handlers.nodes import node_state, owner_may_read
from pcra.workbook.importer import NOTICE, ImportContext, Row, SheetInput, SheetReport
from pcra.workbook.spec import Column, Kind

BATCH = 1000

#: (column key = horizon code, French header) of the declared horizon columns
HORIZON_COLUMNS = (("h1", "1h"), ("h4", "4h"), ("h24", "24h"), ("h72", "72h"), ("w1", "1sem"),
                   ("m1", "1mois"))
HORIZON_KEYS = frozenset(key for key, _label in HORIZON_COLUMNS)
LEVEL_CHOICES = [(level, str(level)) for level, _label in defaults.LEVELS]
LEVEL_HELP = gettext_lazy(
    "Impact level at this horizon: 0 none, 1 minor, 2 significant, 3 serious, 4 critical. "
    "Empty = not assessed (an empty cell clears the level).")

_WHOLE = re.compile(r"^[+-]?\d+([.,]0*)?$")

Cell = tuple[str, str]  # (criterion code, horizon code)


def parse_level(raw: object) -> int | None:
    """An impact level: a whole number from 0 to 4 (``3``, ``3.0``, ``"3"``); empty gives
    None. Anything else raises :class:`values.CellError` with the message of
    ``impact.services.bia_set_levels``."""
    if values.is_empty(raw):
        return None
    number: int | None = None
    if isinstance(raw, bool):
        number = None
    elif isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        number = int(raw) if raw.is_integer() else None
    elif isinstance(raw, Decimal):
        number = int(raw) if raw.is_finite() and raw == raw.to_integral_value() else None
    elif _WHOLE.match(str(raw).strip()):
        number = int(re.split(r"[.,]", str(raw).strip())[0])
    if number is None or not 0 <= number <= 4:
        raise values.CellError(_("A level is a whole number from 0 to 4, not %(value)s.")
                               % {"value": values.parse_text(raw)})
    return number


@dataclass(frozen=True)
class LevelColumn(Column):
    """A horizon column: a drop-down 0–4 in the template, read by :func:`parse_level`."""

    def parse(self, raw: object) -> object:
        return parse_level(raw)


def level_columns() -> tuple[LevelColumn, ...]:
    return tuple(LevelColumn(key, label, Kind.CHOICE, choices=LEVEL_CHOICES, help=LEVEL_HELP)
                 for key, label in HORIZON_COLUMNS)


# --- the GHT's scale, as the import sees it ----------------------------------------------------


@dataclass
class ScaleInfo:
    """Criteria and horizons of the GHT's scale (the defaults when it has none yet)."""

    criteria: list[str]
    #: folded code or label → criterion code
    aliases: dict[str, str]
    horizons: list[str]  # in order of hours


def _default_labels(code: str) -> set[str]:
    """The default label of a criterion in every language of the interface."""
    labels = set()
    for default_code, label, _descriptions in defaults.CRITERIA:
        if default_code == code:
            for language in ("fr", "en"):
                with translation.override(language):
                    labels.add(str(label))
    return labels


def scale_info(top_id: int | None) -> ScaleInfo:
    scale = ImpactScale.objects.filter(top_id=top_id).first() if top_id is not None else None
    if scale is None:
        criteria = [(code, str(label)) for code, label, _d in defaults.CRITERIA]
        horizons = [code for code, _label, _hours in defaults.HORIZONS]
    else:
        criteria = list(scale.criteria.values_list("code", "label"))
        horizons = list(scale.horizons.values_list("code", flat=True))
    aliases: dict[str, str] = {}
    for code, label in criteria:  # labels first: a code always wins over another's label
        for text in {label, *_default_labels(code)}:
            aliases.setdefault(values.fold(text), code)
    for code, _label in criteria:
        aliases[values.fold(code)] = code
    return ScaleInfo([c for c, _l in criteria], aliases, horizons)


# --- import ------------------------------------------------------------------------------------


@dataclass
class _ActivityPlan:
    """The BIA of one activity: its latest version and levels, and what the workbook does."""

    node: Node
    bia: BusinessImpactAnalysis | None
    levels: dict[Cell, ImpactLevel]
    set: dict[Cell, int] = field(default_factory=dict)
    clear: list[Cell] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.set or self.clear)


class ImpactHandler(SheetHandler):
    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        self.activities: dict[str, _ActivityPlan] = {}
        if data is None or data.unusable:
            return
        top_id = ctx.ght.pk
        scale = scale_info(top_id)
        extra = self._extra_horizons(ctx, data, scale)
        nodes = node_state(ctx)
        latest, levels = self._load(top_id, nodes)
        seen: dict[tuple[str, str], int] = {}
        for row in data.rows:
            code, label = row.values.get("activity"), row.values.get("criterion")
            cells = self._cells(ctx, data, row, scale, extra)
            if not code or not label:
                continue
            node = nodes.by_code.get(code)
            if node is None or not owner_may_read(ctx, node):
                ctx.error(data.name, row.number, data.header("activity"),
                          _("Unknown activity %(code)s.") % {"code": code})
                continue
            if node.node_type != NodeType.ACTIVITY:
                ctx.error(data.name, row.number, data.header("activity"),
                          _("%(code)s is not an activity (it is of type %(type)s): a BIA is "
                            "made for an activity.")
                          % {"code": code, "type": NodeType(node.node_type).label})
                continue
            if node.pk is None and code not in nodes.rows:
                continue  # named on a node sheet that could not be read: already an error
            criterion = scale.aliases.get(values.fold(label))
            if criterion is None:
                ctx.error(data.name, row.number, data.header("criterion"),
                          _("Unknown criterion %(value)s: expected one of %(codes)s.")
                          % {"value": label, "codes": ", ".join(scale.criteria)})
                continue
            if (code, criterion) in seen:
                ctx.error(data.name, row.number, data.header("criterion"),
                          _("Duplicate row: the criterion %(criterion)s of %(code)s is already "
                            "on row %(row)d.") % {"criterion": criterion, "code": code,
                                                  "row": seen[(code, criterion)]})
                continue
            seen[(code, criterion)] = row.number
            if cells is None:
                continue  # a bad cell, already reported
            plan = self.activities.get(code)
            if plan is None:
                bia = latest.get(node.pk) if node.pk is not None else None
                plan = _ActivityPlan(node=node, bia=bia,
                                     levels=levels.get(bia.pk, {}) if bia is not None else {})
                self.activities[code] = plan
            self._plan_row(ctx, data, row, plan, criterion, cells, report)

    def _extra_horizons(self, ctx: ImportContext, data: SheetInput,
                        scale: ScaleInfo) -> dict[str, str]:
        """Unknown columns headed by the code of one of the scale's other horizons: header →
        horizon code. Their "not a pcra column" notices are withdrawn."""
        others = {values.fold(code): code for code in scale.horizons if code not in HORIZON_KEYS}
        found = {header: others[values.fold(header)] for header in data.extra_headers
                 if values.fold(header) in others}
        if found:
            ctx.issues = [issue for issue in ctx.issues if not (
                issue.level == NOTICE and issue.sheet == data.name and issue.row == 1
                and issue.column in found)]
        return found

    def _cells(self, ctx: ImportContext, data: SheetInput, row: Row, scale: ScaleInfo,
               extra: dict[str, str]) -> dict[str, tuple[str, int | None]] | None:
        """{horizon code: (header, level or None)} of the row's horizon columns; None when a
        cell is wrong (each wrong cell is reported)."""
        cells: dict[str, tuple[str, int | None]] = {}
        ok = not any(key in HORIZON_KEYS for key in row.bad)
        for key, _label in HORIZON_COLUMNS:
            if not row.has(key):
                continue
            level = row.values[key]
            if key not in scale.horizons:
                if level is not None:
                    ctx.error(data.name, row.number, data.header(key),
                              _("The impact scale of %(ght)s has no horizon %(code)s.")
                              % {"ght": ctx.ght.code, "code": key})
                    ok = False
                continue
            cells[key] = (data.header(key), level)
        for header, code in extra.items():
            try:
                cells[code] = (header, parse_level(row.extra.get(header)))
            except values.CellError as exc:
                ctx.error(data.name, row.number, header, str(exc))
                ok = False
        return cells if ok else None

    def _load(self, top_id: int | None, nodes) -> tuple[dict, dict]:
        """The latest BIA of each activity of the GHT (by node id) and its levels (by BIA id,
        then cell), in three queries whatever their number."""
        if top_id is None:
            return {}, {}
        latest: dict[int, BusinessImpactAnalysis] = {}
        for bia in BusinessImpactAnalysis.objects.filter(
                activity__top_id=top_id).order_by("activity_id", "-version"):
            if bia.activity_id not in latest:
                bia.activity = nodes.by_id[bia.activity_id]
                latest[bia.activity_id] = bia
        by_id = {bia.pk: bia for bia in latest.values()}
        levels: dict[int, dict[Cell, ImpactLevel]] = {}
        rows = ImpactLevel.objects.filter(bia__activity__top_id=top_id).select_related(
            "criterion", "horizon")
        for level in rows:
            bia = by_id.get(level.bia_id)
            if bia is None:
                continue  # an older version
            level.bia = bia
            levels.setdefault(bia.pk, {})[(level.criterion.code, level.horizon.code)] = level
        return latest, levels

    def _plan_row(self, ctx: ImportContext, data: SheetInput, row: Row, plan: _ActivityPlan,
                  criterion: str, cells: dict, report: SheetReport | None) -> None:
        node = plan.node
        changed: list[str] = []
        to_set: dict[Cell, int] = {}
        to_clear: list[Cell] = []
        for horizon, (header, level) in cells.items():
            current = plan.levels.get((criterion, horizon))
            current_level = current.level if current is not None else None
            if current_level == level:
                continue
            changed.append(header)
            if level is None:
                to_clear.append((criterion, horizon))
            else:
                to_set[(criterion, horizon)] = level
        action = "unchanged"
        if changed:
            action = "created" if plan.bia is None else "updated"
            if plan.bia is not None and plan.bia.status != BiaStatus.DRAFT:
                ctx.error(data.name, row.number, changed[0],
                          lock_message(code=node.code, version=plan.bia.version,
                                       status=plan.bia.status))
            if not ctx.may_write(node.organization):
                ctx.error(data.name, row.number, data.header("activity"),
                          ctx.write_denied(node.code, node.organization))
            plan.set.update(to_set)
            plan.clear.extend(to_clear)
        record_change(report, row=row.number, key=f"{node.code} / {criterion}", action=action,
                      fields=changed)

    # -- writing ----------------------------------------------------------------------------
    def apply(self, ctx: ImportContext) -> None:
        plans = [p for p in self.activities.values() if p.changes]
        if not plans:
            return
        from pcra.impact.services import scale_ensure

        scale = scale_ensure(top=ctx.ght)
        criteria = dict(scale.criteria.values_list("code", "id"))
        horizons = dict(scale.horizons.values_list("code", "id"))
        new_bias = []
        for plan in plans:
            if plan.bia is None:
                plan.bia = BusinessImpactAnalysis(activity=plan.node, version=1)
                new_bias.append(plan.bia)
        BusinessImpactAnalysis.objects.bulk_create(new_bias, batch_size=BATCH)
        created, updated, deleted = [], [], []
        for plan in plans:
            for (criterion, horizon), level in sorted(plan.set.items()):
                existing = plan.levels.get((criterion, horizon))
                if existing is None:
                    created.append(ImpactLevel(bia=plan.bia, criterion_id=criteria[criterion],
                                               horizon_id=horizons[horizon], level=level))
                else:
                    updated.append((existing, audit.snapshot(existing)))
                    existing.level = level
            deleted.extend(plan.levels[cell] for cell in sorted(plan.clear))
        ImpactLevel.objects.bulk_create(created, batch_size=BATCH)
        ImpactLevel.objects.bulk_update([level for level, _before in updated], fields=["level"],
                                        batch_size=BATCH)
        changes = [audit.Change(AuditAction.CREATE, b, None, audit.snapshot(b))
                   for b in new_bias]
        changes += [audit.Change(AuditAction.CREATE, lv, None, audit.snapshot(lv))
                    for lv in created]
        changes += [audit.Change(AuditAction.UPDATE, lv, before, audit.snapshot(lv))
                    for lv, before in updated]
        changes += [audit.Change(AuditAction.DELETE, lv, audit.snapshot(lv), None)
                    for lv in deleted]
        audit.record_many(changes)
        ids = [level.pk for level in deleted]
        for start in range(0, len(ids), BATCH):
            # The deletes are audited above, in bulk, rather than one signal per cell.
            ImpactLevel.objects.filter(pk__in=ids[start:start + BATCH])._raw_delete(
                ImpactLevel.objects.db)
        touched = [p.bia.pk for p in plans if p.bia not in new_bias]
        if touched:
            BusinessImpactAnalysis.objects.filter(pk__in=touched).update(
                updated_at=timezone.now())

    # -- export -----------------------------------------------------------------------------
    def export(self, scope: ExportScope) -> ExportTable:
        from pcra.impact import selectors

        ght = scope.ght
        if ImpactScale.objects.filter(top_id=ght.pk).exists():
            data = selectors.scale_data(top_id=ght.pk)
            criteria = [c.code for c in data.criteria]
            horizons = [h.code for h in data.horizons]
            if scope.user is None:
                rows = selectors.bia_rows_of_top(top_id=ght.pk)
            else:
                from pcra.organizations.models import Organization

                org_ids = set(Organization.objects.filter(Q(pk=ght.pk) | Q(root_id=ght.pk))
                              .values_list("pk", flat=True))
                rows = [r for r in selectors.bia_rows_visible_to(user=scope.user,
                                                                  organization_ids=org_ids)
                        if r.activity.top_id == ght.pk]
            grid = [(r.activity.code, r.levels) for r in rows]
        else:  # no scale yet, so no level: the empty grid of the default scale
            criteria = [code for code, _label, _d in defaults.CRITERIA]
            horizons = [code for code, _label, _hours in defaults.HORIZONS]
            if scope.user is None:
                qs = Node.objects.filter(node_type=NodeType.ACTIVITY)
            else:
                from pcra.inventory.selectors import nodes_visible_to

                qs = nodes_visible_to(user=scope.user, node_type=NodeType.ACTIVITY)
            grid = [(code, {}) for code in qs.filter(top_id=ght.pk).values_list("code",
                                                                               flat=True)]
        extras = [code for code in horizons if code not in HORIZON_KEYS]
        records, attributes = [], []
        for code, levels in sorted(grid, key=lambda item: item[0]):
            for criterion in criteria:
                record: dict[str, object] = {"activity": code, "criterion": criterion}
                for key in HORIZON_KEYS:
                    record[key] = levels.get((criterion, key))
                records.append(record)
                attributes.append({h: levels.get((criterion, h)) for h in extras})
        return self.table(records, extras=extras, attributes=attributes)
