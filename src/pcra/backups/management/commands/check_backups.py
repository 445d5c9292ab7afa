"""``pcra check_backups [--organization CODE]``: a Nagios/Centreon plugin.

Computes the supervision conditions now (the same as the alerts) and prints one status line
with performance data, then exits 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN (unknown
organization, nothing to check, an internal error)::

    BACKUPS CRITICAL - 2 critical, 1 warning on 14 data assets: DPI-DB/nas: verification ...
    | assets=14;;;0 copies=27;;;0 critical=2;;;0 warning=1;;;0 rule_ok=9;;;0
      rpo_breach=1;;;0 oldest_point_age=93600s;;;0
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
LABELS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


def evaluate(organization_code: str | None) -> tuple[int, str]:
    """(exit code, output line)."""
    from pcra.backups import selectors, supervision
    from pcra.backups.commandline import assets_of, organization_from
    from pcra.backups.models import AlertKind, Severity

    now = timezone.now()
    assets = list(assets_of(organization_from(organization_code)))
    reports = selectors.asset_reports(assets, now=now)
    copies = sum(len(r.copies) for r in reports)
    if not reports:  # nothing declared at all (a data asset without copy is CRITICAL)
        return UNKNOWN, "BACKUPS UNKNOWN - no backup copy to check"
    runs = supervision.last_runs([c.copy.pk for r in reports for c in r.copies])
    found = [(r.code, c) for r in reports for c in supervision.conditions_of(r, runs, now)]
    critical = [(code, c) for code, c in found if c.severity == Severity.CRITICAL]
    warning = [(code, c) for code, c in found if c.severity == Severity.WARNING]
    status = CRITICAL if critical else WARNING if warning else OK
    ages = [c.newest_point_age_hours for r in reports for c in r.copies
            if c.newest_point_age_hours is not None]
    perf = {
        "assets": len(reports), "copies": copies, "critical": len(critical),
        "warning": len(warning), "rule_ok": sum(1 for r in reports if r.digits.all_ok),
        "rpo_breach": sum(1 for _code, c in found if c.kind == AlertKind.RPO_BREACH),
    }
    perfdata = " ".join(f"{k}={v};;;0" for k, v in perf.items())
    if ages:
        perfdata += f" oldest_point_age={round(max(ages) * 3600)}s;;;0"
    summary = f"{len(critical)} critical, {len(warning)} warning on {len(reports)} data assets"
    # "|" starts the performance data for Nagios: never let a message (an ingested job
    # message, an engine error) carry one.
    details = "; ".join(f"{code}: {c.message}" for code, c in (critical + warning)[:5])
    details = details.replace("|", "/").replace("\n", " ")
    line = f"BACKUPS {LABELS[status]} - {summary}" + (f": {details}" if details else "")
    return status, f"{line} | {perfdata}"


class Command(BaseCommand):
    help = "Nagios/Centreon plugin: backup state with performance data (exit 0/1/2/3)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Only this GHT or establishment.")

    def handle(self, *args, organization, **options):
        from django.utils.translation import override

        try:
            with override("en"):  # monitoring consoles read the plugin's output in English
                status, line = evaluate(organization)
        except CommandError as exc:
            status, line = UNKNOWN, f"BACKUPS UNKNOWN - {exc}"
        except Exception as exc:  # a plugin must always answer with a status
            status, line = UNKNOWN, f"BACKUPS UNKNOWN - {type(exc).__name__}: {exc}"
        self.stdout.write(line.replace("\n", " "))
        self.stdout.flush()
        sys.exit(status)
