"""What a sheet handler does, and the helpers every handler shares.

A handler is created for one import or export. For an import, ``check`` receives the sheet's
parsed rows (or None when the workbook has no such sheet), resolves codes, validates with the
same rules as the web forms, records errors in the context and plans the changes; ``apply``
writes the plan (called only when the whole workbook is free of errors, inside one
transaction). For an export, ``export`` returns the sheet's table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models

from pcra.workbook import spec
from pcra.workbook.importer import ImportContext, RowChange, SheetInput, SheetReport

#: fields that never count as a change
IGNORED_FIELDS = frozenset({"id", "uuid", "created_at", "updated_at"})


@dataclass
class ExportScope:
    """What to export: one GHT (``ght``), as seen by ``user`` (None = everything, for the
    command line)."""

    ght: object
    user: object = None


@dataclass
class ExportTable:
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    #: the declared column of each header (None for a free attribute)
    columns: list[spec.Column | None] = field(default_factory=list)


class SheetHandler:
    def __init__(self, sheet: spec.Sheet):
        self.sheet = sheet

    def check(self, ctx: ImportContext, data: SheetInput | None,
              report: SheetReport | None) -> None:
        raise NotImplementedError

    def apply(self, ctx: ImportContext) -> None:
        raise NotImplementedError

    def export(self, scope: ExportScope) -> ExportTable:
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------
    def table(self, records: list[dict[str, object]], *, extras: list[str] = (),
              attributes: list[dict] | None = None) -> ExportTable:
        """An export table from ``records`` (column key → value), with free attribute columns
        ``extras`` taken from ``attributes`` (one dict per record)."""
        columns: list[spec.Column | None] = list(self.sheet.columns)
        headers = [c.label for c in self.sheet.columns] + list(extras)
        columns += [None] * len(extras)
        rows = []
        for index, record in enumerate(records):
            row = [record.get(c.key) for c in self.sheet.columns]
            if extras:
                attrs = attributes[index] if attributes else {}
                row += [attrs.get(name) for name in extras]
            rows.append(row)
        return ExportTable(headers=headers, rows=rows, columns=columns)


def record_change(report: SheetReport | None, *, row: int, key: str, action: str,
                  fields: list[str], limit: int = 200) -> None:
    if report is None:
        return
    if action == "created":
        report.created += 1
    elif action == "updated":
        report.updated += 1
    else:
        report.unchanged += 1
        return
    if len(report.changes) < limit:
        report.changes.append(RowChange(row=row, key=key, action=action, fields=fields))


def changed_fields(before: dict | None, after: dict) -> list[str]:
    """Names (attnames) of the fields that differ between two audit snapshots."""
    if before is None:
        return []
    return sorted(k for k in after if k not in IGNORED_FIELDS and before.get(k) != after.get(k))


def field_errors(instance: models.Model, *, exclude: list[str]) -> dict[str, list[str]]:
    """The model's own field validation (max lengths, choices, decimal digits) — the checks
    the web forms run — without the foreign keys, which would cost a query per row."""
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        return {name: list(messages) for name, messages in exc.message_dict.items()}
    return {}


def column_labels(data: SheetInput, field_names: list[str]) -> list[str]:
    """The headers of the columns holding ``field_names`` (attnames or field names)."""
    out = []
    for name in field_names:
        base = name[:-3] if name.endswith("_id") else name
        for column in data.sheet.columns:
            if column.field_name == base:
                out.append(data.header(column.key))
                break
        else:
            if base == "attributes":
                out.append("attributes")
    return out
