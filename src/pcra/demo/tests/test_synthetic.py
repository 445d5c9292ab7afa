"""`pcra seed_demo --scale N`: a synthetic GHT, deterministic, proportional, acyclic, audited,
left alone when it exists, replaced with audited deletes on --replace."""

import pytest
from django.core.management.base import CommandError

from pcra.accounts.models import Membership
from pcra.core.audit import verify_chain
from pcra.core.models import AuditEntry
from pcra.core.testing import make_user
from pcra.demo import synthetic
from pcra.demo.tests.helpers import edges_by_code, seed, seed_json, spec_edges, totals
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
    assert entries - before == 4 + len(spec.nodes) + len(spec.edges)
    assert verify_chain().ok

    again = seed("--scale", "2")
    assert again == (
        "SYN-2 – GHT synthétique SYN-2 (graine 7) already exists: 4 organizations, 60 "
        f"activities, 120 applications, {spec.count('component')} components, "
        f"{len(spec.edges)} dependencies. Nothing changed; use --replace to generate it "
        "again.\n")
    assert AuditEntry.objects.count() == entries


def test_synthetic_replace_deletes_with_audited_deletes(db):
    first = seed_json("--scale", "1", "--seed", "1")
    make_user("tester", [(Organization.objects.get(code="SYN-1-ET001"), "viewer")])
    entries = AuditEntry.objects.count()
    replaced = seed_json("--scale", "1", "--seed", "2", "--replace")
    spec = synthetic.generate(1, 2)
    assert replaced["status"] == "replaced"
    assert replaced["deleted"] == {"organizations": 3, "activities": 30, "applications": 70,
                                   "components": 204,
                                   "dependencies": first["totals"]["dependencies"]}
    assert replaced["created"] == {"organizations": 3, "activities": 30, "applications": 70,
                                   "components": 204, "dependencies": len(spec.edges)}
    ght = Organization.objects.get(code="SYN-1")
    assert ght.name == "GHT synthétique SYN-1 (graine 2)"
    assert edges_by_code(ght) == spec_edges(spec)
    deletes = AuditEntry.objects.filter(id__gt=entries, action="delete")
    assert deletes.count() == 1 + 3 + 304 + first["totals"]["dependencies"]
    assert deletes.filter(model="accounts.membership").count() == 1
    assert not Membership.objects.exists()
    assert AuditEntry.objects.count() == entries + deletes.count() + 3 + len(spec.nodes) + len(
        spec.edges)
    assert verify_chain().ok


