"""The shape of a workbook sheet: declarative columns, and the registry of sheets.

A sheet is a :class:`Sheet` (French label, English key, columns, handler class) registered with
:func:`register_sheet`; the reader, the importer, the exporter and the template only walk the
registry. ``sheets.py`` declares pcra's sheets; see its docstring for the user's view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pcra.workbook import values

if TYPE_CHECKING:  # pragma: no cover
    from pcra.workbook.handlers import SheetHandler


class Kind:
    """How a column's cells are read (see ``values``)."""

    TEXT = "text"
    CODE = "code"        # a stable key: text, required, unique in the sheet
    REF = "ref"          # the code of another row (organization, node…)
    HOURS = "hours"      # decimal hours, >= 0
    DECIMAL = "decimal"  # decimal number, >= 0
    INT = "int"          # whole number, >= 0
    BOOL = "bool"
    DATE = "date"
    CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    """One column: ``label`` is the French header written in exports, ``key`` the English one;
    either is accepted on import. ``field`` is the model field the column fills (default: key).
    ``help`` is shown in the template (translatable)."""

    key: str
    label: str
    kind: str = Kind.TEXT
    required: bool = False
    choices: Any = None  # a Django ``choices`` list for Kind.CHOICE
    help: Any = ""
    field: str | None = None
    places: int = 2

    @property
    def field_name(self) -> str:
        return self.field or self.key

    def parse(self, raw: object) -> object:
        """The Python value of a cell, or :class:`values.CellError`."""
        if self.kind in (Kind.TEXT, Kind.CODE, Kind.REF):
            return values.parse_text(raw)
        if self.kind in (Kind.HOURS, Kind.DECIMAL):
            return values.parse_decimal(raw, places=self.places)
        if self.kind == Kind.INT:
            return values.parse_int(raw)
        if self.kind == Kind.BOOL:
            return values.parse_bool(raw)
        if self.kind == Kind.DATE:
            return values.parse_date(raw)
        if self.kind == Kind.CHOICE:
            return values.parse_choice(raw, self.choices, lookup=self.choice_lookup)
        raise AssertionError(f"unknown column kind {self.kind}")  # pragma: no cover

    @cached_property
    def choice_lookup(self) -> dict[str, str]:
        return values.choice_map(self.choices or [])

    def choice_values(self) -> list[str]:
        return [str(v) for v, _label in (self.choices or [])]


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook. ``handler`` reads, checks, applies and exports its rows.

    ``keeps_unknown``: unknown columns are kept as free attributes of the rows (node sheets)
    rather than only reported. ``sort_key`` orders exported rows.
    """

    key: str
    label: str
    columns: tuple[Column, ...]
    handler: Callable[..., SheetHandler]
    help: Any = ""
    keeps_unknown: bool = False
    options: dict = field(default_factory=dict)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def match_header(self, header: object) -> Column | None:
        folded = values.fold(header)
        if not folded:
            return None
        for column in self.columns:
            if folded in (values.fold(column.label), values.fold(column.key)):
                return column
        return None

    def matches_name(self, name: str) -> bool:
        return values.fold(name) in (values.fold(self.label), values.fold(self.key))


_registry: list[Sheet] = []


def register_sheet(sheet: Sheet) -> Sheet:
    """Add a sheet to the workbook, after the ones already declared (spec order).

    Re-declaring a key replaces it in place (module reloads in tests)."""
    for index, existing in enumerate(_registry):
        if existing.key == sheet.key:
            _registry[index] = sheet
            return sheet
    _registry.append(sheet)
    return sheet


def all_sheets() -> list[Sheet]:
    """Every declared sheet, in spec order."""
    from pcra.workbook import sheets  # noqa: F401 - declares pcra's sheets on import

    return list(_registry)


def find_sheet(name: str) -> Sheet | None:
    for sheet in all_sheets():
        if sheet.matches_name(name):
            return sheet
    return None


#: sheets of the template and exports that the import skips without a notice
HELP_SHEET_NAMES = ("Aide", "Help")
