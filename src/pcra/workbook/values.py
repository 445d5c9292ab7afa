"""Reading one cell: text, numbers, hours, booleans, dates and choices.

Cells come typed from XLSX files (``int``, ``float``, ``datetime``, ``bool``, ``str``) and as
text from CSV files; each parser accepts both and raises :class:`CellError` with a message for
the user when the value does not fit. No Django model import here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _


class CellError(ValueError):
    """A cell value that does not fit its column; ``str()`` is the message for the user."""


def fold(text: object) -> str:
    """Case- and accent-insensitive form of a header or a choice: "Poids d'activité" →
    "poids d activite", "activity_weight" → "activity weight"."""
    value = unicodedata.normalize("NFKD", str(text or ""))
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^0-9a-z]+", " ", value).strip()


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_text(value: object) -> str:
    """Text as written; whole numbers typed by Excel come back without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return (value.date().isoformat() if value.time() == dt.time(0) else value.isoformat())
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


#: larger numbers are refused (no column holds more than 12 digits before the point)
MAX_NUMBER = Decimal(10) ** 12
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_decimal(value: object, *, places: int = 2, minimum: Decimal | None = Decimal(0)
                  ) -> Decimal | None:
    """A number (decimal comma or dot); empty gives None.

    Excel floats carry binary noise (``0.1 + 0.2``): a float is rounded to ``places`` when the
    difference is noise, otherwise a value with more decimals than ``places`` is refused.
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a number.") % {"value": parse_text(value)})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
        if not number.is_finite():
            raise CellError(_("%(value)s is not a number.") % {"value": repr(value)})
        rounded = round(number, places)
        if abs(rounded - number) < Decimal("1e-9"):
            number = rounded
    elif isinstance(value, Decimal):
        number = value
    else:
        text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
        if not _NUMBER.match(text):
            raise CellError(_("%(value)s is not a number.") % {"value": str(value).strip()})
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - the pattern rules it out
            raise CellError(_("%(value)s is not a number.") % {"value": value}) from exc
    if not number.is_finite():
        raise CellError(_("%(value)s is not a number.") % {"value": parse_text(value)})
    if minimum is not None and number < minimum:
        raise CellError(_("Must be zero or more."))
    if abs(number) >= MAX_NUMBER:
        raise CellError(_("%(value)s is too large.") % {"value": parse_text(value)})
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise CellError(_("%(value)s has more than %(places)d decimal places.")
                        % {"value": parse_text(value), "places": places})
    # As the database returns it (2.5 → 2.50), so that an unchanged value compares equal.
    return number.quantize(Decimal(1).scaleb(-places))


def parse_int(value: object, *, minimum: int | None = 0) -> int | None:
    number = parse_decimal(value, places=0, minimum=None)
    if number is None:
        return None
    if minimum is not None and number < minimum:
        raise CellError(_("Must be zero or more."))
    return int(number)


_TRUE = {"oui", "o", "yes", "y", "1", "x", "vrai", "true"}
_FALSE = {"non", "n", "no", "0", "faux", "false"}


def parse_bool(value: object) -> bool:
    """oui/non, yes/no, 1/0, x/empty (and vrai/faux, true/false)."""
    if is_empty(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = fold(value)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError(_("%(value)s is not a yes/no value (oui/non, yes/no, 1/0, x or empty).")
                    % {"value": parse_text(value)})


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def parse_date(value: object) -> dt.date | dt.datetime | None:
    """ISO 8601 text, an Excel date cell, or an Excel serial number. Midnight gives a date."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a date.") % {"value": parse_text(value)})
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, (int, float)):
        if not 0 < value < 2958466:  # Excel's last day is 9999-12-31
            raise CellError(_("%(value)s is not a date.") % {"value": parse_text(value)})
        result = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        result = result.replace(microsecond=0)
    else:
        text = str(value).strip()
        try:
            result = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                serial = float(text.replace(",", "."))
            except ValueError:
                raise CellError(_("%(value)s is not a date (expected ISO 8601, e.g. "
                                  "2024-03-31 or 2024-03-31T14:30).") % {"value": text}) from None
            return parse_date(serial)
    if result.tzinfo is None and result.time() == dt.time(0):
        return result.date()
    return result


def choice_map(choices) -> dict[str, str]:
    """Folded spelling → stored value, for a Django ``choices`` list: "Base de données",
    "base_de_donnees" and "BASE DE DONNEES" all give ``base_de_donnees``."""
    return {fold(value): value for value, _label in choices}


def parse_choice(value: object, choices, *, lookup: dict[str, str] | None = None) -> str:
    if is_empty(value):
        return ""
    text = parse_text(value)
    found = (lookup if lookup is not None else choice_map(choices)).get(fold(text))
    if found is None:
        allowed = ", ".join(str(v) for v, _label in choices)
        raise CellError(_("%(value)s is not one of: %(allowed)s.")
                        % {"value": text, "allowed": allowed})
    return found


def excel_value(value: object) -> object:
    """A Python value as written into a cell: numbers stay numbers, whole decimals become
    integers, dates stay dates, everything else is text (None = empty cell)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bool, int, float, dt.date)):
        return value
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
