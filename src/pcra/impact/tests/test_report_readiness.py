"""`pcra report_readiness`: required RTO/RPO of applications and components, required and
achieved RTO of activities with the gap, exact on a small hospital."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pcra.core.testing import make_node
from pcra.impact.tests.helpers import build_hospital


@pytest.fixture
def hospital(world):
    return world, build_hospital(world)


def run(*args) -> str:
    out = StringIO()
    call_command("report_readiness", *args, stdout=out)
    return out.getvalue()


def test_json_exact(hospital):
    assert json.loads(run("--ght", "GHT-A", "--json")) == {
        "nodes": [
            {"code": "DPI", "kind": "application", "required_rto_hours": 4.0,
             "required_rpo_hours": 1.0},
            {"code": "GEF", "kind": "application", "required_rto_hours": 72.0,
             "required_rpo_hours": 24.0},
            {"code": "SAN", "kind": "stockage", "required_rto_hours": 4.0,
             "required_rpo_hours": 1.0},
            {"code": "VM1", "kind": "serveur", "required_rto_hours": 4.0,
             "required_rpo_hours": 1.0},
            {"code": "VM2", "kind": "serveur", "required_rto_hours": 4.0,
             "required_rpo_hours": 1.0},
        ],
        "activities": [
            {"code": "PAIE", "required_rto_hours": 72.0, "achieved_rto_hours": 21.0,
             "achieved_source": "declared", "gap_hours": -51.0},
            {"code": "URG", "required_rto_hours": 4.0, "achieved_rto_hours": 18.0,
             "achieved_source": "declared", "gap_hours": 14.0},
        ],
    }


def test_nulls_where_nothing_applies(world):
    make_node(org=world.et_a1, node_type="activity", code="ACC")  # no BIA, no dependency
    make_node(org=world.ght_a, node_type="application", code="LONE")  # nobody needs it
    assert json.loads(run("--ght", "GHT-A", "--json")) == {
        "nodes": [{"code": "LONE", "kind": "application", "required_rto_hours": None,
                   "required_rpo_hours": None}],
        # needing nothing, the activity is back at once: what the mapping declares
        "activities": [{"code": "ACC", "required_rto_hours": None, "achieved_rto_hours": 0.0,
                        "achieved_source": "declared", "gap_hours": None}],
    }


def test_table(hospital, english):
    out = run("--ght", "GHT-A")
    lines = out.splitlines()
    assert lines[0] == "Readiness of GHT-A – Org GHT-A"
    assert "URG   4 h           18 h          declared  14 h" in out
    assert "SAN   stockage     4 h           1 h" in out
    assert lines[-1] == "1 of 2 activities late."


def test_other_ght_and_errors(hospital):
    assert json.loads(run("--ght", "GHT-B", "--json")) == {"nodes": [], "activities": []}
    with pytest.raises(CommandError):
        run("--ght", "NOPE", "--json")
    with pytest.raises(CommandError):
        run("--json")  # two GHTs: which one?
