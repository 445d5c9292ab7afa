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
    """A value that is not a valid FINESS number; the message says why."""


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
        raise FinessError("FINESS number is empty")
    if len(number) != 9:
        raise FinessError(f"FINESS number {number!r} must have 9 characters, not {len(number)}")
    if not _SHAPE.match(number):
        raise FinessError(f"FINESS number {number!r} must be 9 digits (or 2A/2B then 7 digits)")
    digits = number[:2].replace("2A", "20").replace("2B", "20") + number[2:]
    if not luhn_ok(digits):
        raise FinessError(f"FINESS number {number!r} has a wrong check digit")
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
        raise FinessError("need exactly 8 characters")
    base = first8[:2].upper().replace("2A", "20").replace("2B", "20") + first8[2:]
    for digit in "0123456789":
        if luhn_ok(base + digit):
            return first8.upper() + digit
    raise FinessError("no check digit")  # pragma: no cover - Luhn always has one
