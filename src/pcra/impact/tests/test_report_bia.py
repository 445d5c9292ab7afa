"""`pcra report_bia`: DMIA (computed or declared, from the effective version), PDMA and status
of every activity, as JSON and as a table; clear errors."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pcra.core.testing import make_node
from pcra.impact import defaults
from pcra.impact.services import bia_set_levels, bia_sign_off, bia_start, bia_submit

pytestmark = pytest.mark.django_db

CRITERIA = [code for code, _label, _descriptions in defaults.CRITERIA]
HORIZONS = [code for code, _label, _hours in defaults.HORIZONS]


def full(curve: str, **curves: str) -> dict:
    """Every cell: one string of six levels per criterion (``curve`` for those not given)."""
    return {(c, h): int(level) for c in CRITERIA
            for h, level in zip(HORIZONS, curves.get(c, curve), strict=True)}


def make_bia(activity, levels, *, status="draft"):
    bia = bia_start(activity=activity)
    bia_set_levels(bia=bia, levels=levels)
    if status != "draft":
        bia_submit(bia=bia, user=None)
    if status == "signed_off":
        bia_sign_off(bia=bia, user=None)
    return bia


@pytest.fixture
def bias(world):
    act = dict(node_type="activity")
    urg = make_node(org=world.et_a1, code="URG", name="Urgences", pdma_hours=Decimal("0.5"),
                    **act)
    samu = make_node(org=world.et_a1, code="SAMU", name="SAMU – Centre 15", pdma_hours=1,
                     declared_dmia_hours=Decimal("0.5"),
                     declared_dmia_reason="Débordement sur le SAMU voisin au-delà de 30 min.",
                     **act)
    surete = make_node(org=world.et_a1, code="SURETE", name="Sûreté", activity_kind="support",
                       **act)
    make_node(org=world.et_a2, code="NEW", name="Nouvelle activité", pdma_hours=8, **act)
    paie = make_node(org=world.ej_a, code="PAIE", name="Paie", activity_kind="administratif",
                     pdma_hours=24, **act)
    make_node(org=world.et_b1, code="URG-B", name="Urgences B", pdma_hours=2, **act)
    make_bia(urg, full("012233", securite_patients="344444"), status="signed_off")
    make_bia(samu, full("012344"))  # computed: 24 h; the declared 0.5 h wins
    make_bia(surete, full("011222"), status="submitted")  # never reaches 3: not critical
    make_bia(paie, full("000122", financier="001234"), status="signed_off")  # 1 week
    draft = bia_start(activity=paie)  # v2 in progress, not in force: 24 h
    bia_set_levels(bia=draft, levels={("financier", "h24"): 3})
    return world


def report(*args) -> str:
    out = StringIO()
    call_command("report_bia", *args, stdout=out)
    return out.getvalue()


def test_json_of_a_ght(bias):
    assert json.loads(report("--ght", "GHT-A", "--json")) == {"activities": [
        {"code": "NEW", "dmia_hours": None, "dmia_source": "computed", "pdma_hours": 8.0,
         "status": "missing"},
        {"code": "PAIE", "dmia_hours": 168.0, "dmia_source": "computed", "pdma_hours": 24.0,
         "status": "draft"},
        {"code": "SAMU", "dmia_hours": 0.5, "dmia_source": "declared", "pdma_hours": 1.0,
         "status": "draft"},
        {"code": "SURETE", "dmia_hours": None, "dmia_source": "computed", "pdma_hours": None,
         "status": "submitted"},
        {"code": "URG", "dmia_hours": 1.0, "dmia_source": "computed", "pdma_hours": 0.5,
         "status": "signed_off"},
    ]}
    assert json.loads(report("--ght", "GHT-B", "--json")) == {"activities": [
        {"code": "URG-B", "dmia_hours": None, "dmia_source": "computed", "pdma_hours": 2.0,
         "status": "missing"}]}


def test_json_of_an_organization_and_what_is_below_it(bias):
    codes = [a["code"] for a in json.loads(report("--organization", "ET-A1", "--json"))[
        "activities"]]
    assert codes == ["SAMU", "SURETE", "URG"]
    codes = [a["code"] for a in json.loads(report("--organization", "EJ-A", "--json",
                                                  "--ght", "GHT-A"))["activities"]]
    assert codes == ["NEW", "PAIE", "SAMU", "SURETE", "URG"]
    assert json.loads(report("--organization", "ET-A2", "--json")) == {"activities": [
        {"code": "NEW", "dmia_hours": None, "dmia_source": "computed", "pdma_hours": 8.0,
         "status": "missing"}]}


def test_the_table(bias, english):
    assert report("--ght", "GHT-A").splitlines() == [
        "BIA of the activities of GHT-A – Org GHT-A:",
        "Code    Name               DMIA   Source    PDMA   Class         Status",
        "------  -----------------  -----  --------  -----  ------------  ----------",
        "NEW     Nouvelle activité  —      computed  8 h    not critical  missing",
        "PAIE    Paie               168 h  computed  24 h   P4            draft",
        "SAMU    SAMU – Centre 15   0.5 h  declared  1 h    P1            draft",
        "SURETE  Sûreté             —      computed  —      not critical  submitted",
        "URG     Urgences           1 h    computed  0.5 h  P1            signed off",
        "5 activities: 1 signed off, 1 submitted, 2 in draft, 1 without BIA.",
    ]
    assert report("--organization", "ET-A2").splitlines()[-1] == (
        "1 activity: 0 signed off, 0 submitted, 0 in draft, 1 without BIA.")


@pytest.mark.parametrize(("args", "message"), [
    (("--json",), "Several GHTs exist (GHT-A, GHT-B): choose one with --ght."),
    (("--ght", "NOPE"), "Unknown GHT: NOPE."),
    (("--organization", "NOPE", "--json"), "Unknown organization: NOPE."),
    (("--ght", "GHT-B", "--organization", "ET-A1"), "ET-A1 is not part of GHT-B."),
])
def test_errors_are_clear_and_exit_with_1(bias, english, args, message):
    with pytest.raises(CommandError) as raised:
        report(*args)
    assert (str(raised.value), raised.value.returncode) == (message, 1)


def test_no_ght_at_all(db, english):
    with pytest.raises(CommandError, match=r"^There is no GHT yet\.$"):
        report("--json")


def test_the_only_ght_needs_no_option(db):
    from pcra.core.testing import make_org

    ght = make_org(kind="GHT", code="GHT-S")
    et = make_org(kind="ET", code="ET-S", parent=make_org(kind="EJ", code="EJ-S", parent=ght))
    make_node(org=et, node_type="activity", code="A1", name="A1")
    assert json.loads(report("--json")) == {"activities": [
        {"code": "A1", "dmia_hours": None, "dmia_source": "computed", "pdma_hours": None,
         "status": "missing"}]}
