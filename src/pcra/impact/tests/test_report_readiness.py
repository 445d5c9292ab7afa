"""`pcra report_readiness`: required RTO/RPO of applications and components, required and
achieved RTO of activities with the gap, exact on a small hospital."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pcra.core.testing import make_edge, make_node
from pcra.impact.services import bia_set_levels, bia_sign_off, bia_start, bia_submit

ALL = [(c, h) for c in ("securite_patients", "continuite_soins", "juridique", "financier",
                        "image", "organisation")
       for h in ("h1", "h4", "h24", "h72", "w1", "m1")]


def fill(activity, serious_from=None, user=None, sign=False):
    """A complete grid: level 1 everywhere, 3 for patient safety from ``serious_from``."""
    bia = bia_start(activity=activity)
    hours = ["h1", "h4", "h24", "h72", "w1", "m1"]
    levels = {cell: 1 for cell in ALL}
    if serious_from:
        for h in hours[hours.index(serious_from):]:
            levels[("securite_patients", h)] = 3
    bia_set_levels(bia=bia, levels=levels)
    if sign:
        bia_submit(bia=bia, user=user)
        bia_sign_off(bia=bia, user=user)
    return bia


@pytest.fixture
def hospital(world):
    w = world
    urg = make_node(org=w.et_a1, node_type="activity", code="URG", pdma_hours=1)
    paie = make_node(org=w.et_a1, node_type="activity", code="PAIE", activity_kind="administratif",
                     pdma_hours=24)
    dpi = make_node(org=w.ght_a, node_type="application", code="DPI", restore_hours_estimate=6)
    gef = make_node(org=w.ght_a, node_type="application", code="GEF", restore_hours_estimate=8)
    vm1 = make_node(org=w.ght_a, node_type="component", code="VM1", restore_hours_estimate=2)
    vm2 = make_node(org=w.ght_a, node_type="component", code="VM2", restore_hours_estimate=3)
    san = make_node(org=w.ght_a, node_type="component", code="SAN", component_kind="stockage",
                    restore_hours_estimate=10)
    make_edge(urg, dpi, autonomy=2)
    make_edge(paie, gef, autonomy=48)
    make_edge(dpi, vm1, group="vm")
    make_edge(dpi, vm2, group="vm")
    make_edge(gef, vm2)
    make_edge(vm1, san)
    make_edge(vm2, san)
    fill(urg, serious_from="h4", user=w.ght_admin, sign=True)
    fill(paie, serious_from="h72")
    return w, {n.code: n for n in (urg, paie, dpi, gef, vm1, vm2, san)}


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
