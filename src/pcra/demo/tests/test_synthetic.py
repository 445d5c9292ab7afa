"""`pcra seed_demo --scale N`: a synthetic GHT, deterministic, proportional, acyclic, audited,
left alone when it exists, replaced with audited deletes on --replace."""

from collections import Counter

import pytest
from django.core.management.base import CommandError

from pcra.accounts.models import Membership
from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.core.testing import make_user
from pcra.demo import synthetic
from pcra.demo.tests.helpers import (
    SCALE_ENTRIES,
    curves,
    edges_by_code,
    graph_entries,
    seed,
    seed_json,
    spec_edges,
    totals,
)
from pcra.impact import selectors
from pcra.impact.models import BusinessImpactAnalysis, ImpactLevel
from pcra.inventory.graph import find_cycle
from pcra.inventory.models import Dependency
from pcra.organizations.finess import is_valid_finess
from pcra.organizations.models import Organization

#: the generator is deterministic: this number only changes when synthetic.py does
SYN_2_SEED_7_EDGES = 1656


def test_seed_and_replace_only_with_scale(db):
    with pytest.raises(CommandError, match=r"^--seed and --replace only apply with --scale\.$"):
        seed("--seed", "3")


def test_synthetic_ght_is_deterministic_sized_and_idempotent(db):
    spec = synthetic.generate(2, 7)
    before = AuditEntry.objects.count()
    result = seed_json("--scale", "2", "--seed", "7")
    ght = Organization.objects.get(code="SYN-2")
    assert result["status"] == "created"
    # per establishment: 30 activities, 50 applications, 106 components (156 with the
    # applications); shared data centre: 20 applications, 98 components
    assert result["totals"] == totals(ght) == {
        "organizations": 4, "activities": 60, "applications": 2 * 50 + 20,
        "components": 2 * 106 + 98, "dependencies": len(spec.edges)}
    for scale in (1, 3):
        other = synthetic.generate(scale, 7)
        assert (other.count("application"), other.count("component")) == (
            scale * 50 + 20, scale * 106 + 98)
    assert len(spec.edges) == SYN_2_SEED_7_EDGES
    assert edges_by_code(ght) == spec_edges(spec)
    assert spec_edges(spec) == spec_edges(synthetic.generate(2, 7))
    assert spec_edges(spec) != spec_edges(synthetic.generate(2, 8))
    assert find_cycle(Dependency.objects.filter(top=ght).values_list("source_id",
                                                                     "target_id")) is None
    assert all(is_valid_finess(o.finess) for o in Organization.objects.filter(root=ght))
    entries = AuditEntry.objects.count()
    # the graph, the scale, one BIA per activity with a full grid of levels
    assert Counter(AuditEntry.objects.filter(id__gt=0).values_list("model", "action")) == (
        graph_entries(spec) + SCALE_ENTRIES + Counter({
            ("impact.businessimpactanalysis", "create"): 60,
            ("impact.impactlevel", "create"): 60 * 36}))
    assert entries - before == 4 + len(spec.nodes) + len(spec.edges) + 13 + 60 + 60 * 36
    assert verify_chain().ok

    again = seed("--scale", "2")
    assert again == (
        "SYN-2 – GHT synthétique SYN-2 (graine 7) already exists: 4 organizations, 60 "
        f"activities, 120 applications, {spec.count('component')} components, "
        f"{len(spec.edges)} dependencies. Nothing changed; use --replace to generate it "
        "again.\n"
        "BIA: 44 signed off, 9 submitted, 7 in draft, 0 activities without BIA; 0 BIA "
        "campaigns.\n")
    assert AuditEntry.objects.count() == entries


def test_every_synthetic_activity_has_a_bia(db):
    result = seed_json("--scale", "2", "--seed", "7")
    assert (result["created"]["bias"], result["bia"]) == (60, {
        "signed_off": 44, "submitted": 9, "draft": 7, "missing": 0, "campaigns": 0})
    ght = Organization.objects.get(code="SYN-2")
    assert ImpactLevel.objects.filter(bia__activity__top=ght).count() == 60 * 36
    rows = selectors.bia_rows_of_top(top_id=ght.pk)
    assert {r.status for r in rows} == {"signed_off", "submitted", "draft"}
    for row in rows:
        assert row.current.version == 1 and len(row.levels) == 36
        for curve in curves(row.levels).values():
            assert curve == sorted(curve)
        if row.status == "signed_off":  # what was signed is what the selectors compute
            signoff = row.effective.signoff
            assert (signoff["dmia_hours"], signoff["dmia_source"], signoff["pdma_hours"]) == (
                row.dmia_hours, row.dmia_source, row.pdma_hours)
            assert row.effective.signed_off_by_name == "Direction (synthétique)"
    # Care comes first: its DMIA is shorter on the whole than the administration's.
    kinds: dict[str, list] = {}
    for row in rows:
        kinds.setdefault(row.activity.activity_kind, []).append(row.dmia_hours or 10_000)
    median = {kind: sorted(values)[len(values) // 2] for kind, values in kinds.items()}
    assert median["soins"] <= median["plateau_technique"] < median["administratif"]
    # The same seed gives the same BIA; another seed another one.
    levels = [b.versions[0].levels for b in synthetic.generate(2, 7).bias]
    assert levels == [b.versions[0].levels for b in synthetic.generate(2, 7).bias]
    assert levels != [b.versions[0].levels for b in synthetic.generate(2, 8).bias]
    assert BusinessImpactAnalysis.objects.filter(activity__top=ght).count() == 60


def test_synthetic_replace_deletes_with_audited_deletes(db):
    first = seed_json("--scale", "1", "--seed", "1")
    make_user("tester", [(Organization.objects.get(code="SYN-1-ET001"), "viewer")])
    entries = AuditEntry.objects.count()
    replaced = seed_json("--scale", "1", "--seed", "2", "--replace")
    spec = synthetic.generate(1, 2)
    assert replaced["status"] == "replaced"
    assert replaced["deleted"] == {"organizations": 3, "activities": 30, "applications": 70,
                                   "components": 204, "bias": 30,
                                   "dependencies": first["totals"]["dependencies"]}
    assert replaced["created"] == {"organizations": 3, "activities": 30, "applications": 70,
                                   "components": 204, "bias": 30,
                                   "dependencies": len(spec.edges)}
    ght = Organization.objects.get(code="SYN-1")
    assert ght.name == "GHT synthétique SYN-1 (graine 2)"
    assert edges_by_code(ght) == spec_edges(spec)
    deletes = AuditEntry.objects.filter(id__gt=entries, action="delete")
    assert Counter(deletes.values_list("model", flat=True)) == {
        "accounts.membership": 1, "organizations.organization": 3, "inventory.node": 304,
        "inventory.dependency": first["totals"]["dependencies"],
        "impact.businessimpactanalysis": 30, "impact.impactlevel": 30 * 36,
        "impact.impactscale": 1, "impact.impactcriterion": 6, "impact.impacthorizon": 6}
    assert not Membership.objects.exists()
    assert BusinessImpactAnalysis.objects.count() == 30
    assert ImpactLevel.objects.count() == 30 * 36
    assert AuditEntry.objects.count() == entries + deletes.count() + 3 + len(spec.nodes) + len(
        spec.edges) + 13 + 30 + 30 * 36
    assert verify_chain().ok


