"""BIA and readiness read from the database: exact values on a small hospital."""

import pytest

from pcra.impact.selectors import bia_rows_of_top, readiness_of_top
from pcra.impact.services import bia_set_levels, bia_start
from pcra.impact.tests.helpers import build_hospital


@pytest.fixture
def hospital(world):
    return world, build_hospital(world)


def test_bia_rows(hospital):
    w, n = hospital
    rows = {r.activity.code: r for r in bia_rows_of_top(top_id=w.ght_a.pk)}
    assert (rows["URG"].dmia_hours, rows["URG"].dmia_source, rows["URG"].status,
            rows["URG"].criticality) == (4.0, "computed", "signed_off", "P1")
    assert (rows["PAIE"].dmia_hours, rows["PAIE"].status, rows["PAIE"].criticality) == (
        72.0, "draft", "P3")
    assert rows["URG"].horizon_max == [1, 3, 3, 3, 3, 3]


def test_readiness_exact(hospital):
    w, n = hospital
    ready = readiness_of_top(top_id=w.ght_a.pk)
    r = ready.result
    ids = {code: node.pk for code, node in n.items()}
    # Required RTO: DPI is needed by URG (DMIA 4 h, 2 h of autonomy on the way) → 4 h;
    # VM2 also by PAIE (72 h, 48 h) → still 4 h through URG; the SAN idem.
    assert r.required[ids["DPI"]].rto_hours == 4.0
    assert r.required[ids["GEF"]].rto_hours == 72.0
    assert r.required[ids["VM2"]].rto_hours == 4.0
    assert r.required[ids["VM2"]].rto_activity == ids["URG"]
    assert r.required[ids["SAN"]].rpo_hours == 1.0
    assert r.required[ids["GEF"]].rpo_hours == 24.0
    # Achieved: SAN 10 h, then the best VM (VM1 12 h), then DPI 6 h → URG back at 18 h.
    assert r.achieved[ids["URG"]].rto_hours == 18.0
    assert r.achieved[ids["URG"]].chain == (ids["URG"], ids["DPI"], ids["VM1"], ids["SAN"])
    assert r.achieved[ids["URG"]].source == "declared"
    assert r.gap(ids["URG"]) == 14.0
    assert r.achieved[ids["PAIE"]].rto_hours == 21.0
    assert r.gap(ids["PAIE"]) == -51.0


def test_every_level_change_is_audited_including_copies_of_a_new_version(hospital):
    from pcra.core.audit import verify_chain
    from pcra.core.models import AuditEntry
    from pcra.impact.models import ImpactLevel

    w, n = hospital
    count = AuditEntry.objects.filter(model="impact.impactlevel", action="create").count()
    assert count == ImpactLevel.objects.count() == 72  # two complete grids of 36 cells
    v2 = bia_start(activity=n["URG"])  # URG is signed off: a new version copies its 36 levels
    assert v2.version == 2
    assert AuditEntry.objects.filter(model="impact.impactlevel", action="create").count() == 108
    bia_set_levels(bia=v2, levels={("securite_patients", "h1"): 4, ("image", "m1"): None})
    changes = list(AuditEntry.objects.filter(model="impact.impactlevel")
                   .order_by("-id").values_list("action", flat=True)[:2])
    assert sorted(changes) == ["delete", "update"]
    assert verify_chain().ok


def test_a_new_scale_is_labelled_in_the_installation_language(world):
    from django.utils import translation

    from pcra.impact.selectors import scale_data

    with translation.override("en"):
        scale = scale_data(top_id=world.ght_b.pk)
    assert [c.label for c in scale.criteria][:2] == ["Sécurité des patients",
                                                    "Continuité des soins"]
    assert [h.label for h in scale.horizons][-2:] == ["1 semaine", "1 mois"]
