"""FINESS numbers (Fichier national des établissements sanitaires et sociaux).

A FINESS number has 9 characters: a 2-character department code, 6 digits, and a check digit
computed with the Luhn algorithm over the first 8 characters (DESIGN §4.1).

Corsica: the department part is ``2A`` or ``2B``. To compute the key, the letter is replaced by
``0`` (``2A``/``2B`` -> ``20``, Corsica's department number before 1976), then the ordinary
Luhn check applies to the 9 characters. This substitution is an assumption documented in
docs/architecture.md; it is the single place to change if the ANS documents another rule.
Pure Python, no Django import.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^(?:\d{2}|2[AB])\d{7}$")


class FinessError(ValueError):
    """A value that is not a valid FINESS number.

    ``code`` says why (``empty``, ``length``, ``shape``, ``key``) and ``params`` holds the values
    of the message, so that the Django layer can translate it (this module stays Django-free).
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalize(value: str) -> str:
    return re.sub(r"[\s.\-]", "", str(value or "")).upper()


def validate_finess(value: str) -> str:
    """Return the normalized FINESS number, or raise :class:`FinessError`."""
    number = normalize(value)
    if not number:
        raise FinessError("empty", "FINESS number is empty")
    if len(number) != 9:
        raise FinessError("length", f"FINESS number '{number}' must have 9 characters, not "
                          f"{len(number)}", number=number, length=len(number))
    if not _SHAPE.match(number):
        raise FinessError("shape", f"FINESS number '{number}' must be 9 digits (or 2A/2B then 7 "
                          "digits)", number=number)
    digits = number[:2].replace("2A", "20").replace("2B", "20") + number[2:]
    if not luhn_ok(digits):
        raise FinessError("key", f"FINESS number '{number}' has a wrong check digit",
                          number=number)
    return number


def is_valid_finess(value: str) -> bool:
    try:
        validate_finess(value)
    except FinessError:
        return False
    return True


def with_check_digit(first8: str) -> str:
    """Complete 8 characters into a valid FINESS number (for demo data and tests)."""
    if len(first8) != 8:
        raise FinessError("length", "need exactly 8 characters", number=first8,
                          length=len(first8))
    base = first8[:2].upper().replace("2A", "20").replace("2B", "20") + first8[2:]
    for digit in "0123456789":
        if luhn_ok(base + digit):
            return first8.upper() + digit
    raise FinessError("key", "no check digit", number=first8)  # pragma: no cover - Luhn always has one
