"""A GHT-sized workbook imports fast, with a number of queries far below its number of rows."""

import random
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pcra.inventory.models import Dependency, Node
from pcra.workbook.services import workbook_import
from pcra.workbook.tests.helpers import (
    ACT_HEADER,
    APP_HEADER,
    COMP_HEADER,
    DEP_HEADER,
    FINESS_EJ,
    FINESS_ET1,
    ORG_HEADER,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


def big_sheets(*, activities: int, applications: int, components: int, edges: int) -> dict:
    """An acyclic graph: edges go from a node to a later application or component."""
    rnd = random.Random(4)
    acts = [f"A{i:04d}" for i in range(activities)]
    apps = [f"P{i:04d}" for i in range(applications)]
    comps = [f"C{i:04d}" for i in range(components)]
    order = acts + apps + comps
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < edges:
        index = rnd.randrange(len(order) - 1)
        target = order[rnd.randrange(max(index + 1, activities), len(order))]
        pairs.add((order[index], target))
    return {
        "Etablissements": [ORG_HEADER, ["G", "GHT", "GHT", None, None, None],
                           ["EJ", "EJ", "EJ", "G", FINESS_EJ, 1],
                           ["ET", "ET", "ET", "EJ", FINESS_ET1, 1]],
        "Activites": [ACT_HEADER] + [[c, f"Activité {c}", "ET", "soins", None, 4, None, None]
                                     for c in acts],
        "Applications": [[*APP_HEADER, "Criticité"]] + [
            [c, f"Application {c}", "Editeur", None, "local", 2, "haute"] for c in apps],
        "Composants": [COMP_HEADER] + [[c, f"Composant {c}", "serveur", None, "ET", 1.5, "infra"]
                                       for c in comps],
        "Dependances": [DEP_HEADER] + [[s, t, 1, "g" if i % 3 == 0 else None]
                                       for i, (s, t) in enumerate(sorted(pairs))],
    }


def test_queries_do_not_grow_per_row(tmp_path):
    path = write_xlsx(tmp_path / "wb.xlsx", big_sheets(activities=50, applications=100,
                                                       components=150, edges=600))
    with CaptureQueriesContext(connection) as queries:
        report = workbook_import(path=path)
    assert report.ok and report.totals()["created"] == 903
    # Per-row queries would be > 900; batches and the audit log need a few dozen.
    assert len(queries) < 120, len(queries)
    with CaptureQueriesContext(connection) as queries:
        report = workbook_import(path=path)
    assert report.totals() == {"created": 0, "updated": 0, "unchanged": 903}
    assert len(queries) < 20, len(queries)


def test_a_ght_sized_workbook_imports_in_well_under_a_minute(tmp_path):
    path = write_xlsx(tmp_path / "big.xlsx", big_sheets(activities=500, applications=700,
                                                        components=1800, edges=10000))
    start = time.perf_counter()
    report = workbook_import(path=path)
    elapsed = time.perf_counter() - start
    assert report.errors == []
    assert report.totals() == {"created": 13003, "updated": 0, "unchanged": 0}
    assert (Node.objects.count(), Dependency.objects.count()) == (3000, 10000)
    assert elapsed < 30, f"import took {elapsed:.1f} s"
