"""Generic ingest of backup job results, restore points and verifications (docs/ingest.md).

For the backup tools pcra does not drive (Veeam, Commvault, NAS snapshots…): a CSV or JSON lines
file, one record per line. Two layers:

* :func:`parse` is pure: lines of bytes in, typed records (:class:`Job`, :class:`Point`,
  :class:`Check`) or :class:`Issue` out, in line order; no database, the time zone of naive
  datetimes is a parameter.
* :func:`ingest_file` reads the file once, in one transaction: it checks every line (syntax,
  references, rights) and stages the valid rows in temporary tables; only when the whole file
  is valid are they moved into the real tables. The whole file or nothing.

Speed matters (1,000,000 job records at ≥ 20,000 records/s end to end, docs/benchmarks.md):
usual job rows take a fast path (:func:`_usual_job`), everything else the general one, which
also names what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pcra.accounts.access import access_for
from pcra.backups.models import (
    DRIVEN_ENGINES,
    BackupCopy,
    BackupJob,
    DataAsset,
    Engine,
    IngestBatch,
    RestorePoint,
    Source,
    Verification,
)
from pcra.core import audit
from pcra.core.actor import acting_as, actor_for_user, current_actor

# --- The pure parser ----------------------------------------------------------------------


JOB = "job"
POINT = "restore_point"
VERIFICATION = "verification"
CSV = "csv"
JSONL = "jsonl"

ID_MAX = 200  # BackupJob / RestorePoint.external_id
LABEL_MAX = 200  # RestorePoint.label
BIGINT_MAX = 2**63 - 1
COUNT_MAX = 2**31 - 1  # Verification.error_count (PositiveIntegerField)

#: canonical key → French label of the column (both accepted, case and accents aside)
COLUMNS = {
    "type": "Type", "data_asset": "Donnée", "copy": "Copie",
    "id": "Identifiant", "started_at": "Début", "ended_at": "Fin", "status": "Statut",
    "bytes": "Octets", "message": "Message",
    "time": "Horodatage", "size_bytes": "Taille (octets)", "files": "Fichiers",
    "label": "Libellé",
    "date": "Date", "kind": "Nature", "result": "Résultat", "errors": "Erreurs",
    "duration_seconds": "Durée (s)", "notes": "Commentaire",
}
COMMON = ("type", "data_asset", "copy")
FIELDS = {
    JOB: ("id", "started_at", "ended_at", "status", "bytes", "message"),
    POINT: ("id", "time", "size_bytes", "files", "label"),
    VERIFICATION: ("date", "kind", "result", "errors", "duration_seconds", "size_bytes",
                   "notes"),
}
#: per record type, the columns that must stay empty
NOT_FOR = {t: frozenset(COLUMNS) - set(COMMON) - set(keys) for t, keys in FIELDS.items()}

BOM = b"\xef\xbb\xbf"

# Messages: templates with named parameters; ``line`` is always one of them.
BAD_UTF8 = gettext_noop("line %(line)s: not UTF-8 text (binary data?)")
NUL_BYTE = gettext_noop("line %(line)s: holds a NUL character (binary data?)")
BAD_JSON = gettext_noop("line %(line)s: not valid JSON (%(reason)s): %(value)s")
NOT_OBJECT = gettext_noop("line %(line)s: a JSON object {…} is expected, not %(value)s")
EMPTY_CSV = gettext_noop(
    "line %(line)s: the file is empty: a CSV file starts with a header line naming its columns")
BAD_QUOTES = gettext_noop("line %(line)s: badly quoted CSV line (%(reason)s): %(value)s")
FIELD_COUNT = gettext_noop(
    "line %(line)s: %(count)s fields where the header has %(expected)s (check the separator "
    "and the quotes): %(value)s")
UNKNOWN_COLUMN = gettext_noop(
    "line %(line)s: unknown column %(value)s (expected: %(expected)s)")
DUPLICATE_COLUMN = gettext_noop("line %(line)s: column %(column)s is given twice")
MISSING_COLUMN = gettext_noop(
    "line %(line)s: the header has no column %(column)s (%(label)s)")
BAD_TYPE = gettext_noop(
    "line %(line)s: column type: %(value)s is not a record type (job, restore_point or "
    "verification)")
MISSING = gettext_noop("line %(line)s: column %(column)s is required for a %(type)s")
NOT_APPLICABLE = gettext_noop(
    "line %(line)s: column %(column)s does not apply to a %(type)s: leave it empty (found "
    "%(value)s)")
NOT_TEXT = gettext_noop("line %(line)s: column %(column)s: %(value)s is not text")
TOO_LONG = gettext_noop(
    "line %(line)s: column %(column)s: %(length)s characters, at most %(max)s")
BAD_DATETIME = gettext_noop(
    "line %(line)s: column %(column)s: %(value)s is not an ISO 8601 date and time (e.g. "
    "2026-03-01T02:30:00 or 2026-03-01T02:30:00+01:00)")
OUT_OF_RANGE = gettext_noop(
    "line %(line)s: column %(column)s: %(value)s is in the future or before 1970")
BAD_INT = gettext_noop("line %(line)s: column %(column)s: %(value)s is not a whole number")
NEGATIVE = gettext_noop(
    "line %(line)s: column %(column)s: %(value)s is negative (must be ≥ 0)")
TOO_LARGE = gettext_noop(
    "line %(line)s: column %(column)s: %(value)s is too large (at most %(max)s)")
BAD_NUMBER = gettext_noop("line %(line)s: column %(column)s: %(value)s is not a number ≥ 0")
BAD_CHOICE = gettext_noop(
    "line %(line)s: column %(column)s: %(value)s is not one of %(expected)s")
STARTED_AFTER_ENDED = gettext_noop(
    "line %(line)s: started_at %(started)s is after ended_at %(ended)s")
FAILED_WITHOUT_ERRORS = gettext_noop(
    "line %(line)s: column errors: a verification whose result is echec found errors: give "
    "their number (≥ 1), not %(value)s")
OK_WITH_ERRORS = gettext_noop(
    "line %(line)s: column errors: %(value)s errors with result ok: a verification that found "
    "errors has the result echec")


class Job(NamedTuple):
    line: int
    asset: str
    copy: str
    external_id: str
    started_at: datetime | None
    ended_at: datetime
    status: str
    bytes: int | None
    message: str


class Point(NamedTuple):
    line: int
    asset: str
    copy: str
    external_id: str
    taken_at: datetime
    size_bytes: int | None
    file_count: int | None
    label: str


class Check(NamedTuple):
    """A verification (integrity check or restore test)."""

    line: int
    asset: str
    copy: str
    performed_at: datetime
    kind: str
    result: str
    error_count: int
    duration_seconds: float | None
    size_bytes: int | None
    notes: str


class Issue(NamedTuple):
    """What is wrong with a line: a message template and its parameters (``line`` included)."""

    line: int
    template: str
    params: dict

    def render(self, translate: Callable[[str], str] = str) -> str:
        return translate(self.template) % self.params


def normalize(text: str) -> str:
    """``"Taille (octets)"`` → ``"taille_octets"``: lower case, no accents, ``_`` between words."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


class _Vocabulary:
    """Maps the accepted spellings of a value to its canonical form (cached by raw value)."""

    def __init__(self, spellings: dict[str, Iterable[str]]):
        self.mapping = {normalize(s): key for key, words in spellings.items()
                        for s in (key, *words)}
        self.hint = ", ".join(spellings)
        self.cache: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str | None:
        try:
            return self.cache[raw]
        except KeyError:
            value = self.mapping.get(normalize(raw))
            if len(self.cache) < 1000:
                self.cache[raw] = value
            return value


_TYPES = _Vocabulary({JOB: ("travail", "backup_job", "sauvegarde"),
                      POINT: ("point", "point_de_restauration", "restore point", "snapshot"),
                      VERIFICATION: ("verification", "check", "controle")})
_STATUS = _Vocabulary({"success": ("ok", "succes", "successful", "succeeded", "reussi",
                                   "reussite", "termine", "completed"),
                       "warning": ("warn", "avertissement", "attention", "partial", "partiel"),
                       "failed": ("fail", "failure", "echec", "echoue", "error", "erreur",
                                  "ko")})
_KINDS = _Vocabulary({"integrite": ("integrity", "integrity_check", "controle_d_integrite"),
                      "restauration": ("restore", "restore_test", "test_de_restauration")})
_RESULTS = _Vocabulary({"ok": ("success", "succes", "passed", "reussi"),
                        "echec": ("failed", "fail", "failure", "error", "erreur", "ko")})
_COLUMN_KEYS = {normalize(s): key for key, label in COLUMNS.items() for s in (key, label)}
_COLUMN_HINT = ", ".join(COLUMNS)


def _show(value, limit: int = 60) -> str:
    """A value as shown in a message: quoted, shortened."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"'{text}'"


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(row: dict, column: str, line: int, issues: list, limit: int | None = None) -> str:
    value = row.get(column)
    if type(value) is str:
        value = value.strip()
        if (limit is None or len(value) <= limit) and "\x00" not in value:
            return value
    elif value is None:
        return ""
    if not isinstance(value, str):
        issues.append(Issue(line, NOT_TEXT, {"line": line, "column": column,
                                             "value": _show(value)}))
    elif "\x00" in value:
        issues.append(Issue(line, NUL_BYTE, {"line": line}))
    else:
        issues.append(Issue(line, TOO_LONG, {"line": line, "column": column,
                                             "length": len(value), "max": limit}))
    return ""


def _required_text(row, column, line, issues, rtype, limit=None) -> str:
    value = row.get(column)
    if type(value) is int:  # numeric identifiers in JSON
        row[column] = str(value)
    count = len(issues)
    value = _text(row, column, line, issues, limit)
    if not value and len(issues) == count:
        issues.append(Issue(line, MISSING, {"line": line, "column": column, "type": rtype}))
    return value


def _datetime(row, column, line, issues, tz, rtype=None) -> datetime | None:
    """An aware datetime; naive values are read in ``tz``. ``rtype`` given = required."""
    value = row.get(column)
    if type(value) is str:
        try:
            parsed = _fromisoformat(value)
        except ValueError:  # surrounding spaces, empty, or not a date and time
            value = value.strip() or None
            parsed = _iso_or_none(value) if value else None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
    if value is None:
        if rtype is not None:
            issues.append(Issue(line, MISSING, {"line": line, "column": column, "type": rtype}))
        return None
    issues.append(Issue(line, BAD_DATETIME, {"line": line, "column": column,
                                             "value": _show(value)}))
    return None


def _iso_or_none(value: str) -> datetime | None:
    try:
        return _fromisoformat(value)
    except ValueError:
        return None


def _int(row, column, line, issues, maximum=BIGINT_MAX) -> int | None:
    value = row.get(column)
    if type(value) is int:
        number = value
    elif type(value) is str:
        if value.isdigit() and value.isascii():  # the usual case
            number = int(value)
        else:
            text = value.strip()
            if not text:
                return None
            digits = text[1:] if text[0] in "+-" else text
            if digits.isdigit() and digits.isascii():
                number = int(text)
            else:
                issues.append(Issue(line, BAD_INT, {"line": line, "column": column,
                                                    "value": _show(value)}))
                return None
    elif value is None:
        return None
    else:
        issues.append(Issue(line, BAD_INT, {"line": line, "column": column,
                                            "value": _show(value)}))
        return None
    if number < 0:
        issues.append(Issue(line, NEGATIVE, {"line": line, "column": column,
                                             "value": _show(value)}))
        return None
    if number > maximum:
        issues.append(Issue(line, TOO_LARGE, {"line": line, "column": column,
                                              "value": _show(value), "max": maximum}))
        return None
    return number


def _seconds(row, column, line, issues) -> float | None:
    value = row.get(column)
    if value is None or isinstance(value, bool):
        number = None if value is None else math.nan
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if number is None:
        return None
    if not math.isfinite(number) or number < 0:
        issues.append(Issue(line, BAD_NUMBER, {"line": line, "column": column,
                                               "value": _show(value)}))
        return None
    return number


def _choice(row, column, line, issues, vocabulary: _Vocabulary, rtype=None) -> str | None:
    value = row.get(column)
    found = vocabulary.cache.get(value) if type(value) is str else None
    if found is not None:
        return found
    if isinstance(value, str) and value.strip():
        found = vocabulary(value)
        if found is not None:
            return found
    elif _empty(value):
        if rtype is not None:
            issues.append(Issue(line, MISSING, {"line": line, "column": column, "type": rtype}))
        return None
    issues.append(Issue(line, BAD_CHOICE, {"line": line, "column": column,
                                           "value": _show(value), "expected": vocabulary.hint}))
    return None


def job_id(ended_at: datetime) -> str:
    """The external id of a job given without one: its end, in UTC (``2026-03-01T01:30:00Z``)."""
    try:
        return ended_at.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    except OverflowError:  # a date at the edge of the calendar: refused later by its range
        return ended_at.isoformat()


_fromisoformat = datetime.fromisoformat
_new = tuple.__new__  # builds a NamedTuple without the Python-level __new__ (hot path)


def _usual_job(line: int, tz: tzinfo, asset, copy, ext, started, ended, status, size,
               message) -> Job | None:
    """The job of a usual, valid row (raw values, None when absent), or None: anything
    unusual (a missing, empty or odd value) goes through the general path, which says what is
    wrong. The hot path of large files, written for speed."""
    try:
        asset = asset.strip()
        copy = copy.strip()
        ended = _aware(ended, tz)
        status = _STATUS.cache[status]
        started = _aware(started, tz) if started else None
        if type(size) is str:
            if size.isdigit() and size.isascii() and len(size) < 19:
                size = int(size)
            elif size:
                return None
            else:
                size = None
        elif size is not None and (type(size) is not int or not 0 <= size <= BIGINT_MAX):
            return None
        if type(ext) is str:
            ext = ext.strip()
        elif type(ext) is int:
            ext = str(ext)
        elif ext is None:
            ext = ""
        else:
            return None
        message = "" if message is None else message.strip()
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    if (not asset or not copy or status is None or len(ext) > ID_MAX
            or (started is not None and started > ended)):
        return None
    return _new(Job, (line, asset, copy, ext or job_id(ended), started, ended, status, size,
                      message))


_offsets: dict[tzinfo, dict[str, str]] = {}


def _aware(text: str, tz: tzinfo) -> datetime:
    """``datetime.fromisoformat(text)``, read in ``tz`` when naive. The usual naive form
    ``YYYY-MM-DDTHH:MM:SS`` is read with its hour's UTC offset appended (cached): twice as fast
    as ``replace(tzinfo=tz)``, and the same instant."""
    hours = _offsets.get(tz)
    if hours is None:
        hours = _offsets[tz] = {}
    if len(text) == 19 and (offset := hours.get(text[:13])):
        return _fromisoformat(text + offset)
    parsed = _fromisoformat(text)
    if parsed.tzinfo is not None:
        return parsed
    if len(text) == 19 and len(hours) < 100_000:
        hours[text[:13]] = _hour_offset(parsed, tz)
    return parsed.replace(tzinfo=tz)


def _hour_offset(naive: datetime, tz: tzinfo) -> str:
    """``"+01:00"``: the offset ``tz`` gives every time of ``naive``'s hour (``fold=0``, as
    ``replace(tzinfo=tz)``); ``""`` when it changes within the hour or is not whole minutes."""
    first = naive.replace(minute=0, second=0, microsecond=0, tzinfo=tz).utcoffset()
    last = naive.replace(minute=59, second=59, microsecond=999999, tzinfo=tz).utcoffset()
    if first != last or first % timedelta(minutes=1):
        return ""
    minutes = int(first.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _csv_usual_job(keys: list[str | None], tz: tzinfo):
    """For a CSV header, a function ``(line, fields) -> Job | None``: the usual job row read
    by position (no dict), or None for the general path. None when the header cannot hold
    a job."""
    index = {key: i for i, key in enumerate(keys) if key is not None}
    if not all(k in index for k in ("type", "data_asset", "copy", "ended_at", "status")):
        return None
    absent = len(keys)  # an empty field appended to each row stands for absent columns
    i_type, i_asset, i_copy, i_ext, i_started, i_ended, i_status, i_size, i_message = (
        index.get(k, absent) for k in ("type", "data_asset", "copy", "id", "started_at",
                                       "ended_at", "status", "bytes", "message"))
    others = [index[k] for k in COLUMNS if k in NOT_FOR[JOB] and k in index]
    types = _TYPES.cache

    def usual(line: int, fields: list[str]) -> Job | None:
        if types.get(fields[i_type]) != JOB or any(map(fields.__getitem__, others)):
            return None
        fields.append("")
        job = _usual_job(line, tz, fields[i_asset], fields[i_copy], fields[i_ext],
                         fields[i_started], fields[i_ended], fields[i_status], fields[i_size],
                         fields[i_message])
        fields.pop()
        return job

    return usual


def _record(line: int, row: dict, tz: tzinfo, candidates, issues: list):
    """The record of one row (a dict of canonical keys), or None with ``issues`` filled.

    ``candidates``: per type, the columns to check for values that do not apply (None: the
    row's own keys)."""
    raw_type = row.get("type")
    rtype = _TYPES.cache.get(raw_type) if type(raw_type) is str else None
    if rtype is None:
        rtype = _TYPES(raw_type) if isinstance(raw_type, str) else None
        if rtype is None:
            if _empty(raw_type):
                issues.append(Issue(line, MISSING, {"line": line, "column": "type",
                                                    "type": "record"}))
            else:
                issues.append(Issue(line, BAD_TYPE, {"line": line, "value": _show(raw_type)}))
            return None
    not_for = NOT_FOR[rtype]
    if candidates is not None:  # CSV: every value is a string, most are empty
        columns = candidates[rtype]
        if any(map(row.__getitem__, columns)):
            _check_not_for(line, row, columns, rtype, issues)
    elif not not_for.isdisjoint(row):
        _check_not_for(line, row, not_for.intersection(row), rtype, issues)
    if rtype == JOB and not issues:
        get = row.get
        job = _usual_job(line, tz, get("data_asset"), get("copy"), get("id"), get("started_at"),
                         get("ended_at"), get("status"), get("bytes"), get("message"))
        if job is not None:
            return job
    asset = _required_text(row, "data_asset", line, issues, rtype)
    copy = _required_text(row, "copy", line, issues, rtype)
    if rtype == JOB:
        ended = _datetime(row, "ended_at", line, issues, tz, rtype)
        started = _datetime(row, "started_at", line, issues, tz)
        status = _choice(row, "status", line, issues, _STATUS, rtype)
        size = _int(row, "bytes", line, issues)
        ext = row.get("id")
        if type(ext) is int:
            row["id"] = str(ext)
        ext = _text(row, "id", line, issues, ID_MAX)
        message = _text(row, "message", line, issues)
        if started is not None and ended is not None and started > ended:
            issues.append(Issue(line, STARTED_AFTER_ENDED, {
                "line": line, "started": started.isoformat(), "ended": ended.isoformat()}))
        if issues:
            return None
        return _new(Job, (line, asset, copy, ext or job_id(ended), started, ended, status,
                          size, message))
    if rtype == POINT:
        ext = _required_text(row, "id", line, issues, rtype, ID_MAX)
        taken = _datetime(row, "time", line, issues, tz, rtype)
        size = _int(row, "size_bytes", line, issues)
        files = _int(row, "files", line, issues)
        label = _text(row, "label", line, issues, LABEL_MAX)
        if issues:
            return None
        return _new(Point, (line, asset, copy, ext, taken, size, files, label))
    performed = _datetime(row, "date", line, issues, tz, rtype)
    kind = _choice(row, "kind", line, issues, _KINDS, rtype)
    result = _choice(row, "result", line, issues, _RESULTS, rtype)
    count = len(issues)
    errors = _int(row, "errors", line, issues, COUNT_MAX)
    errors_bad = len(issues) > count
    duration = _seconds(row, "duration_seconds", line, issues)
    size = _int(row, "size_bytes", line, issues)
    notes = _text(row, "notes", line, issues)
    if result == "echec" and not errors and not errors_bad:
        issues.append(Issue(line, FAILED_WITHOUT_ERRORS, {
            "line": line, "value": _show(row.get("errors") or "")}))
    elif result == "ok" and errors:
        issues.append(Issue(line, OK_WITH_ERRORS, {"line": line, "value": errors}))
    if issues:
        return None
    return Check(line, asset, copy, performed, kind, result, errors or 0, duration, size, notes)


def _check_not_for(line: int, row: dict, columns, rtype: str, issues: list) -> None:
    for column in COLUMNS:  # in the documented order
        if column in columns and not _empty(value := row.get(column)):
            issues.append(Issue(line, NOT_APPLICABLE, {"line": line, "column": column,
                                                       "type": rtype, "value": _show(value)}))


def _decoded(lines: Iterable[bytes]) -> Iterator[tuple[int, str | Issue]]:
    """Physical lines as (number, text without line ending), blank lines skipped."""
    for number, raw in enumerate(lines, 1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, Issue(number, BAD_UTF8, {"line": number})
            continue
        text = text.rstrip("\r\n")
        if not text or text.isspace():
            continue
        if "\x00" in text:
            yield number, Issue(number, NUL_BYTE, {"line": number})
            continue
        yield number, text


def _parse_csv(lines: Iterable[bytes], tz: tzinfo) -> Iterator[Job | Point | Check | Issue]:
    decoded = _decoded(lines)
    first = next(decoded, None)
    if first is None:
        yield Issue(1, EMPTY_CSV, {"line": 1})
        return
    number, text = first
    if isinstance(text, Issue):
        yield text
        return  # no header: nothing else can be read
    delimiter = ";" if text.count(";") > text.count(",") else ","
    try:
        names = next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        yield Issue(number, BAD_QUOTES, {"line": number, "reason": str(exc),
                                         "value": _show(text)})
        return
    keys: list[str | None] = []
    for name in names:
        key = _COLUMN_KEYS.get(normalize(name))
        if key is None:
            yield Issue(number, UNKNOWN_COLUMN, {"line": number, "value": _show(name),
                                                 "expected": _COLUMN_HINT})
        elif key in keys:
            yield Issue(number, DUPLICATE_COLUMN, {"line": number, "column": key})
            key = None
        keys.append(key)
    missing = [k for k in COMMON if k not in keys]
    for key in missing:
        yield Issue(number, MISSING_COLUMN, {"line": number, "column": key,
                                             "label": COLUMNS[key]})
    if missing:
        return
    width = len(keys)
    ignored = None in keys
    candidates = {t: [k for k in keys if k in not_for] for t, not_for in NOT_FOR.items()}
    usual = _csv_usual_job(keys, tz)
    for number, text in decoded:
        if type(text) is not str:
            yield text
            continue
        if '"' in text:
            try:
                fields = next(csv.reader([text], delimiter=delimiter, strict=True))
            except csv.Error as exc:
                yield Issue(number, BAD_QUOTES, {"line": number, "reason": str(exc),
                                                 "value": _show(text)})
                continue
        else:
            fields = text.split(delimiter)
        if len(fields) != width:
            yield Issue(number, FIELD_COUNT, {"line": number, "count": len(fields),
                                              "expected": width, "value": _show(text)})
            continue
        if usual is not None and (job := usual(number, fields)) is not None:
            yield job
            continue
        row = dict(zip(keys, fields, strict=True))
        if ignored:
            row.pop(None, None)
        issues: list[Issue] = []
        record = _record(number, row, tz, candidates, issues)
        if record is None:
            yield from issues
        else:
            yield record


_json_keys: dict[str, str | None] = {}


def _json_key(raw: str) -> str | None:
    try:
        return _json_keys[raw]
    except KeyError:
        key = _COLUMN_KEYS.get(normalize(raw))
        if len(_json_keys) < 1000:
            _json_keys[raw] = key
        return key


def _parse_jsonl(lines: Iterable[bytes], tz: tzinfo) -> Iterator[Job | Point | Check | Issue]:
    raw_decode = json.JSONDecoder().raw_decode  # json.loads without its Python wrapper
    canonical = frozenset(COLUMNS)
    for number, text in _decoded(lines):
        if type(text) is not str:
            yield text
            continue
        try:
            obj, end = raw_decode(text)
            if end != len(text) and not text[end:].isspace():
                raise ValueError
        except (ValueError, RecursionError):
            try:  # spaces around the object; else the exact error
                obj = json.loads(text)
            except RecursionError:
                yield Issue(number, BAD_JSON, {"line": number, "reason": "nested too deeply",
                                               "value": _show(text)})
                continue
            except ValueError as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                yield Issue(number, BAD_JSON, {"line": number, "reason": reason,
                                               "value": _show(text)})
                continue
        if type(obj) is not dict:
            yield Issue(number, NOT_OBJECT, {"line": number, "value": _show(obj)})
            continue
        if "\\u0000" in text:  # a NUL character escaped in a string
            yield Issue(number, NUL_BYTE, {"line": number})
            continue
        issues: list[Issue] = []
        if canonical.issuperset(obj):  # the usual case: the English keys
            row = obj
        else:
            row = {}
            for raw_key, value in obj.items():
                key = _json_key(raw_key)
                if key is None:
                    issues.append(Issue(number, UNKNOWN_COLUMN, {
                        "line": number, "value": _show(raw_key), "expected": _COLUMN_HINT}))
                elif key in row:
                    issues.append(Issue(number, DUPLICATE_COLUMN,
                                        {"line": number, "column": key}))
                else:
                    row[key] = value
        record = _record(number, row, tz, None, issues)
        if record is None:
            yield from issues
        else:
            yield record


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_FIELDS = {Job: ("started_at", "ended_at"), Point: ("time",), Check: ("date",)}


def parse(lines: Iterable[bytes], *, fmt: str, tzinfo: tzinfo,
          latest: datetime | None = None) -> Iterator[Job | Point | Check | Issue]:
    """Parse ``lines`` (bytes, as read from a file opened in binary mode) in format ``fmt``
    (``csv`` or ``jsonl``): one record or one or more issues per non-blank line, in order.
    Naive datetimes are read in ``tzinfo``; every datetime returned is aware, from 1970 on and,
    when ``latest`` is given, not after it (a date in the future is refused)."""
    if fmt == CSV:
        items = _parse_csv(lines, tzinfo)
    elif fmt == JSONL:
        items = _parse_jsonl(lines, tzinfo)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return _in_range(items, latest)


def _in_range(items, latest: datetime | None):
    for item in items:
        fields = _DATE_FIELDS.get(type(item))
        if fields is not None:
            bad = None
            for column, value in zip(fields, _dates_of(item), strict=True):
                if value is None:
                    continue
                try:
                    if value < EARLIEST or (latest is not None and value > latest):
                        bad = (column, value)
                except OverflowError:  # at the edge of the calendar
                    bad = (column, value)
                if bad:
                    break
            if bad:
                yield Issue(item.line, OUT_OF_RANGE, {"line": item.line, "column": bad[0],
                                                      "value": bad[1].isoformat()})
                continue
        yield item


def _dates_of(item) -> tuple:
    if type(item) is Job:
        return (item.started_at, item.ended_at)
    if type(item) is Point:
        return (item.taken_at,)
    return (item.performed_at,)


# --- Writing (Django) ---------------------------------------------------------------------

MAX_ERRORS = 100
PROGRESS_EVERY = 100_000
BATCH_SIZE = 50_000
FORMATS = {".csv": CSV, ".jsonl": JSONL, ".ndjson": JSONL, ".json": JSONL}
FORMAT_NAMES = {"csv": CSV, "jsonl": JSONL, "ndjson": JSONL, "json": JSONL}


class IngestError(Exception):
    """The file was refused; nothing was written. ``errors``: the messages (at most
    ``MAX_ERRORS``, then "… and K more"); ``count``: how many problems in all."""

    def __init__(self, errors: list[str], count: int | None = None):
        super().__init__("\n".join(errors))
        self.errors = errors
        self.count = len(errors) if count is None else count


class _Errors:
    def __init__(self):
        self.messages: list[str] = []
        self.count = 0

    def add(self, template: str, params: dict) -> None:
        self.count += 1
        if self.count <= MAX_ERRORS:
            self.messages.append(_(template) % params)

    def raise_if_any(self) -> None:
        if self.count:
            errors = list(self.messages)
            if self.count > MAX_ERRORS:
                errors.append(_("… and %(count)d more") % {"count": self.count - MAX_ERRORS})
            raise IngestError(errors, self.count)


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt:
        try:
            return FORMAT_NAMES[fmt.lower()]
        except KeyError:
            raise IngestError([_("unknown format %(fmt)s: csv or jsonl") % {"fmt": fmt}]) from None
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise IngestError([_("cannot tell the format of %(name)s from its name (.csv, .jsonl, "
                             ".ndjson or .json): give it (csv or jsonl)")
                           % {"name": path.name}]) from None


UNKNOWN_ASSET = gettext_noop(
    "line %(line)s: column data_asset: no data asset %(asset)s that you may change in "
    "%(top)s: check the code, or declare the data asset first")
UNDECLARED_COPY = gettext_noop(
    "line %(line)s: copy %(copy)s of data asset %(asset)s is not declared: declare it first "
    "(Sauvegardes sheet or the copy form)")
DRIVEN_COPY = gettext_noop(
    "line %(line)s: copy %(copy)s of data asset %(asset)s is a %(engine)s repository: pcra "
    "collects and verifies it itself, its results cannot be ingested")


class _References:
    """``(asset code, copy name)`` → copy id, or why not, for the assets ``user`` may change
    in ``top_id`` (``user=None``: all). Loaded with two queries, memoised per pair."""

    def __init__(self, top_code: str, top_id: int, user):
        access = access_for(user) if user is not None else None
        self.top_code = top_code
        self.assets = {code for code, org_id in DataAsset.objects.filter(node__top_id=top_id)
                       .values_list("node__code", "node__organization_id")
                       if access is None or access.can_write(org_id, top_id=top_id)}
        self.copies = {(code, name): (pk, engine) for pk, name, engine, code in
                       BackupCopy.objects.filter(data_asset__node__top_id=top_id)
                       .values_list("id", "name", "engine", "data_asset__node__code")
                       if code in self.assets}
        self.memo: dict[tuple[str, str], int | tuple[str, dict]] = {}

    def resolve(self, asset: str, copy: str) -> int | tuple[str, dict]:
        """The copy id, or ``(template, params)`` without ``line``."""
        key = (asset, copy)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self._resolve(asset, copy)
        return found

    def _resolve(self, asset: str, copy: str) -> int | tuple[str, dict]:
        if asset not in self.assets:
            return UNKNOWN_ASSET, {"asset": _show(asset), "top": self.top_code}
        try:
            pk, engine = self.copies[(asset, copy)]
        except KeyError:
            return UNDECLARED_COPY, {"asset": _show(asset), "copy": _show(copy)}
        if engine in DRIVEN_ENGINES:
            return DRIVEN_COPY, {"asset": _show(asset), "copy": _show(copy),
                                 "engine": Engine(engine).label}
        return pk


def _lines(handle, digest, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The file's lines (without their ``\\n``), read by chunks that are fed to ``digest``."""
    rest = b""
    while chunk := handle.read(chunk_size):
        digest.update(chunk)
        lines = chunk.split(b"\n")
        lines[0] = rest + lines[0]
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


class _Stage:
    """Job and restore point rows staged in temporary tables while the file is read, then
    moved into the real tables in one statement each, sorted by (copy, external id), skipping
    the pairs already there (the first occurrence in the file wins). The real tables are not
    touched until the whole file is known to be valid.

    SQLite: ``executemany`` into the staging table, then ``INSERT … SELECT … ON CONFLICT DO
    NOTHING``. PostgreSQL: binary ``COPY`` (psycopg 3), then ``INSERT … SELECT DISTINCT ON …
    WHERE NOT EXISTS`` (a plain insert: ``ON CONFLICT`` costs a speculative insertion per row),
    ingests being serialised by an advisory lock."""

    JOB_COLUMNS = ("copy", "external_id", "started_at", "ended_at", "status", "bytes",
                   "message", "source")
    POINT_COLUMNS = ("copy", "external_id", "taken_at", "size_bytes", "file_count", "label",
                     "source", "collected_at")
    LINE = "pcra_line"  # the staging column holding the line number

    def __init__(self, cursor, now: datetime):
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        self.dt = _identity if self.postgres else _sqlite_datetime(connection.timezone)
        self.now = self.dt(now)
        self.tables = {BackupJob: self.JOB_COLUMNS, RestorePoint: self.POINT_COLUMNS}
        self.rows: dict[type, list[tuple]] = {BackupJob: [], RestorePoint: []}
        self.staged = dict.fromkeys(self.tables, 0)
        self.sql, self.copy_types = {}, {}
        for model, names in self.tables.items():
            temp, columns = _temp(model), f"{self.LINE}, {_columns(model, names)}"
            fields = [model._meta.get_field(n) for n in names]
            cursor.execute(f"DROP TABLE IF EXISTS {temp}")
            types = ", ".join(f"{_q(f.column)} {f.db_type(connection)}" for f in fields)
            cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({self.LINE} bigint, {types})")
            if self.postgres:
                self.sql[model] = f"COPY {temp} ({columns}) FROM STDIN (FORMAT BINARY)"
                self.copy_types[model] = ["int8", *(_PG_COPY_TYPES[_internal_type(f)]
                                                    for f in fields)]
            else:
                marks = ", ".join(["%s"] * (len(names) + 1))
                self.sql[model] = f"INSERT INTO {temp} ({columns}) VALUES ({marks})"
        self.jobs, self.points = self.rows[BackupJob], self.rows[RestorePoint]

    def job(self, copy_id: int, job: Job) -> None:
        dt = self.dt
        self.jobs.append((job.line, copy_id, job.external_id,
                          None if job.started_at is None else dt(job.started_at),
                          dt(job.ended_at), job.status, job.bytes, job.message, Source.INGEST))
        if len(self.jobs) >= BATCH_SIZE:
            self._flush(BackupJob)

    def point(self, copy_id: int, point: Point) -> None:
        self.points.append((point.line, copy_id, point.external_id, self.dt(point.taken_at),
                            point.size_bytes, point.file_count, point.label, Source.INGEST,
                            self.now))
        if len(self.points) >= BATCH_SIZE:
            self._flush(RestorePoint)

    def _flush(self, model) -> None:
        rows = self.rows[model]
        if not rows:
            return
        self.staged[model] += len(rows)
        if self.postgres:
            with self.cursor.cursor.copy(self.sql[model]) as copy:
                copy.set_types(self.copy_types[model])
                write = copy.write_row
                for row in rows:
                    write(row)
        else:
            self.cursor.executemany(self.sql[model], rows)
        rows.clear()

    def finish(self) -> tuple[int, int, int]:
        """Move the staged rows: (jobs inserted, points inserted, rows already there)."""
        for model in self.tables:
            self._flush(model)
        if self.postgres:
            self.cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
            self.cursor.execute("SET LOCAL work_mem = '256MB'")  # sort in memory
            inserted = {model: self._move_postgresql(model) for model in self.tables}
        else:
            self.cursor.execute("PRAGMA main.cache_size")
            cache_size = int(self.cursor.fetchone()[0])
            # a bigger page cache for the index updates of large files
            self.cursor.execute(f"PRAGMA main.cache_size = {SQLITE_CACHE_KIB}")
            try:
                inserted = {model: self._move_sqlite(model) for model in self.tables}
            finally:
                self.cursor.execute(f"PRAGMA main.cache_size = {cache_size}")
        for model in self.tables:
            self.cursor.execute(f"DROP TABLE {_temp(model)}")
        known = sum(self.staged.values()) - sum(inserted.values())
        return inserted[BackupJob], inserted[RestorePoint], known

    def _move_sqlite(self, model) -> int:
        if not self.staged[model]:
            return 0
        columns = _columns(model, self.tables[model])
        key = _columns(model, ("copy", "external_id"))
        # WHERE true: SQLite's parser needs it before an upsert clause
        self.cursor.execute(
            f"INSERT INTO {_q(model._meta.db_table)} ({columns}) SELECT {columns} "
            f"FROM {_temp(model)} WHERE true ORDER BY {key}, {self.LINE} "
            f"ON CONFLICT ({key}) DO NOTHING")
        return self.cursor.rowcount

    def _move_postgresql(self, model) -> int:
        if not self.staged[model]:
            return 0
        temp, table = _temp(model), _q(model._meta.db_table)
        columns = _columns(model, self.tables[model])
        copy_id, external_id = (_q(model._meta.get_field(n).column)
                                for n in ("copy", "external_id"))
        self.cursor.execute(f"ANALYZE {temp}")
        self.cursor.execute(
            f"INSERT INTO {table} ({columns}) "
            f"SELECT DISTINCT ON ({copy_id}, {external_id}) {columns} FROM {temp} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE t.{copy_id} = s.{copy_id} "
            f"AND t.{external_id} = s.{external_id}) "
            f"ORDER BY {copy_id}, {external_id}, {self.LINE}")
        return self.cursor.rowcount


#: serialises ingests on PostgreSQL (their "not already there" checks would race)
PG_LOCK_KEY = 0x7063_7261_5F69_6E67  # "pcra_ing"
_PG_COPY_TYPES = {"BigAutoField": "int8", "BigIntegerField": "int8", "CharField": "varchar",
                  "TextField": "text", "DateTimeField": "timestamptz"}


def _internal_type(field) -> str:
    target = getattr(field, "target_field", None)
    return (target or field).get_internal_type()


SQLITE_CACHE_KIB = -65536  # 64 MiB


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _temp(model) -> str:
    return _q(f"pcra_ingest_{model._meta.model_name}")


def _columns(model, names) -> str:
    return ", ".join(_q(model._meta.get_field(n).column) for n in names)


def _identity(value):
    return value


def _sqlite_datetime(tz: tzinfo) -> Callable[[datetime], str]:
    """Aware datetime → the naive text Django stores on SQLite (in the connection's zone)."""
    if tz is UTC or tz == UTC:
        def convert(value: datetime) -> str:
            return value.astimezone(UTC).isoformat(" ")[:-6]  # drop "+00:00"
    else:  # pragma: no cover - DATABASES["default"]["TIME_ZONE"] set
        def convert(value: datetime) -> str:
            return value.astimezone(tz).replace(tzinfo=None).isoformat(" ")
    return convert


def _new_verifications(checks: list[tuple[int, Check]]) -> tuple[list[Verification], int]:
    """Verification rows for ``checks`` not already known (same copy, date, kind and result,
    in the database or earlier in the file); and how many were already known."""
    if not checks:
        return [], 0
    copy_ids = {copy_id for copy_id, _check in checks}
    # in UTC: an aware datetime of an ambiguous local hour never equals one of another zone
    checks = [(copy_id, check._replace(performed_at=check.performed_at.astimezone(UTC)))
              for copy_id, check in checks]
    dates = [check.performed_at for _copy, check in checks]
    known = set(Verification.objects.filter(
        copy_id__in=copy_ids, performed_at__gte=min(dates), performed_at__lte=max(dates))
        .values_list("copy_id", "performed_at", "kind", "result"))
    copies = BackupCopy.objects.select_related("data_asset__node").in_bulk(copy_ids)
    rows, duplicates = [], 0
    for copy_id, check in checks:
        key = (copy_id, check.performed_at, check.kind, check.result)
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        rows.append(Verification(
            copy=copies[copy_id], performed_at=check.performed_at, kind=check.kind,
            result=check.result, error_count=check.error_count,
            duration_seconds=check.duration_seconds, size_bytes=check.size_bytes,
            notes=check.notes, source=Source.INGEST))
    return rows, duplicates


def ingest_file(*, path: Path, top, user=None, fmt: str | None = None,
                progress: Callable[[int], None] | None = None) -> IngestBatch:
    """Ingest the job results, restore points and verifications of ``path`` into the GHT
    ``top`` (any organization: its top is used), as ``user`` (``None``: the operator, who may
    write anything in the top). ``progress(lines)`` is called every 100,000 lines.

    The whole file or nothing: any problem raises :class:`IngestError` listing them all (at
    most 100) and nothing is written. The file is read once, in one transaction: valid rows
    are staged in temporary tables and only moved into the real ones when the whole file is
    valid."""
    path = Path(path)
    fmt = _format_of(path, fmt)
    top_id = top.top_id
    top_code = top.code if top.pk == top_id else top.root.code
    actor = current_actor()
    if user is not None and actor.user_id != user.pk:
        actor = actor_for_user(user)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError([_("cannot read %(name)s: %(reason)s")
                           % {"name": path.name, "reason": exc.strerror or exc}]) from exc
    try:
        return _ingest(handle, path.name, fmt, top_id, top_code, user, actor, progress)
    except OSError as exc:  # a read error half-way: the transaction was rolled back
        raise IngestError([_("cannot read %(name)s: %(reason)s")
                           % {"name": path.name, "reason": exc.strerror or exc}]) from exc
    except IntegrityError as exc:  # rows written meanwhile by someone else
        raise IngestError([_("the database refused the rows of %(name)s (%(reason)s): "
                             "nothing was written; run the ingest again")
                           % {"name": path.name, "reason": exc}]) from exc


def _ingest(handle, filename, fmt, top_id, top_code, user, actor, progress) -> IngestBatch:
    tz = timezone.get_default_timezone()
    digest = hashlib.sha256()
    errors = _Errors()
    with handle, acting_as(actor), transaction.atomic(), connection.cursor() as cursor:
        resolve = _References(top_code, top_id, user).resolve
        stage = _Stage(cursor, timezone.now())
        checks: list[tuple[int, Check]] = []
        every = PROGRESS_EVERY
        mark = every if progress is not None else math.inf
        latest = timezone.now() + timedelta(minutes=5)
        for item in parse(_lines(handle, digest), fmt=fmt, tzinfo=tz, latest=latest):
            if item[0] >= mark:  # the line number
                mark = (item[0] // every + 1) * every
                progress(mark - every)
            kind = type(item)
            if kind is Issue:
                errors.add(item.template, item.params)
                continue
            found = resolve(item.asset, item.copy)
            if type(found) is not int:
                errors.add(found[0], {**found[1], "line": item.line})
            elif errors.count:
                continue  # the file is refused: stop staging, keep checking
            elif kind is Job:
                stage.job(found, item)
            elif kind is Point:
                stage.point(found, item)
            else:
                checks.append((found, item))
        errors.raise_if_any()  # rolls the staging back
        jobs, points, known = stage.finish()
        verifications, known_checks = _new_verifications(checks)
        Verification.objects.bulk_create(verifications)
        audit.record_many(audit.Change("create", v, None, audit.snapshot(v))
                          for v in verifications)
        return IngestBatch.objects.create(
            top_id=top_id, filename=filename[:255], sha256=digest.hexdigest(), fmt=fmt,
            jobs=jobs, points=points, verifications=len(verifications),
            duplicates=known + known_checks, created_by=user)
