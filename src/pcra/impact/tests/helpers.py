"""A small hospital with complete BIAs, shared by the BIA and readiness tests."""

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


def build_hospital(w, *, san_org=None) -> dict:
    """URG (DMIA 4 h, signed off) and PAIE (72 h, draft) on DPI and GEF, two VMs in a
    redundancy group, one SAN (owned by ``san_org``, shared by default)."""
    urg = make_node(org=w.et_a1, node_type="activity", code="URG", name="Urgences",
                    pdma_hours=1)
    paie = make_node(org=w.et_a1, node_type="activity", code="PAIE",
                     activity_kind="administratif", pdma_hours=24)
    dpi = make_node(org=w.ght_a, node_type="application", code="DPI", restore_hours_estimate=6)
    gef = make_node(org=w.ght_a, node_type="application", code="GEF", restore_hours_estimate=8)
    vm1 = make_node(org=w.ght_a, node_type="component", code="VM1", restore_hours_estimate=2)
    vm2 = make_node(org=w.ght_a, node_type="component", code="VM2", restore_hours_estimate=3)
    san = make_node(org=san_org or w.ght_a, node_type="component", code="SAN",
                    component_kind="stockage", restore_hours_estimate=10)
    make_edge(urg, dpi, autonomy=2)
    make_edge(paie, gef, autonomy=48)
    make_edge(dpi, vm1, group="vm")
    make_edge(dpi, vm2, group="vm")
    make_edge(gef, vm2)
    make_edge(vm1, san)
    make_edge(vm2, san)
    fill(urg, serious_from="h4", user=w.ght_admin, sign=True)
    fill(paie, serious_from="h72")
    return {n.code: n for n in (urg, paie, dpi, gef, vm1, vm2, san)}
