"""``pcra worker``: run the background jobs (django-tasks, database backend) and the scheduler
that enqueues due collections, verifications, restore tests and the alert refresh. A restore
test runs for as long as its restore takes: run a second worker if collections must go on
meanwhile."""

from __future__ import annotations

import os
import socket
import time

from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = ("Run background jobs: every INTERVAL seconds, enqueue the backup collections, "
            "verifications and restore tests that are due and refresh the alerts, then run "
            "every queued job.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=60.0,
                            help="Seconds between two scheduler passes (default 60).")
        parser.add_argument("--once", action="store_true",
                            help="One scheduler pass, run every queued job, then exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
        from django_tasks_db.management.commands.db_worker import Worker

        from pcra.backups.tasks import refresh_alerts_task, schedule_due
        from pcra.recovery import services as recovery
        from pcra.restoretests import services as restore_tests

        _remove_stale_sandboxes(self.stdout)
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
        verbosity = options["verbosity"]
        while True:
            collections, verifications = schedule_due()
            expired = restore_tests.runs_expire()
            tests = restore_tests.schedule_due()
            expired += recovery.plans_expire()
            refresh_alerts_task.enqueue()
            if verbosity:
                self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} scheduled "
                                  f"{collections} collection(s), {verifications} verification(s), "
                                  f"{tests} restore test(s); {expired} silent test(s) or plan(s) failed")
            if backend.__class__.__name__ == "DatabaseBackend":
                Worker(queue_names=["*"], interval=0, batch=True, backend_name=backend.alias,
                       startup_delay=False, max_tasks=None, worker_id=worker_id,
                       excluded_queue_names=[]).run()
            if once:
                return
            time.sleep(interval)


def _remove_stale_sandboxes(out) -> None:
    """Restored data left by a worker killed during a restore test (its run is failed by the
    lease) is removed when a worker starts, unless a test is running on a worker right now."""
    from django.conf import settings

    from pcra.restoretests.models import RestoreTestRun, RunState
    from pcra.restoretests.runner import remove_stale_sandboxes

    root = settings.PCRA_RESTORE_SANDBOX_DIR
    if not root.is_dir() or RestoreTestRun.objects.filter(status=RunState.RUNNING,
                                                          agent__isnull=True).exists():
        return
    removed = remove_stale_sandboxes(str(root))
    if removed:
        out.write(f"removed {removed} sandbox(es) left by an interrupted restore test")

