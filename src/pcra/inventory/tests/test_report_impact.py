"""`pcra report_impact`: the activities stopped by the loss of some nodes (DESIGN §4.2),
run through call_command on small graphs whose answers are known."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from pcra.core.testing import make_edge, make_node


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the interface defaults to French)."""
    with translation.override("en"):
        yield


def report(*args) -> dict:
    out = io.StringIO()
    call_command("report_impact", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def text(*args) -> str:
    out = io.StringIO()
    call_command("report_impact", *args, stdout=out)
    return out.getvalue()


def app(world, code, org=None):
    return make_node(org=org or world.ght_a, node_type="application", code=code)


def comp(world, code, org=None):
    return make_node(org=org or world.ght_a, node_type="component", code=code)


def act(world, code, org=None):
    return make_node(org=org or world.et_a1, node_type="activity", code=code)


@pytest.fixture
def chain(world):
    """URG → DPI → VM-DPI → CLUSTER → SITE; LAB → SIL → VM-SIL → CLUSTER; MAT → PERINAT."""
    w = world
    urg, lab, mat = act(w, "URG"), act(w, "LAB"), act(w, "MAT", w.et_a2)
    dpi, sil, perinat = app(w, "DPI"), app(w, "SIL"), app(w, "PERINAT")
    vm_dpi, vm_sil, cluster, site = (comp(w, c) for c in ("VM-DPI", "VM-SIL", "CLUSTER",
                                                          "SITE"))
    make_edge(urg, dpi, autonomy=4)
    make_edge(lab, sil, autonomy=72)
    make_edge(mat, perinat)
    make_edge(dpi, vm_dpi)
    make_edge(sil, vm_sil)
    make_edge(vm_dpi, cluster)
    make_edge(vm_sil, cluster)
    make_edge(cluster, site)
    return w


def test_loss_propagates_along_a_chain(chain):
    assert report("SITE") == {"lost": ["SITE"], "impacted_activities": ["LAB", "URG"]}
    assert report("VM-DPI") == {"lost": ["VM-DPI"], "impacted_activities": ["URG"]}
    assert report("PERINAT") == {"lost": ["PERINAT"], "impacted_activities": ["MAT"]}


def test_a_shared_dependency_impacts_every_activity_above_it(chain):
    assert report("CLUSTER") == {"lost": ["CLUSTER"], "impacted_activities": ["LAB", "URG"]}
    assert report("VM-SIL", "PERINAT") == {"lost": ["PERINAT", "VM-SIL"],
                                           "impacted_activities": ["LAB", "MAT"]}


def test_degraded_mode_autonomy_delays_but_does_not_prevent_the_impact(chain):
    # LAB → SIL has 72 h of autonomy: LAB is impacted all the same.
    assert report("SIL") == {"lost": ["SIL"], "impacted_activities": ["LAB"]}


def test_a_node_nobody_depends_on_impacts_nothing(chain):
    comp(chain, "SPARE")
    assert report("SPARE") == {"lost": ["SPARE"], "impacted_activities": []}


@pytest.fixture
def redundant(world):
    """URG → DPI; DPI needs one of VM-1/VM-2 (group "app") and one of DB-1/DB-2 ("bdd");
    VM-1 and VM-2 each sit on their own room; the two databases share one storage array."""
    w = world
    urg, dpi = act(w, "URG"), app(w, "DPI")
    vm1, vm2, db1, db2, room1, room2, san = (
        comp(w, c) for c in ("VM-1", "VM-2", "DB-1", "DB-2", "ROOM-1", "ROOM-2", "SAN"))
    make_edge(urg, dpi, autonomy=4)
    make_edge(dpi, vm1, group="app")
    make_edge(dpi, vm2, group="app")
    make_edge(dpi, db1, group="bdd")
    make_edge(dpi, db2, group="bdd")
    make_edge(vm1, room1)
    make_edge(vm2, room2)
    make_edge(db1, san)
    make_edge(db2, san)
    return w


def test_one_alternative_lost_is_not_enough(redundant):
    for code in ("VM-1", "VM-2", "DB-1", "DB-2", "ROOM-1", "ROOM-2"):
        assert report(code) == {"lost": [code], "impacted_activities": []}


def test_every_alternative_of_a_group_lost_stops_the_activity(redundant):
    assert report("VM-2", "VM-1") == {"lost": ["VM-1", "VM-2"], "impacted_activities": ["URG"]}
    assert report("ROOM-1", "ROOM-2") == {"lost": ["ROOM-1", "ROOM-2"],
                                          "impacted_activities": ["URG"]}


def test_one_alternative_of_each_group_lost_is_survivable(redundant):
    assert report("VM-1", "DB-2") == {"lost": ["DB-2", "VM-1"], "impacted_activities": []}


def test_alternatives_sharing_a_dependency_are_lost_together(redundant):
    assert report("SAN") == {"lost": ["SAN"], "impacted_activities": ["URG"]}


def test_duplicate_codes_count_once(redundant):
    assert report("VM-1", "VM-1") == {"lost": ["VM-1"], "impacted_activities": []}


def test_text_output_lists_the_impacted_activities(chain):
    assert text("CLUSTER").splitlines() == [
        "Loss of CLUSTER in GHT-A – Org GHT-A:",
        "2 activities impacted:",
        "  LAB – Node LAB (ET-A1)",
        "  URG – Node URG (ET-A1)",
        "Also stopped with them: 2 applications, 2 components.",
    ]


def test_text_output_for_a_single_activity(chain):
    assert text("VM-SIL").splitlines()[1:3] == ["1 activity impacted:", "  LAB – Node LAB (ET-A1)"]


def test_text_output_when_nothing_is_impacted(redundant):
    assert text("VM-1").splitlines() == [
        "Loss of VM-1 in GHT-A – Org GHT-A:",
        "No activity is impacted.",
        "Also stopped with them: 0 applications, 0 components.",
    ]


def test_an_unknown_code_is_named_and_fails(chain):
    with pytest.raises(CommandError, match=r"^Unknown node code\(s\): NOPE, ZZZ\.$"):
        report("SITE", "ZZZ", "NOPE")
    with pytest.raises(CommandError, match=r"^Unknown node code\(s\) in GHT-A: NOPE\.$"):
        report("SITE", "NOPE", "--ght", "GHT-A")
    with pytest.raises(CommandError, match=r"^Unknown GHT: GHT-Z\.$"):
        report("SITE", "--ght", "GHT-Z")


def test_codes_are_resolved_in_the_ght_that_has_them(chain):
    w = chain
    # GHT-B has its own graph; SITE exists only in GHT-A.
    urg_b, dpi_b = act(w, "URG-B", w.et_b1), app(w, "DPI-B", w.ght_b)
    make_edge(urg_b, dpi_b)
    assert report("SITE") == {"lost": ["SITE"], "impacted_activities": ["LAB", "URG"]}
    assert report("DPI-B") == {"lost": ["DPI-B"], "impacted_activities": ["URG-B"]}


def test_a_code_in_several_ghts_needs_ght(chain):
    w = chain
    urg_b, dpi_b, site_b = act(w, "URG", w.et_b1), app(w, "DPI", w.ght_b), comp(w, "SITE",
                                                                                  w.ght_b)
    make_edge(urg_b, dpi_b)
    with pytest.raises(CommandError, match=r"^The codes DPI exist in several GHTs "
                                           r"\(GHT-A, GHT-B\): choose one with --ght\.$"):
        report("DPI")
    # Nothing depends on GHT-B's SITE; GHT-A's SITE stops URG and LAB.
    assert site_b.top_id == w.ght_b.pk
    assert report("DPI", "--ght", "GHT-B") == {"lost": ["DPI"], "impacted_activities": ["URG"]}
    assert report("SITE", "--ght", "GHT-B") == {"lost": ["SITE"], "impacted_activities": []}
    assert report("SITE", "--ght", "GHT-A") == {"lost": ["SITE"],
                                                "impacted_activities": ["LAB", "URG"]}
    # --ght may name an organization below the GHT: its GHT is used.
    assert report("DPI", "--ght", "ET-B1") == {"lost": ["DPI"], "impacted_activities": ["URG"]}


def test_codes_spread_over_two_ghts_are_refused(chain):
    w = chain
    app(w, "ONLY-B", w.ght_b)
    with pytest.raises(CommandError, match=r"^No single GHT holds all of these codes "
                                           r"\(GHT-A: SITE; GHT-B: ONLY-B\)"):
        report("SITE", "ONLY-B")


def test_cli_usage_errors_exit_non_zero(chain, capsys):
    from pcra.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["report_impact", "NOPE", "--json"])
    assert exc.value.code == 1
    assert "Unknown node code(s): NOPE." in capsys.readouterr().err
