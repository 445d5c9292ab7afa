"""The backup rules (DESIGN §4.5, §4.6): 3-2-1-1-0, ANSSI hardening, achieved RPO per scenario.

Plain Python, no Django: facts in, verdicts out. Reasons are message templates marked with
``_`` (a no-op here, so that ``makemessages`` collects them) plus parameters; the Django layer
translates the template and fills it in (``Verdict.render``).

Definitions (the written reading of §4.5, see docs/architecture.md):

* A copy *holds data* when it has at least one restore point from a successful backup still
  listed by its engine (or a declared last success for a copy without a connector). A failed
  job makes no restore point, so a copy whose jobs all failed holds nothing and does not count.
* A copy's data is read in ``t`` slices (restic ``check --read-data-subset=n/t``; a whole check
  or a restore test covers every slice). The copy is *verified* when, within the verification
  window, the latest verification covering each slice found zero errors. A failed slice stays
  failed until that same slice (or a whole check) passes again: a later success on another
  slice does not hide it. On a copy pcra reads itself (restic, Borg), a restore test that passed
  covers no slice (it read one snapshot, not the repository), but one that found damage marks
  every slice failed. A check of the structure alone (no data read) adds no coverage, but
  its failure marks every slice failed. A successful backup job is never a verification.
* Achieved RPO in a scenario = age of the newest restore point among the surviving copies that
  hold data and are verified; None when there is none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def _(message: str) -> str:
    """Marks a message for translation; the Django layer translates it (``Verdict.render``)."""
    return message


INTEGRITY = "integrite"
RESTORE = "restauration"

NOMINAL = "nominal"
RANSOMWARE = "ransomware"
SITE = "site"
SUPPLIER = "supplier"


@dataclass(frozen=True)
class Policy:
    verification_window_days: int = 30
    restore_test_window_days: int = 90
    immutable_min_days: int = 30


@dataclass(frozen=True)
class VerificationFact:
    performed_at: datetime
    ok: bool
    kind: str = INTEGRITY
    error_count: int = 0
    slice: tuple[int, int] | None = None  # (n, t); None = the whole copy
    reads_data: bool = True


@dataclass(frozen=True)
class CopyFacts:
    name: str
    media: str
    site: str = ""
    offsite: bool = False
    offline: bool = False
    immutable_days: int = 0
    supplier: str = ""
    #: newest restore point from a successful backup still present (or declared last success)
    newest_point: datetime | None = None
    point_count: int = 0
    #: times of the recent restore points (those that may be the newest *verified* one);
    #: empty means only ``newest_point`` is known
    point_times: tuple[datetime, ...] = ()
    #: pcra reads this copy's repository itself (restic, Borg): its data is verified by the
    #: engine slice by slice, and a restore test of one snapshot does not stand for that
    driven: bool = False
    verifications: tuple[VerificationFact, ...] = ()
    slices: int = 1
    #: hardening properties: True, False, or None (unknown); the infrastructure fills None
    encrypted: bool | None = None
    admin_mfa: bool | None = None
    separate_auth: bool | None = None
    segmented: bool | None = None
    named_admin_accounts: bool | None = None

    @property
    def holds_data(self) -> bool:
        return self.newest_point is not None


@dataclass(frozen=True)
class InfrastructureFacts:
    code: str
    separate_auth: bool | None = None
    admin_mfa: bool | None = None
    segmented: bool | None = None
    named_admin_accounts: bool | None = None


@dataclass(frozen=True)
class Verdict:
    """``ok`` with its reason: a message template and its parameters."""

    ok: bool
    template: str
    params: dict = field(default_factory=dict)
    #: several reasons shown together (joined by "; ") instead of the template
    parts: tuple[Verdict, ...] = ()

    def render(self, translate=lambda s: s) -> str:
        if self.parts:
            return "; ".join(part.render(translate) for part in self.parts)
        text = translate(self.template)
        return text % self.params if self.params else text


@dataclass(frozen=True)
class CopyVerification:
    """The verification state of one copy."""

    verified: bool
    #: share of the copy's slices whose latest verification in the window found zero errors
    coverage: float
    #: the oldest of the slices' latest successful verifications (None unless verified)
    verified_through: datetime | None
    #: the latest verification of any kind (None: never verified)
    latest: VerificationFact | None
    #: slices whose latest verification in the window failed
    failed_slices: tuple[int, ...]
    #: slices with no verification in the window
    missing_slices: tuple[int, ...]
    reason: Verdict


def _names(copies: Iterable[CopyFacts]) -> str:
    return ", ".join(c.name for c in copies)


def copy_verification(copy: CopyFacts, now: datetime, policy: Policy = Policy()) -> CopyVerification:
    """Per-slice state of a copy within the verification window (see the module docstring)."""
    t = max(1, copy.slices)
    start = now - timedelta(days=policy.verification_window_days)
    # A restore test of one snapshot does not read a driven copy's repository (see below): it is
    # not that copy's latest verification either.
    latest_any = max((v for v in copy.verifications if not (copy.driven and v.kind == RESTORE)),
                     key=lambda v: v.performed_at, default=None)
    state: dict[int, VerificationFact] = {}
    for fact in sorted(copy.verifications, key=lambda v: v.performed_at):
        if fact.performed_at < start or fact.performed_at > now:
            continue
        if fact.kind == RESTORE and copy.driven:
            if fact.ok:
                continue  # one snapshot restored does not read (or clear) the repository's packs
            # …but a restore that found damage makes the whole repository suspect until each
            # slice is read again without error.
            for n in range(1, t + 1):
                state[n] = fact
            continue
        if fact.slice is None or fact.kind == RESTORE:
            if not fact.reads_data and fact.ok:
                continue  # a structure check that passed says nothing of the data
            covered = range(1, t + 1)
        else:
            n, total = fact.slice
            if total != t:
                continue  # a slice of an older rotation: not comparable
            covered = (n,)
        for n in covered:
            state[n] = fact
    failed = tuple(n for n in range(1, t + 1) if n in state and not state[n].ok)
    missing = tuple(n for n in range(1, t + 1) if n not in state)
    good = [state[n] for n in range(1, t + 1) if n in state and state[n].ok]
    coverage = len(good) / t
    verified = not failed and not missing
    through = min(f.performed_at for f in good) if verified else None
    window = policy.verification_window_days
    if failed and state[failed[0]].kind == RESTORE:
        bad = state[failed[0]]
        reason = Verdict(False, _("%(copy)s: the restore test of %(when)s failed"),
                         {"copy": copy.name, "when": bad.performed_at.strftime("%Y-%m-%d")})
    elif failed:
        bad = state[failed[0]]
        reason = Verdict(False, _("%(copy)s: the verification of %(when)s found %(errors)s "
                                  "error(s)"),
                         {"copy": copy.name, "when": bad.performed_at.strftime("%Y-%m-%d"),
                          "errors": max(1, bad.error_count)})
    elif latest_any is None:
        reason = Verdict(False, _("%(copy)s: never verified"), {"copy": copy.name})
    elif len(missing) == t:
        reason = Verdict(False, _("%(copy)s: latest verification on %(when)s, older than "
                                  "%(days)s days"),
                         {"copy": copy.name, "when": latest_any.performed_at.strftime("%Y-%m-%d"),
                          "days": window})
    elif missing:
        reason = Verdict(False, _("%(copy)s: only %(percent)s %% of the data read within "
                                  "%(days)s days"),
                         {"copy": copy.name, "percent": round(coverage * 100), "days": window})
    else:
        reason = Verdict(True, _("%(copy)s: all data read without error within %(days)s days"),
                         {"copy": copy.name, "days": window})
    return CopyVerification(verified, coverage, through, latest_any, failed, missing, reason)


def _is_offsite(copy: CopyFacts, production_site: str) -> bool:
    return copy.offsite or bool(copy.site and production_site and copy.site != production_site)


def _is_protected(copy: CopyFacts, policy: Policy) -> bool:
    return copy.offline or copy.immutable_days >= policy.immutable_min_days


@dataclass(frozen=True)
class Digits:
    three: Verdict
    two: Verdict
    one_offsite: Verdict
    one_offline: Verdict
    zero: Verdict

    def as_dict(self) -> dict[str, Verdict]:
        return {"three": self.three, "two": self.two, "one_offsite": self.one_offsite,
                "one_offline": self.one_offline, "zero": self.zero}

    @property
    def all_ok(self) -> bool:
        return all(v.ok for v in self.as_dict().values())


def digits(copies: Sequence[CopyFacts], *, production_site: str, now: datetime,
           policy: Policy = Policy()) -> Digits:
    """The five verdicts of 3-2-1-1-0 for one data asset (DESIGN §4.5)."""
    holding = [c for c in copies if c.holds_data]
    empty = [c for c in copies if not c.holds_data]

    if len(holding) >= 2:
        three = Verdict(True, _("production data and %(count)s copies holding data: %(names)s"),
                        {"count": len(holding), "names": _names(holding)})
    elif not copies:
        three = Verdict(False, _("no backup copy"))
    elif not holding:
        three = Verdict(False, _("no copy holds data (2 needed); no successful backup in: "
                                 "%(empty)s"), {"empty": _names(empty)})
    elif empty:
        three = Verdict(False, _("production data and %(count)s copy holding data (2 needed); "
                                 "no successful backup in: %(empty)s"),
                        {"count": len(holding), "empty": _names(empty)})
    else:
        three = Verdict(False, _("production data and %(count)s copy (2 needed)"),
                        {"count": len(holding)})

    media = sorted({c.media for c in holding})
    if len(media) >= 2:
        two = Verdict(True, _("%(count)s media types: %(media)s"),
                      {"count": len(media), "media": ", ".join(media)})
    elif media:
        two = Verdict(False, _("a single media type (%(media)s) among the copies holding data"),
                      {"media": media[0]})
    else:
        two = Verdict(False, _("no copy holding data"))

    offsite = [c for c in holding if _is_offsite(c, production_site)]
    if offsite:
        one_offsite = Verdict(True, _("off-site: %(names)s"), {"names": _names(offsite)})
    else:
        one_offsite = Verdict(False, _("no copy holding data on another site than the "
                                       "production data"))

    protected = [c for c in holding if _is_protected(c, policy)]
    if protected:
        one_offline = Verdict(True, _("offline or immutable: %(names)s"),
                              {"names": _names(protected)})
    else:
        one_offline = Verdict(False, _("no copy holding data is offline or immutable for at "
                                       "least %(days)s days"),
                              {"days": policy.immutable_min_days})

    zero = zero_verdict(copies, now=now, policy=policy)
    return Digits(three, two, one_offsite, one_offline, zero)


def zero_verdict(copies: Sequence[CopyFacts], *, now: datetime,
                 policy: Policy = Policy()) -> Verdict:
    """The "0": every copy verified without error within the window, and a full restore test
    of the asset passed within the restore-test window."""
    if not copies:
        return Verdict(False, _("no backup copy"))
    states = [copy_verification(c, now, policy) for c in copies]
    bad = [s for s in states if not s.verified]
    if len(bad) == 1:
        return bad[0].reason
    if bad:
        return Verdict(False, "", parts=tuple(s.reason for s in bad))
    start = now - timedelta(days=policy.restore_test_window_days)
    tests = [v for c in copies for v in c.verifications
             if v.kind == RESTORE and start <= v.performed_at <= now]
    # "0" = zero errors in verified restores: a copy whose latest restore test failed keeps the
    # digit failed until a later restore test of that copy passes (an older pass, or a pass on
    # another copy, does not hide it).
    for copy in copies:
        latest = max((v for v in copy.verifications
                      if v.kind == RESTORE and start <= v.performed_at <= now),
                     key=lambda v: v.performed_at, default=None)
        if latest is not None and not latest.ok:
            return Verdict(False, _("%(copy)s: the restore test of %(when)s failed"),
                           {"copy": copy.name, "when": latest.performed_at.strftime("%Y-%m-%d")})
    passed = [v for v in tests if v.ok]
    if not passed:
        return Verdict(False, _("every copy verified, but no restore test passed within "
                                "%(days)s days"), {"days": policy.restore_test_window_days})
    last = max(passed, key=lambda v: v.performed_at)
    return Verdict(True, _("every copy verified without error; restore test passed on "
                           "%(when)s"), {"when": last.performed_at.strftime("%Y-%m-%d")})


# --- Scenarios and achieved RPO (DESIGN §4.6) --------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    kind: str
    target: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


def survives(copy: CopyFacts, scenario: Scenario, production_site: str) -> bool:
    """Whether a copy is still usable in a scenario."""
    if scenario.kind == NOMINAL:
        return True
    if scenario.kind == RANSOMWARE:
        return copy.offline or copy.immutable_days > 0  # immutable: its recent points only
    if scenario.kind == SITE:
        site = copy.site or ("" if copy.offsite else production_site)
        return site != scenario.target
    if scenario.kind == SUPPLIER:
        return copy.supplier != scenario.target
    raise ValueError(f"unknown scenario {scenario.kind!r}")


def scenarios_for(copies: Sequence[CopyFacts], production_site: str) -> list[Scenario]:
    """Nominal, ransomware, the loss of each site involved, the loss of each supplier."""
    result = [Scenario(NOMINAL), Scenario(RANSOMWARE)]
    sites = sorted({s for s in [production_site, *(c.site for c in copies)] if s})
    result += [Scenario(SITE, s) for s in sites]
    result += [Scenario(SUPPLIER, s) for s in sorted({c.supplier for c in copies if c.supplier})]
    return result


def newest_verified_point(copy: CopyFacts, now: datetime, policy: Policy = Policy(), *,
                          ransomware: bool = False) -> datetime | None:
    """The newest restore point of a copy that was taken before its data was last read
    without error (DESIGN §4.6: *verified* restore points only); in a ransomware scenario, an
    immutable (not offline) copy only keeps the points younger than its immutability."""
    state = copy_verification(copy, now, policy)
    if not state.verified or state.verified_through is None:
        return None
    times = copy.point_times or ((copy.newest_point,) if copy.newest_point else ())
    candidates = [t for t in times if t <= state.verified_through]
    if ransomware and not copy.offline:
        oldest_kept = now - timedelta(days=copy.immutable_days)
        candidates = [t for t in candidates if t >= oldest_kept]
    return max(candidates, default=None)


def achieved_rpo_hours(copies: Sequence[CopyFacts], scenario: Scenario, *, production_site: str,
                       now: datetime, policy: Policy = Policy()) -> float | None:
    """Age in hours of the newest verified restore point among the surviving copies."""
    newest = None
    for copy in copies:
        if not copy.holds_data or not survives(copy, scenario, production_site):
            continue
        point = newest_verified_point(copy, now, policy, ransomware=scenario.kind == RANSOMWARE)
        if point is not None and (newest is None or point > newest):
            newest = point
    if newest is None:
        return None
    return max(0.0, (now - newest).total_seconds() / 3600)


# --- ANSSI hardening ---------------------------------------------------------------------------

#: (key, label) of the per-copy hardening rules, in display order
COPY_HARDENING = (
    ("separate_auth", _("Not in the production AD (separate authentication)")),
    ("admin_mfa", _("MFA for administrators")),
    ("segmented", _("Segmented backup network, quick isolation")),
    ("protected", _("Offline or immutable copy")),
    ("encrypted", _("Encrypted")),
    ("named_admin_accounts", _("Dedicated named administrator accounts")),
)
INFRASTRUCTURE_HARDENING = tuple(r for r in COPY_HARDENING
                                 if r[0] not in ("protected", "encrypted"))

OK, FAILED, UNKNOWN = "ok", "failed", "unknown"


@dataclass(frozen=True)
class RuleStatus:
    key: str
    label: str
    status: str  # ok / failed / unknown
    source: str  # "copy", "infrastructure" or ""


def copy_hardening(copy: CopyFacts, infrastructure: InfrastructureFacts | None = None,
                   policy: Policy = Policy()) -> list[RuleStatus]:
    """Per-rule status of a copy; the copy's own value wins, else its infrastructure's."""
    result = []
    for key, label in COPY_HARDENING:
        if key == "protected":
            value, source = _is_protected(copy, policy), "copy"
        else:
            value, source = getattr(copy, key), "copy"
            if value is None and infrastructure is not None and hasattr(infrastructure, key):
                value, source = getattr(infrastructure, key), "infrastructure"
        status = UNKNOWN if value is None else (OK if value else FAILED)
        result.append(RuleStatus(key, label, status, source if value is not None else ""))
    return result


def infrastructure_hardening(infrastructure: InfrastructureFacts) -> list[RuleStatus]:
    return [RuleStatus(key, label,
                       UNKNOWN if getattr(infrastructure, key) is None
                       else (OK if getattr(infrastructure, key) else FAILED),
                       "infrastructure")
            for key, label in INFRASTRUCTURE_HARDENING]
