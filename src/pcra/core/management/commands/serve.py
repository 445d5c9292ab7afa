"""`pcra serve`: run the web application with gunicorn (static files served by WhiteNoise),
over HTTPS when given a certificate and its key (what restore-test agents need)."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pcra.env import env_int, env_str


class Command(BaseCommand):
    help = ("Serve pcra over HTTP (default 127.0.0.1:8000), or HTTPS with --certfile and "
            "--keyfile.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=env_str("PCRA_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("PCRA_PORT", 8000))
        parser.add_argument("--workers", type=int, default=env_int("PCRA_WEB_WORKERS", 2))
        parser.add_argument("--with-worker", action="store_true",
                            help="also run `pcra worker` (background jobs: backup collection, "
                                 "verification, alerts) for as long as the server runs")
        parser.add_argument("--certfile", default=env_str("PCRA_TLS_CERTFILE") or None,
                            help="PEM certificate (with its chain): serve HTTPS (env "
                                 "PCRA_TLS_CERTFILE)")
        parser.add_argument("--keyfile", default=env_str("PCRA_TLS_KEYFILE") or None,
                            help="PEM private key of the certificate (env PCRA_TLS_KEYFILE)")

    def handle(self, *args, **options):
        bind = f"{options['host']}:{options['port']}"
        tls = self._tls(options["certfile"], options["keyfile"])
        scheme = "https" if tls else "http"
        self.stdout.write(f"pcra serving on {scheme}://{bind}/ (data in {settings.DATA_DIR})")
        self.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "pcra.wsgi:application", "--bind", bind,
                "--workers", str(options["workers"]), "--threads", "4",
                "--access-logfile", "-", "--timeout", "120", *tls]
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

    @staticmethod
    def _tls(certfile: str | None, keyfile: str | None) -> list[str]:
        """gunicorn's TLS arguments (empty: plain HTTP); the files are checked here so that a
        typo fails with its name instead of in a gunicorn worker."""
        if not certfile and not keyfile:
            return []
        if not certfile or not keyfile:
            raise CommandError("HTTPS needs both --certfile and --keyfile.")
        for option, path in (("--certfile", certfile), ("--keyfile", keyfile)):
            if not os.path.isfile(path) or not os.access(path, os.R_OK):
                raise CommandError(f"{option} {path}: no such readable file.")
        import ssl

        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
        except (ssl.SSLError, OSError) as exc:
            raise CommandError(f"--certfile {certfile} / --keyfile {keyfile}: not a PEM "
                               f"certificate and its private key ({exc}).") from None
        return ["--certfile", os.path.abspath(certfile), "--keyfile", os.path.abspath(keyfile)]
