"""Problem files: PSPLIB single-mode ``.sm`` and pcra's JSON problem (plain Python, no Django).

Both readers are strict and say where a file is wrong: a ``FormatError`` names the file (as the
caller named it), then the line (``.sm``, and JSON syntax) or the JSON path (``tasks[3].duration``),
then what was expected. The format is documented in ``docs/schedule-format.md``.

The PSPLIB reader is written here rather than taken from the ``psplib`` package, whose errors do
not name lines. It reads the single-mode RCPSP files of PSPLIB (j30, j60, j90, j120): one
project, one mode per job, renewable resources only; anything else is refused, never read as a
different problem.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any

from .model import MAX_NUMBER, Problem, ProblemError, Resource, Task, find_cycle


class FormatError(ProblemError):
    """A problem file that cannot be read. ``source``: the file's name as given (may be "");
    ``line`` (and ``column``): where in the text; ``path``: where in the JSON document."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None,
                 column: int | None = None, path: str | None = None):
        self.source = source
        self.line = line
        self.column = column
        self.path = path
        self.detail = message
        where = []
        if line is not None:
            where.append(f"line {line}" + (f", column {column}" if column is not None else ""))
        if path is not None:
            where.append(f"at {path or 'the top level'}")
        text = ": ".join([", ".join(where), message] if where else [message])
        if source:
            text = f"{source}, {text}" if where else f"{source}: {text}"
        else:
            text = text[:1].upper() + text[1:]
        super().__init__(text)


# --- reading any problem file ------------------------------------------------------------------

def read_problem(path: str | Path) -> Problem:
    """Read a problem file, recognised by its content (a pcra JSON problem starts with ``{``; a
    PSPLIB file starts with a line of ``*`` and has a PRECEDENCE RELATIONS section), else by its
    extension (``.json``, ``.sm``) to say what is wrong with it. Errors name the file as given."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise FormatError(f"cannot read the file: {reason}.", source=name) from error
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        at = skip + error.start
        raise FormatError(f"the file is not UTF-8 text (byte {at}, 0x{data[at]:02x}).",
                          source=name, line=data.count(b"\n", 0, at) + 1) from error
    if not text.strip():
        raise FormatError("the file is empty.", source=name)
    start = text.lstrip()
    suffix = Path(path).suffix.lower()
    if start.startswith("{"):
        return read_json_problem(text, name=name)
    if start.startswith("*") and "PRECEDENCE RELATIONS" in text.upper():
        return read_psplib(text, name=name)
    if suffix == ".json":
        return read_json_problem(text, name=name)
    if suffix == ".sm":
        return read_psplib(text, name=name)
    raise FormatError("not a problem file pcra knows: a pcra JSON problem starts with '{'; a "
                      "PSPLIB single-mode file starts with a line of '*' and has a 'PRECEDENCE "
                      "RELATIONS:' section.", source=name)


# --- PSPLIB single-mode (.sm) --------------------------------------------------------------------

_STAR_LINE = re.compile(r"\s*\*+\s*")
_DASH_LINE = re.compile(r"\s*-+\s*")
_NUMBER = re.compile(r"[0-9]+")
_HEADER_LINE = re.compile(r"\s*-?\s*([^:]*?)\s*:\s*(.*?)\s*")
_RESOURCE_COLUMNS = re.compile(r"(?:\s*[A-Za-z]+\s*[0-9]+)*\s*")
_RESOURCE_COLUMN = re.compile(r"([A-Za-z]+)\s*([0-9]+)")

_PROJECT = "PROJECT INFORMATION"
_PRECEDENCE = "PRECEDENCE RELATIONS"
_REQUESTS = "REQUESTS/DURATIONS"
_AVAILABILITIES = "RESOURCEAVAILABILITIES"
_TITLES = {"".join(title.split()): title
           for title in (_PROJECT, _PRECEDENCE, _REQUESTS, _AVAILABILITIES)}

_COUNTS = ("projects", "jobs", "horizon", "renewable", "nonrenewable", "doubly constrained")
_UNSUPPORTED = "pcra reads single-mode PSPLIB files with renewable resources only"


def read_psplib(text: str, *, name: str = "") -> Problem:
    """Read a PSPLIB single-mode RCPSP file (``.sm``).

    Tasks are the jobs, ids "1".."N" (the dummy source and sink included, duration 0), in job
    order; resources "R1".."RK" (from the columns "R 1".."R K") with the RESOURCEAVAILABILITIES
    capacities; successors from PRECEDENCE RELATIONS; durations and demands from
    REQUESTS/DURATIONS (zero demands omitted). The problem is named after the file (``name``
    without directory and extension). The project's release date, due date and tardiness cost
    are not used (the PSPLIB objective is the makespan)."""
    return _PsplibReader(text, name).read()


def _section_title(line: str) -> str | None:
    key = "".join(line.split()).upper().removesuffix(":")
    return _TITLES.get(key)


class _PsplibReader:
    def __init__(self, text: str, source: str):
        self.source = source
        self.lines = text.splitlines()
        # From the header (and the REQUESTS/DURATIONS headings): each count and its line.
        self.jobs: int = 0
        self.renewable: int | None = None
        self.jobs_line = self.renewable_line = self.columns_line = 0

    def error(self, line: int | None, message: str) -> FormatError:
        return FormatError(message, source=self.source, line=line)

    def number(self, token: str, line: int, what: str) -> int:
        if not _NUMBER.fullmatch(token):
            raise self.error(line, f"{token!r} is not a whole number >= 0 ({what}).")
        if len(token.lstrip("0")) > len(str(MAX_NUMBER)) or int(token) > MAX_NUMBER:
            raise self.error(line, f"{token[:20]}{'…' if len(token) > 20 else ''} is too large "
                                   f"({what}): at most {MAX_NUMBER}.")
        return int(token)

    def read(self) -> Problem:
        lines = self.lines
        if not lines or not _STAR_LINE.fullmatch(lines[0]):
            raise self.error(1, "expected a line of '*': a PSPLIB .sm file starts with one.")
        position = self.read_header()
        if self.title_at(position) == _PROJECT:
            position = self.read_project(position)
        position = self.expect(position, _PRECEDENCE)
        successors, job_lines, position = self.read_precedence(position)
        position = self.expect(position, _REQUESTS)
        columns, durations, demands, request_lines, position = self.read_requests(position)
        position = self.expect(position, _AVAILABILITIES)
        capacities, position = self.read_availabilities(position, columns)
        position = self.skip_separators(position)
        if position < len(lines):
            raise self.error(position + 1, f"unexpected line after the {_AVAILABILITIES} "
                                           f"section: {lines[position].strip()!r}.")

        resource_ids = [kind.upper() + number for kind, number in columns]
        for job, units in enumerate(demands, start=1):
            for resource_id, unit, capacity in zip(resource_ids, units, capacities, strict=True):
                if unit > capacity:
                    raise self.error(request_lines[job - 1],
                                     f"job {job} needs {unit} units of {resource_id}, whose "
                                     f"capacity is {capacity}: it can never run.")
        problem = Problem(
            resources=[Resource(id=resource_id, capacity=capacity)
                       for resource_id, capacity in zip(resource_ids, capacities, strict=True)],
            tasks=[Task(id=str(job), duration=durations[job - 1],
                        demands={resource_id: unit for resource_id, unit
                                 in zip(resource_ids, demands[job - 1], strict=True) if unit},
                        successors=tuple(str(successor) for successor in successors[job - 1]))
                   for job in range(1, len(successors) + 1)],
            name=Path(self.source).stem if self.source else "",
        )
        cycle = find_cycle(problem)
        if cycle:
            at = ", ".join(str(job_lines[int(job) - 1]) for job in cycle[:-1])
            raise self.error(job_lines[int(cycle[0]) - 1],
                             f"the precedence relations form a cycle: {' → '.join(cycle)} "
                             f"(jobs at lines {at}).")
        return _validated(problem, self.source)

    # The header: "name : value" lines up to the first section.
    def read_header(self) -> int:
        position = 1
        while position < len(self.lines) and not _section_title(self.lines[position]):
            line, number = self.lines[position], position + 1
            position += 1
            if not line.strip() or _STAR_LINE.fullmatch(line) or line.strip() == "RESOURCES":
                continue
            match = _HEADER_LINE.fullmatch(line)
            if not match:
                raise self.error(number, f"expected 'name : value' or a section title, found "
                                         f"{line.strip()!r}.")
            key = " ".join(match[1].lower().split())
            if not key.startswith(_COUNTS):
                continue  # "file with basedata", "initial value random generator": not used
            value = match[2].split()
            count = self.number(value[0] if value else "", number, f"the value of {key!r}")
            if key.startswith("jobs"):
                if count < 1:
                    raise self.error(number, "expected at least 1 job.")
                self.jobs, self.jobs_line = count, number
            elif key == "projects" and count != 1:
                raise self.error(number, f"the file holds {count} projects: {_UNSUPPORTED}, "
                                         f"one project per file.")
            elif key.startswith("renewable"):
                self.renewable, self.renewable_line = count, number
            elif key.startswith(("nonrenewable", "doubly constrained")) and count:
                raise self.error(number, f"the file has {count} {key} resources: "
                                         f"{_UNSUPPORTED}.")
        if position >= len(self.lines):
            raise self.error(len(self.lines), f"the file ends before the {_PRECEDENCE} section "
                                              f"(a truncated file?).")
        if not self.jobs_line:
            raise self.error(position + 1, "the header has no 'jobs (incl. supersource/sink ) "
                                           ":' line before this section.")
        if self.renewable is None:
            raise self.error(position + 1, "the header has no '- renewable :' line (the number "
                                           "of renewable resources) before this section.")
        return position

    def title_at(self, position: int) -> str | None:
        return _section_title(self.lines[position]) if position < len(self.lines) else None

    def skip_separators(self, position: int) -> int:
        while position < len(self.lines) and (not self.lines[position].strip()
                                              or _STAR_LINE.fullmatch(self.lines[position])):
            position += 1
        return position

    def expect(self, position: int, title: str) -> int:
        """The position after ``title``'s line, expected at ``position`` (separators skipped)."""
        position = self.skip_separators(position)
        if position >= len(self.lines):
            raise self.error(len(self.lines), f"the file ends here, without the {title} "
                                              f"section (a truncated file?).")
        if self.title_at(position) != title:
            raise self.error(position + 1, f"expected the section '{title}:' here, found "
                                           f"{self.lines[position].strip()!r}.")
        return position + 1

    def body(self, position: int) -> tuple[list[tuple[int, str]], int]:
        """The non-blank lines (number, text) of the section starting at ``position``, up to a
        line of '*', the next title or the end; and where it stopped."""
        rows = []
        while position < len(self.lines):
            line = self.lines[position]
            if _STAR_LINE.fullmatch(line) or _section_title(line):
                break
            if line.strip():
                rows.append((position + 1, line))
            position += 1
        return rows, position

    def short(self, title: str, position: int, found: int, what: str) -> FormatError:
        """A section with too few rows, reported where it stopped."""
        if position >= len(self.lines):
            return self.error(len(self.lines), f"the file ends after {found} of the {what} in "
                                               f"the {title} section (a truncated file?).")
        return self.error(position + 1, f"the {title} section ends after {found} of the "
                                        f"{what}.")

    def declared_jobs(self) -> str:
        return f"{self.jobs} jobs declared at line {self.jobs_line}"

    def job_number(self, token: str, line: int, job: int) -> None:
        """Check that the row at ``line`` is job ``job``'s: jobs are listed in order 1..N."""
        found = self.number(token, line, "the job number")
        if found > self.jobs:
            raise self.error(line, f"job {found} is beyond the {self.declared_jobs()}.")
        if found != job:
            raise self.error(line, f"expected job {job} here (jobs are listed in order), found "
                                   f"job {found}.")

    def data_rows(self, rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Rows without the column headings (a first row that does not start with a number)."""
        if rows and not _NUMBER.fullmatch(rows[0][1].split()[0]):
            return rows[1:]
        return rows

    def read_project(self, position: int) -> int:
        rows, end = self.body(position + 1)
        rows = self.data_rows(rows)
        if not rows:
            raise self.short(_PROJECT, end, 0, "1 project row (pronr. #jobs rel.date ...)")
        number, line = rows[0]
        names = ("the project number", "the number of jobs")
        values = [self.number(token, number, names[index] if index < 2 else "a project value")
                  for index, token in enumerate(line.split())]
        if len(values) < 2:
            raise self.error(number, "expected the project number and its number of jobs.")
        if values[1] + 2 != self.jobs:
            raise self.error(number, f"the project has {values[1]} jobs, but line "
                                     f"{self.jobs_line} declares {self.jobs} jobs including the "
                                     f"dummy source and sink ({values[1] + 2} expected).")
        if len(rows) > 1:
            raise self.error(rows[1][0], f"a second project row: {_UNSUPPORTED}, one project "
                                         f"per file.")
        return end

    def read_precedence(self, position: int):
        rows, end = self.body(position)
        successors: list[list[int]] = []
        lines: list[int] = []
        for number, line in self.data_rows(rows):
            tokens = line.split()
            job = len(successors) + 1
            if len(tokens) < 3:
                raise self.error(number, f"expected a job number, its number of modes and its "
                                         f"number of successors, found {line.strip()!r}.")
            self.job_number(tokens[0], number, job)
            modes = self.number(tokens[1], number, f"the number of modes of job {job}")
            if modes != 1:
                raise self.error(number, f"job {job} has {modes} modes: {_UNSUPPORTED}.")
            count = self.number(tokens[2], number, f"the number of successors of job {job}")
            listed = [self.number(token, number, f"a successor of job {job}")
                      for token in tokens[3:]]
            if len(listed) != count:
                raise self.error(number, f"job {job} declares {count} successors but lists "
                                         f"{len(listed)}.")
            seen: set[int] = set()
            for successor in listed:
                if not 1 <= successor <= self.jobs:
                    raise self.error(number, f"successor {successor} of job {job} is not a job "
                                             f"(jobs are 1 to {self.jobs}, line "
                                             f"{self.jobs_line}).")
                if successor == job:
                    raise self.error(number, f"job {job} is its own successor.")
                if successor in seen:
                    raise self.error(number, f"job {job} lists successor {successor} twice.")
                seen.add(successor)
            successors.append(listed)
            lines.append(number)
        if len(successors) < self.jobs:
            raise self.short(_PRECEDENCE, end, len(successors), self.declared_jobs())
        return successors, lines, end

    def read_columns(self, rows: list[tuple[int, str]], end: int) -> list[tuple[str, str]]:
        """The resource columns ("R", "1") of the REQUESTS/DURATIONS headings."""
        if not rows:
            raise self.short(_REQUESTS, end, 0, "column headings (jobnr. mode duration R 1 ...)")
        number, line = rows[0]
        tokens = line.split(maxsplit=3)
        if (len(tokens) < 3 or not tokens[0].lower().startswith("jobnr")
                or tokens[1].lower() != "mode" or not tokens[2].lower().startswith("dur")):
            raise self.error(number, f"expected the column headings 'jobnr. mode duration R 1 "
                                     f"...', found {line.strip()!r}.")
        rest = tokens[3] if len(tokens) > 3 else ""
        if not _RESOURCE_COLUMNS.fullmatch(rest):
            raise self.error(number, f"expected resource columns such as 'R 1  R 2', found "
                                     f"{rest.strip()!r}.")
        columns = [(kind, index) for kind, index in _RESOURCE_COLUMN.findall(rest)]
        for kind, index in columns:
            if kind.upper() != "R":
                raise self.error(number, f"column '{kind} {index}' is not a renewable resource "
                                         f"(R): {_UNSUPPORTED}.")
        if len(set(columns)) != len(columns):
            raise self.error(number, "a resource column appears twice.")
        if len(columns) != self.renewable:
            raise self.error(number, f"{len(columns)} resource columns, but line "
                                     f"{self.renewable_line} declares {self.renewable} "
                                     f"renewable resources.")
        return columns

    def read_requests(self, position: int):
        rows, end = self.body(position)
        columns = self.read_columns(rows, end)
        self.columns_line = rows[0][0]
        rows = rows[1:]
        if rows and _DASH_LINE.fullmatch(rows[0][1]):
            rows = rows[1:]
        width = 3 + len(columns)
        durations: list[int] = []
        demands: list[list[int]] = []
        lines: list[int] = []
        for number, line in rows:
            tokens = line.split()
            job = len(durations) + 1
            if len(tokens) != width:
                hint = (f" (a second mode of job {job - 1}? {_UNSUPPORTED})"
                        if len(tokens) == width - 1 and durations else "")
                raise self.error(number, f"expected {width} numbers (job number, mode, duration "
                                         f"and {len(columns)} demands), found "
                                         f"{len(tokens)}{hint}.")
            self.job_number(tokens[0], number, job)
            mode = self.number(tokens[1], number, f"the mode of job {job}")
            if mode != 1:
                raise self.error(number, f"job {job} has a mode {mode}: {_UNSUPPORTED}.")
            durations.append(self.number(tokens[2], number, f"the duration of job {job}"))
            demands.append([self.number(token, number, f"the demand of job {job} for "
                                                        f"{kind} {index}")
                            for token, (kind, index) in zip(tokens[3:], columns, strict=True)])
            lines.append(number)
        if len(durations) < self.jobs:
            raise self.short(_REQUESTS, end, len(durations), self.declared_jobs())
        return columns, durations, demands, lines, end

    def read_availabilities(self, position: int, columns: list[tuple[str, str]]):
        rows, end = self.body(position)
        if not rows:
            raise self.short(_AVAILABILITIES, end, 0, "2 lines (resource names, capacities)")
        number, line = rows[0]
        if not _RESOURCE_COLUMNS.fullmatch(line):
            raise self.error(number, f"expected the resource names such as 'R 1  R 2', found "
                                     f"{line.strip()!r}.")
        names = [(kind, index) for kind, index in _RESOURCE_COLUMN.findall(line)]
        if names != columns:
            shown = "  ".join(f"{kind} {index}" for kind, index in columns)
            raise self.error(number, f"the resources here differ from the {_REQUESTS} columns "
                                     f"at line {self.columns_line} ({shown}).")
        if len(rows) < 2:
            raise self.short(_AVAILABILITIES, end, 1, "2 lines (resource names, capacities)")
        number, line = rows[1]
        tokens = line.split()
        if len(tokens) != len(columns):
            raise self.error(number, f"expected {len(columns)} capacities, found "
                                     f"{len(tokens)}.")
        capacities = [self.number(token, number, f"the capacity of {kind} {index}")
                      for token, (kind, index) in zip(tokens, columns, strict=True)]
        if len(rows) > 2:
            raise self.error(rows[2][0], f"unexpected line in the {_AVAILABILITIES} section: "
                                         f"{rows[2][1].strip()!r}.")
        return capacities, end


# --- pcra's JSON problem -------------------------------------------------------------------------

_PROBLEM_KEYS = ("name", "resources", "tasks")
_RESOURCE_KEYS = ("id", "capacity", "name")
_TASK_KEYS = ("id", "duration", "demands", "successors", "release", "due", "weight", "group",
              "label")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _JsonObject(dict):
    """A JSON object that remembers the keys it saw twice (json keeps the last silently)."""

    __slots__ = ("duplicates",)


def _object_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    result = _JsonObject()
    result.duplicates = []
    for key, value in pairs:
        if key in result:
            result.duplicates.append(key)
        result[key] = value
    return result


def read_json_problem(text: str, *, name: str = "") -> Problem:
    """Read pcra's JSON problem (``docs/schedule-format.md``). Strict: unknown keys, keys given
    twice, wrong types (a boolean is not a number, 3.0 is not a whole number), unknown
    references and impossible numbers are errors naming the JSON path."""
    try:
        document = json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as error:
        raise FormatError(f"not valid JSON: {error.msg}.", source=name, line=error.lineno,
                          column=error.colno) from error
    except RecursionError as error:
        raise FormatError("not a problem: the JSON is nested too deeply.",
                          source=name) from error
    except ValueError as error:  # a number of thousands of digits (Python's limit)
        raise FormatError(f"not a problem: a number has more than {sys.get_int_max_str_digits()} "
                          f"digits.", source=name) from error
    return _JsonReader(name).problem(document)


def _child(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"{json.dumps(value)} (a boolean)"
    if isinstance(value, float):
        if value.is_integer():
            return f"{value!r} (a decimal number: write it without a decimal point)"
        return f"{value!r} (a decimal number)"
    if value is None:
        return "null"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return f"the string {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _JsonReader:
    def __init__(self, source: str):
        self.source = source

    def error(self, path: str, message: str) -> FormatError:
        return FormatError(message, source=self.source, path=path)

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...] | None,
                required: tuple[str, ...] = ()) -> dict:
        """``value`` as an object: any keys when ``allowed`` is None."""
        if not isinstance(value, dict):
            raise self.error(path, f"expected an object {{...}}, found {_shown(value)}.")
        duplicates = getattr(value, "duplicates", ())
        if duplicates:
            raise self.error(path, f"key {duplicates[0]!r} is given twice.")
        for key in value:
            if allowed is not None and key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.error(_child(path, key), f"unknown key {key!r} ({hint}expected: "
                                                    f"{', '.join(allowed)}).")
        for key in required:
            if key not in value:
                raise self.error(path, f"the key {key!r} is missing.")
        return value

    def array(self, value: Any, path: str) -> list:
        if not isinstance(value, list):
            raise self.error(path, f"expected a list [...], found {_shown(value)}.")
        return value

    def integer(self, value: Any, path: str, minimum: int = 0) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(path, f"expected a whole number, found {_shown(value)}.")
        if value < minimum:
            raise self.error(path, f"expected a whole number >= {minimum}, found {value}.")
        if value > MAX_NUMBER:
            raise self.error(path, f"expected a whole number <= {MAX_NUMBER}, found "
                                   f"{str(value)[:20]}{'…' if len(str(value)) > 20 else ''}.")
        return value

    def string(self, value: Any, path: str, *, empty: bool = True) -> str:
        if not isinstance(value, str):
            raise self.error(path, f"expected a string, found {_shown(value)}.")
        if not empty and not value:
            raise self.error(path, "expected a non-empty string.")
        return value

    def problem(self, document: Any) -> Problem:
        top = self.mapping(document, "", _PROBLEM_KEYS, ("resources", "tasks"))
        name = self.string(top.get("name", ""), "name")
        resources: dict[str, Resource] = {}
        resource_paths: dict[str, str] = {}
        for index, item in enumerate(self.array(top["resources"], "resources")):
            path = f"resources[{index}]"
            item = self.mapping(item, path, _RESOURCE_KEYS, ("id", "capacity"))
            resource_id = self.string(item["id"], f"{path}.id", empty=False)
            if resource_id in resources:
                raise self.error(f"{path}.id", f"resource {resource_id!r} is defined twice "
                                               f"(also {resource_paths[resource_id]}).")
            resources[resource_id] = Resource(
                id=resource_id, capacity=self.integer(item["capacity"], f"{path}.capacity"),
                name=self.string(item.get("name", ""), f"{path}.name"))
            resource_paths[resource_id] = path
        tasks: list[Task] = []
        task_paths: dict[str, str] = {}
        for index, item in enumerate(self.array(top["tasks"], "tasks")):
            path = f"tasks[{index}]"
            task = self.task(item, path, resources)
            if task.id in task_paths:
                raise self.error(f"{path}.id", f"task {task.id!r} is defined twice (also "
                                               f"{task_paths[task.id]}).")
            task_paths[task.id] = path
            tasks.append(task)
        for index, task in enumerate(tasks):
            for position, successor in enumerate(task.successors):
                if successor not in task_paths:
                    raise self.error(f"tasks[{index}].successors[{position}]",
                                     f"{successor!r} is not a task.")
        problem = Problem(resources=tuple(resources.values()), tasks=tasks, name=name)
        cycle = find_cycle(problem)
        if cycle:
            raise self.error(f"{task_paths[cycle[0]]}.successors",
                             f"the precedence relations form a cycle: {' → '.join(cycle)}.")
        return _validated(problem, self.source)

    def task(self, item: Any, path: str, resources: dict[str, Resource]) -> Task:
        item = self.mapping(item, path, _TASK_KEYS, ("id", "duration"))
        task_id = self.string(item["id"], f"{path}.id", empty=False)
        duration = self.integer(item["duration"], f"{path}.duration")
        demands: dict[str, int] = {}
        for resource_id, units in self.mapping(item.get("demands", {}), f"{path}.demands",
                                               None).items():
            where = _child(f"{path}.demands", resource_id)
            demands[resource_id] = self.integer(units, where)
            resource = resources.get(resource_id)
            if resource is None:
                raise self.error(where, f"resource {resource_id!r} is not defined in resources.")
            if units > resource.capacity:
                raise self.error(where, f"task {task_id!r} needs {units} units of "
                                        f"{resource_id!r}, whose capacity is "
                                        f"{resource.capacity}: it can never run.")
        successors: dict[str, None] = {}  # ordered, and a quick test of "listed twice"
        for position, successor in enumerate(self.array(item.get("successors", []),
                                                        f"{path}.successors")):
            where = f"{path}.successors[{position}]"
            successor = self.string(successor, where, empty=False)
            if successor == task_id:
                raise self.error(where, f"task {task_id!r} is its own successor.")
            if successor in successors:
                raise self.error(where, f"successor {successor!r} is listed twice.")
            successors[successor] = None
        due, group = item.get("due"), item.get("group")
        return Task(
            id=task_id, duration=duration, demands=demands, successors=tuple(successors),
            release=self.integer(item.get("release", 0), f"{path}.release"),
            due=None if due is None else self.integer(due, f"{path}.due"),
            weight=self.integer(item.get("weight", 0), f"{path}.weight"),
            group=None if group is None else self.integer(group, f"{path}.group", minimum=1),
            label=self.string(item.get("label", ""), f"{path}.label"),
        )


def write_json_problem(problem: Problem) -> str:
    """The problem as pcra's JSON problem, one resource or task per line, default values
    omitted; ``read_json_problem`` reads it back to an equal problem."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def block(key: str, items: list[dict]) -> str:
        if not items:
            return f"  {dump(key)}: []"
        return f"  {dump(key)}: [\n" + ",\n".join("    " + dump(i) for i in items) + "\n  ]"

    resources = []
    for resource in problem.resources:
        item: dict[str, Any] = {"id": resource.id, "capacity": resource.capacity}
        if resource.name:
            item["name"] = resource.name
        resources.append(item)
    tasks = []
    for task in problem.tasks:
        item = {"id": task.id, "duration": task.duration}
        if task.demands:
            item["demands"] = dict(task.demands)
        if task.successors:
            item["successors"] = list(task.successors)
        if task.release:
            item["release"] = task.release
        if task.due is not None:
            item["due"] = task.due
        if task.weight:
            item["weight"] = task.weight
        if task.group is not None:
            item["group"] = task.group
        if task.label:
            item["label"] = task.label
        tasks.append(item)
    parts = [f"  \"name\": {dump(problem.name)}"] if problem.name else []
    parts += [block("resources", resources), block("tasks", tasks)]
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _validated(problem: Problem, source: str) -> Problem:
    try:
        problem.validate()
    except FormatError:
        raise
    except ProblemError as error:
        raise FormatError(str(error), source=source) from error
    return problem
