"""The import engine: raw sheets → parsed rows → checks by each sheet's handler → one atomic
apply, or nothing at all.

Every problem is an :class:`Issue` naming the sheet, the row (the spreadsheet's number, the
header being row 1) and the column (the header as written). The engine never writes while a
single error stands; handlers check everything first (``check``), and only then ``apply``
runs, sheet after sheet in spec order, inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from pcra.inventory.services import lock_graph
from pcra.workbook import spec, values
from pcra.workbook.reader import RawSheet, RawWorkbook

ERROR = "error"
NOTICE = "notice"


@dataclass(frozen=True)
class Issue:
    """An error (the import is refused) or a notice (information, nothing refused)."""

    level: str
    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"level": self.level, "sheet": self.sheet, "row": self.row,
                "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = [self.sheet] if self.sheet else []
        if self.row is not None:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class Row:
    """One data row: parsed values of the known columns (``values``, keyed by column key, only
    for cells that parsed), keys of the cells that did not (``bad``), and the values of unknown
    columns (``extra``, header → value, None for an empty cell)."""

    number: int
    values: dict[str, object]
    bad: set[str] = field(default_factory=set)
    extra: dict[str, object] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        """The row carries a usable value (possibly empty) for ``key``."""
        return key in self.values


@dataclass
class SheetInput:
    """A sheet of the workbook matched to its spec: ``headers`` maps column key → header as
    written; ``extra_headers`` are the unknown columns."""

    sheet: spec.Sheet
    name: str
    headers: dict[str, str]
    extra_headers: list[str]
    rows: list[Row]
    #: a required column is missing: only the codes were read, nothing of it is applied
    unusable: bool = False

    def header(self, key: str) -> str:
        """The header of a column as written, or its French label when absent."""
        if key in self.headers:
            return self.headers[key]
        try:
            return self.sheet.column(key).label
        except KeyError:
            return key

    def header_for_field(self, field_name: str, default_key: str = "code") -> str:
        for column in self.sheet.columns:
            if column.field_name == field_name:
                return self.header(column.key)
        return self.header(default_key)


@dataclass
class RowChange:
    row: int
    key: str
    action: str  # "created" or "updated"
    fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"row": self.row, "key": self.key, "action": self.action, "fields": self.fields}


@dataclass
class SheetReport:
    key: str
    label: str
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[RowChange] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sheet": self.key, "label": self.label, "name": self.name,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "changes": [c.as_dict() for c in self.changes]}


@dataclass
class ImportReport:
    source: str = ""
    ght: str | None = None
    dry_run: bool = False
    applied: bool = False
    sheets: list[SheetReport] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == ERROR]

    @property
    def notices(self) -> list[Issue]:
        return [i for i in self.issues if i.level == NOTICE]

    @property
    def ok(self) -> bool:
        return not self.errors

    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(s, name) for s in self.sheets)
                for name in ("created", "updated", "unchanged")}

    def sheet(self, key: str) -> SheetReport | None:
        for report in self.sheets:
            if report.key == key:
                return report
        return None

    def as_dict(self) -> dict:
        return {"source": self.source, "ght": self.ght, "dry_run": self.dry_run,
                "applied": self.applied, "ok": self.ok, "totals": self.totals(),
                "sheets": [s.as_dict() for s in self.sheets],
                "errors": [i.as_dict() for i in self.errors],
                "notices": [i.as_dict() for i in self.notices]}


class ImportContext:
    """What the handlers share during one import: who imports (``access``, None = everything,
    for the command line), the GHT, the issues, and each handler's state (``state``, keyed by
    sheet key, so that a later sheet can resolve codes of an earlier one)."""

    def __init__(self, *, access=None, ght_code: str | None = None, fallback_tops=None):
        self.access = access
        self.ght_code = ght_code
        #: top organizations the GHT is taken from when the workbook does not name it
        self.fallback_tops = fallback_tops
        self.ght = None
        self.issues: list[Issue] = []
        self.state: dict[str, object] = {}

    # -- issues ---------------------------------------------------------------------------
    def error(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.issues.append(Issue(ERROR, sheet, row, column, str(message)))

    def notice(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.issues.append(Issue(NOTICE, sheet, row, column, str(message)))

    @property
    def has_errors(self) -> bool:
        return any(i.level == ERROR for i in self.issues)

    # -- permissions ----------------------------------------------------------------------
    def may_read(self, organization_id: int | None) -> bool:
        if self.access is None:
            return True
        return self.access.can_read(organization_id, top_id=self.ght.pk if self.ght else None)

    def may_write(self, organization) -> bool:
        """May the importer write data of ``organization`` (None = shared at the GHT top)?

        An unsaved organization (created by the same workbook) inherits the roles of its first
        saved ancestor, as it will once created; creating it is checked by the Etablissements
        sheet (``organization_change_denied``). Organizations themselves follow that rule,
        not this one."""
        if self.access is None or self.access.is_superuser:
            return True
        ght_id = self.ght.pk if self.ght is not None else None
        if organization is None:
            return ght_id is not None and self.access.can_write(None, top_id=ght_id)
        seen: set[int] = set()
        while organization is not None and organization.pk is None and (
                id(organization) not in seen):
            seen.add(id(organization))
            organization = organization.parent
        if organization is None or organization.pk is None:
            return False  # a new top organization: only a superuser creates one
        return self.access.can_write(organization.pk)

    def write_denied(self, what: str, organization) -> str:
        place = organization.code if organization is not None else (
            self.ght.code if self.ght is not None else "")
        if organization is None:
            return _("You may not change %(what)s: you have no write role on the GHT %(org)s "
                     "(shared data).") % {"what": what, "org": place}
        return _("You may not change %(what)s: you have no write role on %(org)s.") % {
            "what": what, "org": place}

    def read_denied(self, what: str) -> str:
        return _("You may not change %(what)s.") % {"what": what}


def _column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def prepare_sheet(sheet: spec.Sheet, raw: RawSheet, ctx: ImportContext) -> SheetInput:
    """Match the headers of ``raw`` to ``sheet``'s columns and parse every row."""
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    for index, cell in enumerate(raw.header):
        text = values.parse_text(cell)
        if not text:
            if any(index < len(cells) and not values.is_empty(cells[index])
                   for _n, cells in raw.rows):
                ctx.notice(raw.name, 1, _column_letter(index),
                           _("Column %(letter)s has no header: its values are ignored.")
                           % {"letter": _column_letter(index)})
            continue
        column = sheet.match_header(text)
        if column is None:
            if any(values.fold(text) == values.fold(h) for _i, h in extras):
                ctx.error(raw.name, 1, text, _("The column %(header)s appears twice.")
                          % {"header": text})
                continue
            extras.append((index, text))
            if sheet.keeps_unknown:
                ctx.notice(raw.name, 1, text, _("%(header)s is not a pcra column: its values "
                                                "are kept as free attributes of each row.")
                           % {"header": text})
            else:
                ctx.notice(raw.name, 1, text, _("%(header)s is not a pcra column: ignored.")
                           % {"header": text})
            continue
        if column.key in headers:
            ctx.error(raw.name, 1, text, _("The column %(header)s appears twice (also as "
                                           "%(other)s).") % {"header": text,
                                                             "other": headers[column.key]})
            continue
        headers[column.key] = text
        positions[column.key] = index
    unusable = False
    for column in sheet.columns:
        if column.required and column.key not in headers:
            ctx.error(raw.name, 1, column.label,
                      _("The required column %(label)s (%(key)s) is missing.")
                      % {"label": column.label, "key": column.key})
            unusable = True
    extra_headers = [h for _i, h in extras]
    if unusable:
        # Only the codes are read, so that other sheets naming them do not fail in cascade.
        positions = {k: i for k, i in positions.items()
                     if sheet.column(k).kind == spec.Kind.CODE}
    rows: list[Row] = []
    for number, cells in raw.rows:
        row = Row(number=number, values={})
        for key, index in positions.items():
            column = sheet.column(key)
            cell = cells[index] if index < len(cells) else None
            try:
                value = column.parse(cell)
            except values.CellError as exc:
                ctx.error(raw.name, number, headers[key], str(exc))
                row.bad.add(key)
                continue
            if column.required and (value is None or value == ""):
                ctx.error(raw.name, number, headers[key], _("A value is required."))
                row.bad.add(key)
                continue
            row.values[key] = value
        for index, header in extras:
            cell = cells[index] if index < len(cells) else None
            row.extra[header] = _attribute_value(cell)
        rows.append(row)
    return SheetInput(sheet=sheet, name=raw.name, headers=headers,
                      extra_headers=extra_headers, rows=rows, unusable=unusable)


def _attribute_value(cell: object) -> object:
    """An unknown column's cell as kept in ``attributes`` (JSON): None when empty."""
    if values.is_empty(cell):
        return None
    if isinstance(cell, (bool, int)):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else cell
    return values.parse_text(cell)


def run_import(*, workbook: RawWorkbook, ctx: ImportContext, apply: bool) -> ImportReport:
    """Check ``workbook`` and, when ``apply`` and nothing is wrong, write it.

    The caller owns the transaction (``services.workbook_import``)."""
    report = ImportReport(source=workbook.name, dry_run=not apply)
    for name in workbook.skipped:
        ctx.notice(name, None, None, _("%(name)s is not a CSV file: ignored.") % {"name": name})
    matched: dict[str, RawSheet] = {}
    for raw in workbook.sheets:
        if values.fold(raw.name) in {values.fold(n) for n in spec.HELP_SHEET_NAMES}:
            continue
        sheet = spec.find_sheet(raw.name)
        if sheet is None:
            ctx.notice(raw.name, None, None, _("%(name)s is not a pcra sheet: ignored.")
                       % {"name": raw.name})
            continue
        if sheet.key in matched:
            ctx.error(raw.name, None, None, _("The sheet %(name)s appears twice (also as "
                                              "%(other)s).")
                      % {"name": raw.name, "other": matched[sheet.key].name})
            continue
        matched[sheet.key] = raw
    if not matched and not ctx.has_errors:
        expected = ", ".join(s.label for s in spec.all_sheets())
        ctx.error(workbook.name, None, None,
                  _("%(name)s holds no pcra sheet (expected sheets or CSV files named: "
                    "%(expected)s).") % {"name": workbook.name, "expected": expected})
    inputs: dict[str, SheetInput] = {}
    for sheet in spec.all_sheets():
        if sheet.key in matched:
            inputs[sheet.key] = prepare_sheet(sheet, matched[sheet.key], ctx)
    handlers = []
    locked = False
    if matched:
        for sheet in spec.all_sheets():
            data = inputs.get(sheet.key)
            sheet_report = None
            if data is not None:
                sheet_report = SheetReport(key=sheet.key, label=sheet.label, name=data.name)
                report.sheets.append(sheet_report)
            handler = sheet.handler(sheet)
            handler.check(ctx, data, sheet_report)
            handlers.append(handler)
            if apply and not locked and ctx.ght is not None and ctx.ght.pk is not None:
                # The graph is read (cycles) and written under the GHT's lock, as the forms do.
                lock_graph(ctx.ght.pk)
                locked = True
            if ctx.ght is None:
                break  # the first handler (organizations) could not tell the GHT: stop
    report.ght = ctx.ght.code if ctx.ght is not None else None
    report.issues = sorted(ctx.issues, key=_issue_order)
    if apply and report.ok:
        for handler in handlers:
            handler.apply(ctx)
        report.applied = True
    return report


def _issue_order(issue: Issue):
    sheets = spec.all_sheets()
    found = spec.find_sheet(issue.sheet)
    rank = sheets.index(found) if found is not None else -1
    return (issue.level != ERROR, rank, issue.sheet, issue.row or 0)
