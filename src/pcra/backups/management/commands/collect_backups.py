"""``pcra collect_backups [--organization CODE] [--verify] [--json]``: read every restic and
Borg copy now (restore points, repository facts), optionally verify the next slice of each, and
refresh the alerts. Exit status 1 when a copy could not be read."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pcra.backups import services, supervision
from pcra.backups.commandline import assets_of, organization_from
from pcra.backups.models import DRIVEN_ENGINES, BackupCopy, RunStatus


class Command(BaseCommand):
    help = "Collect restore points from every restic and Borg copy now (and verify with --verify)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Only this GHT or establishment.")
        parser.add_argument("--verify", action="store_true",
                            help="Also read the next slice of each copy's data.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, organization, verify, json: bool, **options):
        org = organization_from(organization)
        assets = list(assets_of(org))
        copies = list(BackupCopy.objects.filter(data_asset__in=assets, engine__in=DRIVEN_ENGINES)
                      .select_related("data_asset__node").order_by("data_asset__node__code",
                                                                     "name"))
        rows = []
        for index, copy in enumerate(copies, 1):
            run = services.collect_copy(copy=copy)
            row = {"data_asset": copy.data_asset.code, "copy": copy.name,
                   "status": run.status, "error_code": run.error_code, "error": run.error,
                   "new_points": run.new_points,
                   "restore_points": copy.points.filter(gone_at__isnull=True).count()}
            if verify and run.status == RunStatus.OK:
                check = services.verify_copy(copy=copy)
                row["verification"] = (check.details.get("ok") if check.status == RunStatus.OK
                                       else None)
                if check.status != RunStatus.OK:
                    row.update(status=check.status, error_code=check.error_code,
                               error=check.error)
            rows.append(row)
            if not json:
                mark = "ok" if row["status"] == RunStatus.OK else _("FAILED")
                line = f"[{index}/{len(copies)}] {row['data_asset']} / {row['copy']}: {mark}"
                if row["status"] == RunStatus.OK:
                    line += " · " + _("%(n)s restore point(s), %(new)s new") % {
                        "n": row["restore_points"], "new": row["new_points"]}
                    if "verification" in row:
                        line += " · " + (_("verification OK") if row["verification"]
                                         else _("verification FOUND ERRORS"))
                else:
                    line += f" · {row['error']}"
                self.stdout.write(line)
        refreshed = supervision.alerts_refresh(assets=assets)
        failed = sum(1 for r in rows if r["status"] != RunStatus.OK)
        if json:
            self.stdout.write(_dumps({"copies": rows, "failed": failed,
                                      "alerts_opened": len(refreshed.opened),
                                      "alerts_resolved": len(refreshed.resolved)}))
        else:
            self.stdout.write(_("%(n)s copies read, %(failed)s failed; alerts: %(opened)s opened, "
                                "%(resolved)s resolved.") % {
                "n": len(rows), "failed": failed, "opened": len(refreshed.opened),
                "resolved": len(refreshed.resolved)})
        if failed:
            raise SystemExit(1)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
