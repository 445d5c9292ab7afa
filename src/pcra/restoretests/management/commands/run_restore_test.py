"""``pcra run_restore_test DATA_ASSET COPY [--level 1|2|3] [--definition NAME] [--json]``: run one
restore test now, in this process, with its progress on stderr; print the result (JSON with
``--json``). Exit status 0 only when the test passed."""

from __future__ import annotations

import json
import signal
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pcra.backups.commandline import find_copy, organization_from
from pcra.backups.display import duration_text
from pcra.restoretests import services
from pcra.restoretests.models import RestoreTestDefinition, RunState


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


class Command(BaseCommand):
    help = "Run one restore test of a copy now and print its result (exit 0 only when passed)."

    def add_arguments(self, parser):
        parser.add_argument("data_asset", help="Code of the application or component.")
        parser.add_argument("copy", help="Name of the copy.")
        parser.add_argument("--level", type=int, choices=(1, 2, 3),
                            help="1 engine check; 2 restore and verify every file (default); "
                                 "3 also run the probe.")
        parser.add_argument("--definition", help="Use this restore-test definition of the copy "
                                                 "(level, scope, probe, timeouts).")
        parser.add_argument("--probe", help="Probe command for level 3 ({sandbox} = the "
                                            "restored data).")
        parser.add_argument("--probe-expect", help="Regular expression the probe's output "
                                                   "must match.")
        parser.add_argument("--snapshot", help="Snapshot or archive to restore (default: the "
                                               "newest).")
        parser.add_argument("--timeout", type=int, help="Seconds allowed for the whole test.")
        parser.add_argument("--organization", help="GHT or establishment of the data asset "
                                                   "(when its code exists in several GHTs).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, data_asset, copy, level, definition, probe, probe_expect, snapshot,
               timeout, organization, json: bool, **options):
        org = organization_from(organization)
        target = find_copy(data_asset, copy, org)
        chosen = None
        if definition:
            chosen = RestoreTestDefinition.objects.filter(copy=target, name=definition).first()
            if chosen is None:
                names = ", ".join(target.restore_tests.values_list("name", flat=True))
                raise CommandError(_("%(copy)s has no restore-test definition named %(name)s "
                                     "(definitions: %(names)s).") % {
                    "copy": target, "name": definition, "names": names or "—"})
        elif level == 3 and not probe:
            probes = [d for d in target.restore_tests.all() if d.probe_command]
            if len(probes) == 1:
                chosen = probes[0]
        try:
            run = services.run_request(
                copy=target, definition=chosen, level=level, enqueue=False, agent=None,
                probe_command=probe, probe_expect=probe_expect, snapshot=snapshot,
                timeout_seconds=timeout)  # run here, not on the definition's agent
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

        interrupted = {"flag": False}

        def on_signal(signum, frame):
            interrupted["flag"] = True

        previous = signal.signal(signal.SIGINT, on_signal)
        tty = sys.stderr.isatty()
        shown = {"phase": None}

        def on_progress(p) -> None:
            fraction = p.fraction
            percent = f"{fraction * 100:5.1f} %" if fraction is not None else "  …  "
            counts = (f"{_size(p.bytes_done)} / {_size(p.bytes_total)}" if p.bytes_total
                      else _size(p.bytes_done))
            line = f"{p.phase:<10} {percent}  {counts}"
            if tty:
                sys.stderr.write("\r" + line.ljust(60))
                sys.stderr.flush()
            elif p.phase != shown["phase"]:
                sys.stderr.write(line + "\n")
            shown["phase"] = p.phase

        try:
            run = services.execute_run(run, on_progress=on_progress,
                                       interrupted=lambda: interrupted["flag"])
        finally:
            signal.signal(signal.SIGINT, previous)
            if tty:
                sys.stderr.write("\n")
        result = {
            "status": "passed" if run.status == RunState.PASSED else "failed",
            "errors": list(run.errors),
            "duration_seconds": run.duration_seconds,
            "bytes_restored": run.bytes_restored,
            "files_verified": run.files_verified,
            "run": str(run.uuid),
            "outcome": run.status,
            "error_code": run.error_code,
            "level": run.level,
            "snapshot": run.snapshot_id,
            "files_restored": run.files_restored,
            "throughput_bytes_per_second": run.throughput,
            "extrapolated_full_seconds": run.extrapolated_full_seconds,
            "report_sha256": run.report_sha256,
        }
        if json:
            self.stdout.write(_dumps(result))
        else:
            self.stdout.write(self._summary(run))
        if run.status != RunState.PASSED:
            raise SystemExit(1)

    def _summary(self, run) -> str:
        head = f"{run.copy.data_asset.code} / {run.copy.name}: "
        if run.status == RunState.PASSED:
            lines = [head + _("restore test PASSED (level %(level)s)") % {"level": run.level}]
        else:
            lines = [head + _("restore test %(status)s (level %(level)s)") % {
                "status": run.get_status_display().upper(), "level": run.level}]
        if run.snapshot_id:
            lines.append(_("snapshot: %(id)s") % {"id": run.snapshot_id})
        if run.level >= 2 and run.status == RunState.PASSED:
            lines.append(_("%(files)s file(s) verified, %(size)s restored in %(time)s") % {
                "files": run.files_verified, "size": _size(run.bytes_restored),
                "time": duration_text((run.restore_seconds or 0) / 3600)})
            if run.extrapolated_full_seconds is not None:
                lines.append(_("full restore: %(time)s") % {
                    "time": duration_text(run.extrapolated_full_seconds / 3600)})
        for error in run.errors:
            lines.append(f"  - {error}")
        lines.append(_("evidence SHA-256: %(sha)s") % {"sha": run.report_sha256})
        return "\n".join(lines)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
