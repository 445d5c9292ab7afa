"""Problem files: PSPLIB `.sm` and pcra's JSON problem read to the right numbers, and every
broken input refused with an error that names the file and the line or the JSON path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcra.recovery.scheduler.formats import (
    FormatError,
    read_json_problem,
    read_problem,
    read_psplib,
    write_json_problem,
)
from pcra.recovery.scheduler.model import Problem, ProblemError, Resource, Task

pytestmark = pytest.mark.no_db

DATA = Path(__file__).parent / "data"
INSTANCES = ["j301_1", "j3010_5", "j3025_3", "j3037_9", "j3048_10",
             "j1201_1", "j12030_4", "j12060_10"]

EXAMPLE = {  # the worked example of docs/schedule-format.md
    "name": "ransomware, site A",
    "resources": [{"id": "it", "capacity": 2, "name": "Infrastructure team"}],
    "tasks": [
        {"id": "AD", "duration": 60, "demands": {"it": 1}, "successors": ["DPI", "LAB"]},
        {"id": "DPI", "duration": 120, "demands": {"it": 2}, "due": 180, "weight": 4},
        {"id": "LAB", "duration": 90, "demands": {"it": 1}, "due": 240, "weight": 1},
    ],
}


def j301_1() -> str:
    return (DATA / "j301_1.sm").read_text()


# --- PSPLIB: the numbers -----------------------------------------------------------------------

def test_j301_1_reads_as_the_file_says():
    problem = read_problem(DATA / "j301_1.sm")
    assert problem.name == "j301_1"
    assert problem.task_ids == [str(job) for job in range(1, 33)]
    assert problem.resources == (Resource("R1", 12), Resource("R2", 13), Resource("R3", 4),
                                 Resource("R4", 12))
    by_id = problem.by_id()
    assert by_id["1"] == Task("1", 0, {}, ("2", "3", "4"))
    assert by_id["2"] == Task("2", 8, {"R1": 4}, ("6", "11", "15"))
    assert by_id["20"] == Task("20", 7, {"R2": 10}, ("23", "25"))
    assert by_id["26"] == Task("26", 7, {"R3": 4}, ("31",))
    assert by_id["32"] == Task("32", 0, {}, ())
    assert sum(len(task.successors) for task in problem.tasks) == 48


def _plain_reading(text: str) -> tuple[list[int], list[list[int]], list[int], int]:
    """A second, naive reading of a well-formed .sm file: durations, demands, capacities and
    the number of precedence edges, by position of the numbers alone."""
    lines = [line.strip() for line in text.splitlines()]

    def numbers(title: str, skip: int) -> list[list[int]]:
        start = lines.index(title) + skip
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("*"))
        return [[int(value) for value in line.split()] for line in lines[start:end]]

    requests = numbers("REQUESTS/DURATIONS:", 3)
    edges = sum(row[2] for row in numbers("PRECEDENCE RELATIONS:", 2))
    capacities = numbers("RESOURCEAVAILABILITIES:", 2)[0]
    return [row[2] for row in requests], [row[3:] for row in requests], capacities, edges


@pytest.mark.parametrize("instance", INSTANCES)
def test_every_fixture_reads_to_the_numbers_in_the_file(instance):
    text = (DATA / f"{instance}.sm").read_text()
    problem = read_psplib(text, name=f"{instance}.sm")
    durations, demands, capacities, edges = _plain_reading(text)
    jobs = 32 if instance.startswith("j30") else 122
    assert len(durations) == jobs
    assert problem.name == instance
    assert problem.task_ids == [str(job) for job in range(1, jobs + 1)]
    assert [task.duration for task in problem.tasks] == durations
    assert [[task.demands.get(f"R{k}", 0) for k in range(1, 5)]
            for task in problem.tasks] == demands
    assert [resource.capacity for resource in problem.resources] == capacities
    assert sum(len(task.successors) for task in problem.tasks) == edges
    assert problem.tasks[0].duration == problem.tasks[-1].duration == 0
    assert problem.tasks[-1].successors == ()


def test_a_psplib_file_is_recognised_by_its_content_not_its_name(tmp_path):
    path = tmp_path / "instance.txt"
    path.write_text(j301_1())
    assert read_problem(path) == read_psplib(j301_1(), name="instance.txt")
    path = tmp_path / "problem.sm"  # JSON content under a PSPLIB name: read as JSON
    path.write_text(json.dumps(EXAMPLE))
    assert read_problem(path).task_ids == ["AD", "DPI", "LAB"]


def test_crlf_line_endings_and_trailing_blank_lines_are_accepted():
    text = j301_1().replace("\n", "\r\n") + "\r\n\r\n"
    assert read_psplib(text) == read_psplib(j301_1())


# --- PSPLIB: the fault matrix ------------------------------------------------------------------

def _replace_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def _drop_line(text: str, number: int) -> str:
    lines = text.splitlines()
    del lines[number - 1]
    return "\n".join(lines) + "\n"


def _cut(text: str, last: int) -> str:
    return "\n".join(text.splitlines()[:last]) + "\n"


SM_FAULTS = [
    # (case, broken text from j301_1, line named, words expected in the message)
    ("truncated in REQUESTS", lambda t: _cut(t, 70), 70,
     "the file ends after 16 of the 32 jobs declared at line 6 in the REQUESTS/DURATIONS"),
    ("truncated in PRECEDENCE", lambda t: _cut(t, 30), 30,
     "the file ends after 12 of the 32 jobs declared at line 6 in the PRECEDENCE RELATIONS"),
    ("truncated between sections", lambda t: _cut(t, 51), 51,
     "the file ends here, without the REQUESTS/DURATIONS section"),
    ("truncated in the header", lambda t: _cut(t, 9), 9,
     "the file ends before the PRECEDENCE RELATIONS section"),
    ("a non-number", lambda t: _replace_line(t, 57, "  3      1     x      10    0    0    0"),
     57, "'x' is not a whole number >= 0 (the duration of job 3)"),
    ("a negative demand", lambda t: _replace_line(t, 57, "  3  1  4  -10  0  0  0"), 57,
     "'-10' is not a whole number >= 0 (the demand of job 3 for R 1)"),
    ("missing section title", lambda t: _drop_line(t, 88), 88,
     "expected the section 'RESOURCEAVAILABILITIES:' here, found 'R 1  R 2  R 3  R 4'"),
    ("missing precedence title", lambda t: _drop_line(t, 17), 17,
     "expected the section 'PRECEDENCE RELATIONS:' here, found 'jobnr."),
    ("missing jobs count", lambda t: _drop_line(t, 6), 12,
     "the header has no 'jobs (incl. supersource/sink ) :' line"),
    ("wrong successor count", lambda t: _replace_line(t, 23, "   5   1   2   20"), 23,
     "job 5 declares 2 successors but lists 1"),
    ("successor to an unknown job", lambda t: _replace_line(t, 23, "   5   1   1   40"), 23,
     "successor 40 of job 5 is not a job (jobs are 1 to 32, line 6)"),
    ("successor listed twice", lambda t: _replace_line(t, 20, "   2   1   3   6   6   15"), 20,
     "job 2 lists successor 6 twice"),
    ("own successor", lambda t: _replace_line(t, 23, "   5   1   1   5"), 23,
     "job 5 is its own successor"),
    ("multi-mode", lambda t: _replace_line(t, 20, "   2   3   3   6  11  15"), 20,
     "job 2 has 3 modes: pcra reads single-mode PSPLIB files with renewable resources only"),
    ("a second mode line", lambda t: t.replace(
        "  2      1     8       4    0    0    0\n",
        "  2      1     8       4    0    0    0\n         2     5       2    0    0    0\n"),
     57, "expected 7 numbers (job number, mode, duration and 4 demands), found 6 (a second "
     "mode of job 2? pcra reads single-mode"),
    ("non-renewable resources", lambda t: _replace_line(t, 10, "  - nonrenewable   :  2   N"),
     10, "the file has 2 nonrenewable resources"),
    ("a non-renewable column", lambda t: _replace_line(
        t, 53, "jobnr. mode duration  R 1  R 2  R 3  N 1"), 53,
     "column 'N 1' is not a renewable resource (R)"),
    ("resource count", lambda t: _replace_line(t, 9, "  - renewable   :  3   R"), 53,
     "4 resource columns, but line 9 declares 3 renewable resources"),
    ("job count", lambda t: _replace_line(t, 6, "jobs (incl. supersource/sink ):  33"), 15,
     "the project has 30 jobs, but line 6 declares 33 jobs"),
    ("two projects", lambda t: _replace_line(t, 5, "projects  :  2"), 5,
     "the file holds 2 projects"),
    ("jobs out of order", lambda t: _replace_line(t, 25, "   8   1   1   27"), 25,
     "expected job 7 here (jobs are listed in order), found job 8"),
    ("a job beyond the count", lambda t: _replace_line(t, 86, " 33  1  0  0  0  0  0"), 86,
     "job 33 is beyond the 32 jobs declared at line 6"),
    ("a short request row", lambda t: _replace_line(t, 57, "  3  1  4  10  0  0"), 57,
     "expected 7 numbers (job number, mode, duration and 4 demands), found 6"),
    ("a cycle", lambda t: _replace_line(t, 38, "  20   1   2   23   5"), 23,
     "the precedence relations form a cycle: 5 → 20 → 5 (jobs at lines 23, 38)"),
    ("demand above capacity", lambda t: _replace_line(t, 57, "  3  1  4  13  0  0  0"), 57,
     "job 3 needs 13 units of R1, whose capacity is 12: it can never run"),
    ("capacities count", lambda t: _replace_line(t, 90, "   12   13    4"), 90,
     "expected 4 capacities, found 3"),
    ("resources differ", lambda t: _replace_line(t, 89, "  R 1  R 2  R 3  R 5"), 89,
     "the resources here differ from the REQUESTS/DURATIONS columns at line 53"),
    ("no capacities", lambda t: _drop_line(t, 90), 90,
     "the RESOURCEAVAILABILITIES section ends after 1 of the 2 lines"),
    ("content after the end", lambda t: t + "R 5\n", 92,
     "unexpected line after the RESOURCEAVAILABILITIES section: 'R 5'"),
    ("no first line of stars", lambda t: t.replace("*", "", 72), 1,
     "expected a line of '*'"),
    ("a stray header line", lambda t: _replace_line(t, 7, "horizon is 158"), 7,
     "expected 'name : value' or a section title, found 'horizon is 158'"),
]


@pytest.mark.parametrize(("case", "breaks", "line", "words"), SM_FAULTS,
                         ids=[fault[0] for fault in SM_FAULTS])
def test_a_broken_psplib_file_names_the_file_and_the_line(case, breaks, line, words):
    with pytest.raises(FormatError) as caught:
        read_psplib(breaks(j301_1()), name="j301_1.sm")
    message = str(caught.value)
    assert message.startswith(f"j301_1.sm, line {line}: "), message
    assert words in message
    assert caught.value.line == line
    assert caught.value.source == "j301_1.sm"


def test_a_format_error_is_a_problem_error_and_reads_without_a_name():
    with pytest.raises(ProblemError) as caught:
        read_psplib(_replace_line(j301_1(), 23, "   5   1   2   20"))
    assert str(caught.value) == "Line 23: job 5 declares 2 successors but lists 1."


# --- JSON: reading and the fault matrix --------------------------------------------------------

def test_the_documented_example_reads_to_the_problem():
    problem = read_json_problem(json.dumps(EXAMPLE), name="example.json")
    assert problem == Problem(
        resources=[Resource("it", 2, "Infrastructure team")],
        tasks=[Task("AD", 60, {"it": 1}, ("DPI", "LAB")),
               Task("DPI", 120, {"it": 2}, due=180, weight=4),
               Task("LAB", 90, {"it": 1}, due=240, weight=1)],
        name="ransomware, site A")


def test_every_task_field_is_read():
    document = {"resources": [{"id": "r", "capacity": 3}], "tasks": [
        {"id": "a", "duration": 5, "demands": {"r": 0}, "successors": [], "release": 7,
         "due": None, "weight": 0, "group": 2, "label": "Serveur AD — site B"}]}
    assert read_json_problem(json.dumps(document)).tasks == (
        Task("a", 5, {"r": 0}, (), release=7, due=None, weight=0, group=2,
             label="Serveur AD — site B"),)
    assert read_json_problem('{"resources": [], "tasks": []}') == Problem((), ())


def _with(change) -> str:
    document = json.loads(json.dumps(EXAMPLE))
    change(document)
    return json.dumps(document)


def _set(path: tuple, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


JSON_FAULTS = [
    # (case, broken document, JSON path named, words expected in the message)
    ("a decimal duration", _with(_set(("tasks", 1, "duration"), 3.0)), "tasks[1].duration",
     "expected a whole number, found 3.0 (a decimal number: write it without a decimal point)"),
    ("a fractional duration", _with(_set(("tasks", 1, "duration"), 2.5)), "tasks[1].duration",
     "expected a whole number, found 2.5 (a decimal number)"),
    ("a boolean weight", _with(_set(("tasks", 2, "weight"), True)), "tasks[2].weight",
     "expected a whole number, found true (a boolean)"),
    ("a string capacity", _with(_set(("resources", 0, "capacity"), "2")),
     "resources[0].capacity", 'expected a whole number, found the string "2"'),
    ("a negative release", _with(_set(("tasks", 0, "release"), -5)), "tasks[0].release",
     "expected a whole number >= 0, found -5"),
    ("group 0", _with(_set(("tasks", 0, "group"), 0)), "tasks[0].group",
     "expected a whole number >= 1, found 0"),
    ("a due that is a string", _with(_set(("tasks", 1, "due"), "soon")), "tasks[1].due",
     'expected a whole number, found the string "soon"'),
    ("a number as id", _with(_set(("tasks", 0, "id"), 1)), "tasks[0].id",
     "expected a string, found 1"),
    ("an empty id", _with(_set(("resources", 0, "id"), "")), "resources[0].id",
     "expected a non-empty string"),
    ("a name that is not a string", _with(_set(("name",), ["x"])), "name",
     "expected a string, found a list"),
    ("a label that is null", _with(_set(("tasks", 0, "label"), None)), "tasks[0].label",
     "expected a string, found null"),
    ("an unknown task key", _with(_set(("tasks", 0, "durration"), 5)), "tasks[0].durration",
     "unknown key 'durration' (did you mean 'duration'? expected: id, duration, demands"),
    ("an unknown top-level key", _with(_set(("taks",), [])), "taks",
     "unknown key 'taks' (did you mean 'tasks'?"),
    ("an unknown resource key", _with(_set(("resources", 0, "capacité"), 2)),
     "resources[0][\"capacité\"]", "unknown key 'capacité'"),
    ("a missing duration", _with(lambda d: d["tasks"][2].pop("duration")), "tasks[2]",
     "the key 'duration' is missing"),
    ("missing tasks", _with(lambda d: d.pop("tasks")), "",
     "the key 'tasks' is missing"),
    ("tasks not a list", _with(_set(("tasks",), {"AD": {}})), "tasks",
     "expected a list [...], found an object"),
    ("a task not an object", _with(_set(("tasks", 1), "DPI")), "tasks[1]",
     'expected an object {...}, found the string "DPI"'),
    ("a top level that is a list", "[]", "", "expected an object {...}, found a list"),
    ("demand above capacity", _with(_set(("tasks", 1, "demands", "it"), 3)),
     "tasks[1].demands.it",
     "task 'DPI' needs 3 units of 'it', whose capacity is 2: it can never run"),
    ("demand on an unknown resource", _with(_set(("tasks", 0, "demands", "team A"), 1)),
     'tasks[0].demands["team A"]', "resource 'team A' is not defined in resources"),
    ("demands not an object", _with(_set(("tasks", 0, "demands"), ["it"])),
     "tasks[0].demands", "expected an object {...}, found a list"),
    ("a successor that is not a task", _with(_set(("tasks", 0, "successors"), ["DPI", "RIS"])),
     "tasks[0].successors[1]", "'RIS' is not a task"),
    ("own successor", _with(_set(("tasks", 2, "successors"), ["LAB"])),
     "tasks[2].successors[0]", "task 'LAB' is its own successor"),
    ("a successor twice", _with(_set(("tasks", 0, "successors"), ["DPI", "DPI"])),
     "tasks[0].successors[1]", "successor 'DPI' is listed twice"),
    ("a task twice", _with(_set(("tasks", 2, "id"), "AD")), "tasks[2].id",
     "task 'AD' is defined twice (also tasks[0])"),
    ("a resource twice", _with(lambda d: d["resources"].append({"id": "it", "capacity": 1})),
     "resources[1].id", "resource 'it' is defined twice (also resources[0])"),
    ("a cycle", _with(_set(("tasks", 2, "successors"), ["AD"])), "tasks[0].successors",
     "the precedence relations form a cycle: AD → LAB → AD"),
    ("a key given twice", '{"resources": [], "tasks": [{"id": "a", "duration": 1, '
     '"duration": 2}]}', "tasks[0]", "key 'duration' is given twice"),
]


@pytest.mark.parametrize(("case", "text", "path", "words"), JSON_FAULTS,
                         ids=[fault[0] for fault in JSON_FAULTS])
def test_a_broken_json_problem_names_the_file_and_the_path(case, text, path, words):
    with pytest.raises(FormatError) as caught:
        read_json_problem(text, name="problem.json")
    message = str(caught.value)
    assert message.startswith(f"problem.json, at {path or 'the top level'}: "), message
    assert words in message
    assert caught.value.path == path


@pytest.mark.parametrize(("text", "line", "column"), [
    ('{"resources": [], "tasks": [}', 1, 29),
    ('{\n  "resources": [],\n  "tasks": [\n    {"id": "a" "duration": 1}\n  ]\n}', 4, 16),
    ('{"resources": [], "tasks": []', 1, 30),
    ("", 1, 1),
])
def test_invalid_json_names_the_line_and_column(text, line, column):
    with pytest.raises(FormatError) as caught:
        read_json_problem(text, name="problem.json")
    assert str(caught.value).startswith(f"problem.json, line {line}, column {column}: not valid "
                                        f"JSON: ")
    assert (caught.value.line, caught.value.column) == (line, column)


# --- JSON: writing, and the round trip --------------------------------------------------------

def test_the_writer_puts_one_item_per_line_and_leaves_defaults_out():
    problem = read_json_problem(json.dumps(EXAMPLE))
    assert write_json_problem(problem) == (
        '{\n'
        '  "name": "ransomware, site A",\n'
        '  "resources": [\n'
        '    {"id": "it", "capacity": 2, "name": "Infrastructure team"}\n'
        '  ],\n'
        '  "tasks": [\n'
        '    {"id": "AD", "duration": 60, "demands": {"it": 1}, "successors": ["DPI", "LAB"]},\n'
        '    {"id": "DPI", "duration": 120, "demands": {"it": 2}, "due": 180, "weight": 4},\n'
        '    {"id": "LAB", "duration": 90, "demands": {"it": 1}, "due": 240, "weight": 1}\n'
        '  ]\n'
        '}\n')
    assert write_json_problem(Problem((), ())) == '{\n  "resources": [],\n  "tasks": []\n}\n'


@pytest.mark.parametrize("instance", ["j301_1", "j1201_1"])
def test_a_psplib_problem_survives_the_json_round_trip(instance):
    problem = read_problem(DATA / f"{instance}.sm")
    assert read_json_problem(write_json_problem(problem)) == problem


_ids = st.text(min_size=1, max_size=6)


@st.composite
def problems(draw) -> Problem:
    resource_ids = draw(st.lists(_ids, max_size=3, unique=True))
    resources = [Resource(rid, draw(st.integers(0, 4)), draw(st.text(max_size=5)))
                 for rid in resource_ids]
    task_ids = draw(st.lists(_ids, max_size=8, unique=True))
    tasks = []
    for index, task_id in enumerate(task_ids):
        later = task_ids[index + 1:]  # successors only later: no cycle
        demands = {resource.id: draw(st.integers(0, resource.capacity))
                   for resource in resources if draw(st.booleans())}
        tasks.append(Task(
            id=task_id, duration=draw(st.integers(0, 10**6)), demands=demands,
            successors=tuple(draw(st.lists(st.sampled_from(later), unique=True))
                             if later else []),
            release=draw(st.integers(0, 100)), due=draw(st.none() | st.integers(0, 100)),
            weight=draw(st.integers(0, 10)), group=draw(st.none() | st.integers(1, 5)),
            label=draw(st.text(max_size=10))))
    return Problem(resources=resources, tasks=tasks, name=draw(st.text(max_size=8)))


@settings(deadline=None)
@given(problems())
def test_any_valid_problem_survives_the_json_round_trip(problem):
    text = write_json_problem(problem)
    assert read_json_problem(text) == problem
    assert write_json_problem(read_json_problem(text)) == text


# --- read_problem: files -----------------------------------------------------------------------

def test_a_json_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "problem.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(EXAMPLE).encode())
    assert read_problem(path).name == "ransomware, site A"


@pytest.mark.parametrize(("name", "content", "words", "line"), [
    ("empty.json", b"", "the file is empty.", None),
    ("blank.sm", b"  \n\n", "the file is empty.", None),
    ("latin1.json", b'{"resources": [],\n "tasks": [],\n "name": "\xe9"}',
     "the file is not UTF-8 text (byte 42, 0xe9).", 3),
    ("notes.txt", b"hello", "not a problem file pcra knows", None),
    ("problem.json", b"hello", "not valid JSON: Expecting value.", 1),
    ("j30.sm", b"hello", "expected a line of '*'", 1),
])
def test_an_unusable_file_gives_an_error_naming_it(tmp_path, name, content, words, line):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError) as caught:
        read_problem(str(path))
    message = str(caught.value)
    where = f"{path}, line {line}" if line else f"{path}"
    assert re.match(re.escape(where) + r"[,:]", message), message
    assert words in message
    assert caught.value.source == str(path)


def test_a_missing_file_or_a_directory_gives_an_error_naming_it(tmp_path):
    with pytest.raises(FormatError) as caught:
        read_problem(tmp_path / "nowhere.sm")
    assert str(caught.value) == (f"{tmp_path / 'nowhere.sm'}: cannot read the file: No such "
                                 f"file or directory.")
    with pytest.raises(FormatError) as caught:
        read_problem(tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot read the file: Is a directory."


# --- numbers too large for the solvers ----------------------------------------------------------

def _example_with(**task_fields) -> str:
    document = json.loads(json.dumps(EXAMPLE))
    document["tasks"][1].update(task_fields)
    return json.dumps(document)


@pytest.mark.parametrize("text, words", [
    (_example_with(duration=10**10), "tasks[1].duration: expected a whole number <= 1000000000"),
    (_example_with(weight=10**30), "tasks[1].weight: expected a whole number <= 1000000000"),
    ('{"resources": [], "tasks": [{"id": "a", "duration": 1' + "0" * 5000 + '}]}',
     "not a problem: a number has more than 4300 digits"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_numbers_too_large_and_deep_nesting_are_refused_by_name(text, words):
    with pytest.raises(FormatError) as caught:
        read_json_problem(text, name="big.json")
    assert words in str(caught.value) and "big.json" in str(caught.value)


def test_a_psplib_number_too_large_names_its_line():
    text = j301_1()
    lines = text.splitlines()
    number = lines.index("REQUESTS/DURATIONS:") + 5  # job 2's line (1-based)
    fields = lines[number - 1].split()
    assert fields[:3] == ["2", "1", "8"]
    fields[2] = "9" * 5000  # a duration of 5,000 digits
    broken = _replace_line(text, number, "  ".join(fields))
    with pytest.raises(FormatError) as caught:
        read_psplib(broken, name="big.sm")
    assert f"line {number}" in str(caught.value) and "too large" in str(caught.value)


def test_a_horizon_or_an_impact_too_large_for_the_solver_is_a_problem_error():
    long = Problem([Resource("R", 1)], [Task(f"t{i}", 10**9, {"R": 1}) for i in range(1200)])
    with pytest.raises(ProblemError, match="the sum of the durations is 1200000000000"):
        long.validate()
    heavy = Problem([Resource("R", 1)], [Task(f"t{i}", 10**6, {"R": 1}, due=0, weight=10**9)
                                          for i in range(2000)])
    with pytest.raises(ProblemError, match="sum of the weights times the horizon"):
        heavy.validate()
