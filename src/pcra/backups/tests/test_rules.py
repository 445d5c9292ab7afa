"""The 3-2-1-1-0 rules on a table of cases (DESIGN §4.5), verification rotation, scenarios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pcra.backups import rules
from pcra.backups.rules import CopyFacts, Policy, Scenario, VerificationFact

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


OK_CHECK = VerificationFact(ago(days=2), ok=True)
RESTORE_OK = VerificationFact(ago(days=10), ok=True, kind=rules.RESTORE)


THREE_HOURS_AGO = ago(hours=3)
DEFAULT_POLICY = Policy()


def copy(name="nas", media="nas", point=THREE_HOURS_AGO, checks=(OK_CHECK,), **kw) -> CopyFacts:
    return CopyFacts(name=name, media=media, newest_point=point,
                     point_count=1 if point else 0, verifications=tuple(checks), **kw)


GOOD = [
    copy("nas", "nas", site="A", checks=(OK_CHECK, RESTORE_OK)),
    copy("tape", "bande", site="B", offline=True),
]


def verdict_bits(copies, site="A", policy=DEFAULT_POLICY):
    d = rules.digits(copies, production_site=site, now=NOW, policy=policy)
    return tuple(v.ok for v in d.as_dict().values()), d


CASES = {
    "all good": (GOOD, (True, True, True, True, True)),
    "no copy": ([], (False, False, False, False, False)),
    "one copy only": (GOOD[:1], (False, False, False, False, True)),
    # A copy whose jobs all failed has no restore point: it does not count, and it was never
    # verified, so the "0" fails too.
    "failed job does not count": (
        [GOOD[0], copy("tape", "bande", site="B", offline=True, point=None, checks=())],
        (False, False, False, False, False)),
    "same media": (
        [GOOD[0], copy("nas2", "nas", site="B", offline=True)], (True, False, True, True, True)),
    "same site, not flagged": (
        [GOOD[0], copy("tape", "bande", site="A", offline=True)],
        (True, True, False, True, True)),
    "offsite by flag without site": (
        [GOOD[0], copy("tape", "bande", offsite=True, offline=True)],
        (True, True, True, True, True)),
    "immutable long enough": (
        [GOOD[0], copy("s3", "objet", site="B", immutable_days=30)],
        (True, True, True, True, True)),
    "immutable too short": (
        [GOOD[0], copy("s3", "objet", site="B", immutable_days=7)],
        (True, True, True, False, True)),
    # An offline copy that never succeeded is no offline copy.
    "offline copy empty": (
        [GOOD[0], copy("nas2", "disque", site="B"), copy("tape", "bande", offline=True,
                                                          point=None, checks=())],
        (True, True, True, False, False)),
    "verification too old": (
        [GOOD[0], copy("tape", "bande", site="B", offline=True,
                       checks=(VerificationFact(ago(days=31), ok=True),))],
        (True, True, True, True, False)),
    "verification found errors": (
        [GOOD[0], copy("tape", "bande", site="B", offline=True,
                       checks=(VerificationFact(ago(days=1), ok=False, error_count=2),))],
        (True, True, True, True, False)),
    "no restore test": (
        [copy("nas", "nas", site="A"), GOOD[1]], (True, True, True, True, False)),
    "restore test too old": (
        [copy("nas", "nas", site="A",
              checks=(OK_CHECK, VerificationFact(ago(days=91), ok=True, kind=rules.RESTORE))),
         GOOD[1]], (True, True, True, True, False)),
    "restore test failed": (
        [copy("nas", "nas", site="A",
              checks=(OK_CHECK, VerificationFact(ago(days=5), ok=False, error_count=1,
                                                 kind=rules.RESTORE))),
         GOOD[1]], (True, True, True, True, False)),
    # A successful backup is not a verification: fresh points, no check at all.
    "never verified": (
        [copy("nas", "nas", site="A", checks=()), copy("tape", "bande", site="B", offline=True,
                                                       checks=())],
        (True, True, True, True, False)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_digit_table(name):
    copies, expected = CASES[name]
    bits, d = verdict_bits(copies)
    assert bits == expected, {k: v.render() for k, v in d.as_dict().items()}


def test_reasons_name_what_holds_and_what_not():
    _bits, d = verdict_bits(CASES["failed job does not count"][0])
    assert d.three.render() == ("production data and 1 copy holding data (2 needed); no "
                                "successful backup in: tape")
    assert d.zero.render() == "tape: never verified"
    _bits, d = verdict_bits(GOOD)
    assert d.three.render() == "production data and 2 copies holding data: nas, tape"
    assert d.two.render() == "2 media types: bande, nas"
    assert d.one_offsite.render() == "off-site: tape"
    assert d.one_offline.render() == "offline or immutable: tape"
    assert d.zero.render() == "every copy verified without error; restore test passed on 2026-11-12"
    _bits, d = verdict_bits(CASES["verification found errors"][0])
    assert d.zero.render() == "tape: the verification of 2026-11-21 found 2 error(s)"


def test_translation_hook_is_used():
    _bits, d = verdict_bits(GOOD)
    french = {"%(count)s media types: %(media)s": "%(count)s types de support : %(media)s"}
    assert d.two.render(lambda s: french.get(s, s)) == "2 types de support : bande, nas"


def test_policy_windows_are_configurable():
    copies = CASES["verification too old"][0]
    assert verdict_bits(copies, policy=Policy(verification_window_days=40))[0][4] is True
    assert verdict_bits(CASES["immutable too short"][0],
                        policy=Policy(immutable_min_days=7))[0][3] is True


# --- Rotation ---------------------------------------------------------------------------------


def sliced(n, t, days, ok=True):
    return VerificationFact(ago(days=days), ok=ok, error_count=0 if ok else 1, slice=(n, t))


def test_rotation_coverage_grows_to_full_in_t_runs():
    t = 5
    checks = []
    for run in range(1, t + 1):
        checks.append(sliced(run, t, days=t - run))
        state = rules.copy_verification(copy(checks=checks, slices=t), NOW)
        assert state.coverage == pytest.approx(run / t)
        assert state.verified is (run == t)
    assert state.verified_through == ago(days=t - 1)
    assert state.missing_slices == ()


def test_failed_slice_stays_failed_until_that_slice_passes():
    t = 4
    checks = [sliced(1, t, 6), sliced(2, t, 5, ok=False), sliced(3, t, 4), sliced(4, t, 3),
              sliced(1, t, 2)]  # later successes on other slices do not hide slice 2
    state = rules.copy_verification(copy(checks=checks, slices=t), NOW)
    assert (state.verified, state.failed_slices, state.coverage) == (False, (2,), 0.75)
    state = rules.copy_verification(copy(checks=[*checks, sliced(2, t, 1)], slices=t), NOW)
    assert (state.verified, state.failed_slices, state.coverage) == (True, (), 1.0)


def test_whole_check_covers_every_slice_and_structure_check_adds_nothing():
    whole = VerificationFact(ago(days=1), ok=True)
    assert rules.copy_verification(copy(checks=[whole], slices=7), NOW).verified
    structure = VerificationFact(ago(days=1), ok=True, reads_data=False)
    state = rules.copy_verification(copy(checks=[structure], slices=7), NOW)
    assert (state.verified, state.coverage) == (False, 0.0)
    broken = VerificationFact(ago(days=1), ok=False, error_count=3, reads_data=False)
    state = rules.copy_verification(copy(checks=[sliced(1, 1, 2), broken], slices=1), NOW)
    assert (state.verified, state.failed_slices) == (False, (1,))


def test_slices_of_an_older_rotation_are_ignored():
    checks = [sliced(n, 3, days=n) for n in (1, 2, 3)]
    assert rules.copy_verification(copy(checks=checks, slices=3), NOW).verified
    assert rules.copy_verification(copy(checks=checks, slices=4), NOW).coverage == 0


def test_slices_older_than_the_window_expire():
    checks = [sliced(1, 2, days=29), sliced(2, 2, days=31)]
    state = rules.copy_verification(copy(checks=checks, slices=2), NOW)
    assert (state.verified, state.missing_slices, state.coverage) == (False, (2,), 0.5)
    assert state.reason.render() == "nas: only 50 % of the data read within 30 days"


# --- Scenarios --------------------------------------------------------------------------------


def test_achieved_rpo_per_scenario():
    fresh = (VerificationFact(ago(hours=0.5), ok=True),)
    copies = [
        copy("nas", "nas", site="A", point=ago(hours=2), checks=fresh),
        copy("tape", "bande", site="B", offline=True, point=ago(hours=30), checks=fresh),
        copy("cloud", "cloud", supplier="OVH", offsite=True, point=ago(hours=5), checks=fresh),
        copy("broken", "disque", site="B", point=ago(hours=1),
             checks=(VerificationFact(ago(days=1), ok=False, error_count=1),)),
    ]
    rpo = {s.key: rules.achieved_rpo_hours(copies, s, production_site="A", now=NOW)
           for s in rules.scenarios_for(copies, "A")}
    # The broken copy has the newest point but is not verified: it never counts.
    assert rpo == {"nominal": 2.0, "ransomware": 30.0, "site:A": 5.0, "site:B": 2.0,
                   "supplier:OVH": 2.0}


def test_only_points_taken_before_the_last_good_read_are_verified():
    times = (ago(hours=30), ago(hours=20), ago(hours=2))
    checked = copy("nas", "nas", point=times[-1], point_times=times,
                   checks=(VerificationFact(ago(hours=10), ok=True),))
    nominal = Scenario(rules.NOMINAL)
    assert rules.achieved_rpo_hours([checked], nominal, production_site="A", now=NOW) == 20.0
    # With a rotation, the oldest of the slices' latest reads bounds what is verified.
    t = 2
    sliced_copy = copy("nas", "nas", point=times[-1], point_times=times, slices=t,
                       checks=(sliced(1, t, days=1.0), sliced(2, t, days=0.1)))
    assert rules.achieved_rpo_hours([sliced_copy], nominal, production_site="A",
                                    now=NOW) == 30.0


def test_ransomware_keeps_only_the_points_an_immutable_copy_still_protects():
    times = (ago(days=10), ago(days=2))
    immutable = copy("s3", "objet", immutable_days=7, point=times[-1], point_times=times,
                     checks=(VerificationFact(ago(hours=1), ok=True),))
    ransomware = Scenario(rules.RANSOMWARE)
    assert rules.achieved_rpo_hours([immutable], ransomware, production_site="A",
                                    now=NOW) == 48.0
    old_only = copy("s3", "objet", immutable_days=7, point=times[0], point_times=times[:1],
                    checks=(VerificationFact(ago(hours=1), ok=True),))
    assert rules.achieved_rpo_hours([old_only], ransomware, production_site="A",
                                    now=NOW) is None


def test_a_failed_restore_test_is_not_hidden_by_an_older_pass_or_another_copy():
    fresh = tuple(sliced(n, 2, days=1) for n in (1, 2))
    passed = VerificationFact(ago(days=20), ok=True, kind=rules.RESTORE)
    failed = VerificationFact(ago(days=3), ok=False, error_count=4, kind=rules.RESTORE)
    copies = [copy("nas", "nas", site="A", slices=2, driven=True,
                   checks=(*fresh, passed, failed)),
              copy("tape", "bande", site="B", offline=True, slices=2, driven=True,
                   checks=(*fresh, VerificationFact(ago(days=1), ok=True, kind=rules.RESTORE)))]
    zero = rules.zero_verdict(copies, now=NOW)
    assert (zero.ok, zero.render()) == (False, "nas: the restore test of 2026-11-19 failed")
    # A later restore test of the same copy that passes clears it.
    again = VerificationFact(ago(days=1), ok=True, kind=rules.RESTORE)
    copies[0] = copy("nas", "nas", site="A", slices=2, driven=True,
                     checks=(*fresh, passed, failed, again))
    assert rules.zero_verdict(copies, now=NOW).ok is True


def test_a_restore_test_does_not_clear_a_failed_slice_of_a_driven_copy():
    t = 2
    checks = (sliced(1, t, days=3, ok=False), sliced(2, t, days=2),
              VerificationFact(ago(days=1), ok=True, kind=rules.RESTORE))
    driven = rules.copy_verification(copy(checks=checks, slices=t, driven=True), NOW)
    assert (driven.verified, driven.failed_slices) == (False, (1,))
    # A restore that found damage makes every slice suspect, and the achieved RPO goes with it.
    damaged = (sliced(1, t, days=2), sliced(2, t, days=2),
               VerificationFact(ago(hours=1), ok=False, error_count=1, kind=rules.RESTORE))
    state = rules.copy_verification(copy(checks=damaged, slices=t, driven=True), NOW)
    assert (state.verified, state.failed_slices) == (False, (1, 2))
    assert rules.achieved_rpo_hours([copy(checks=damaged, slices=t, driven=True)],
                                    Scenario(rules.NOMINAL), production_site="A",
                                    now=NOW) is None
    # Nor is it the latest verification of a driven copy whose data was never read.
    only = rules.copy_verification(copy(checks=checks[2:], slices=t, driven=True), NOW)
    assert only.reason.render() == "nas: never verified"
    # For a copy pcra does not read itself, a restore test is its latest verification.
    other = rules.copy_verification(copy(checks=checks, slices=t), NOW)
    assert other.verified is True


def test_no_surviving_verified_copy_gives_none():
    copies = [copy("nas", "nas", site="A")]
    assert rules.achieved_rpo_hours(copies, Scenario(rules.RANSOMWARE), production_site="A",
                                    now=NOW) is None
    assert rules.achieved_rpo_hours(copies, Scenario(rules.SITE, "A"), production_site="A",
                                    now=NOW) is None
    # A copy with no site and not off-site is on the production site.
    assert rules.achieved_rpo_hours([copy("nas", "nas")], Scenario(rules.SITE, "A"),
                                    production_site="A", now=NOW) is None


# --- Hardening --------------------------------------------------------------------------------


def test_copy_hardening_falls_back_on_the_infrastructure():
    facts = copy(encrypted=True, admin_mfa=False, offline=True)
    infra = rules.InfrastructureFacts("BK", separate_auth=True, admin_mfa=True)
    statuses = {r.key: (r.status, r.source) for r in rules.copy_hardening(facts, infra)}
    assert statuses == {
        "separate_auth": ("ok", "infrastructure"),
        "admin_mfa": ("failed", "copy"),  # the copy's own answer wins
        "segmented": ("unknown", ""),
        "protected": ("ok", "copy"),
        "encrypted": ("ok", "copy"),
        "named_admin_accounts": ("unknown", ""),
    }
    assert [r.status for r in rules.infrastructure_hardening(infra)] == [
        "ok", "ok", "unknown", "unknown"]
