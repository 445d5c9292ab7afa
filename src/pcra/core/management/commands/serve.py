"""`pcra serve`: run the web application with gunicorn (static files served by WhiteNoise)."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from pcra.env import env_int, env_str


class Command(BaseCommand):
    help = "Serve pcra over HTTP (default 127.0.0.1:8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=env_str("PCRA_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("PCRA_PORT", 8000))
        parser.add_argument("--workers", type=int, default=env_int("PCRA_WEB_WORKERS", 2))
        parser.add_argument("--with-worker", action="store_true",
                            help="also run `pcra worker` (background jobs: backup collection, "
                                 "verification, alerts) for as long as the server runs")

    def handle(self, *args, **options):
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"pcra serving on http://{bind}/ (data in {settings.DATA_DIR})")
        self.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "pcra.wsgi:application", "--bind", bind,
                "--workers", str(options["workers"]), "--threads", "4",
                "--access-logfile", "-", "--timeout", "120"]
        if not options["with_worker"]:
            os.execv(sys.executable, argv)
        import subprocess

        worker = subprocess.Popen([sys.executable, "-m", "pcra.cli", "worker"])
        self.stdout.write(f"pcra worker running (pid {worker.pid})")
        self.stdout.flush()
        try:
            code = subprocess.call(argv)
        except KeyboardInterrupt:
            code = 0
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        sys.exit(code)
