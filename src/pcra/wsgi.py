"""WSGI entry point used by `pcra serve` (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcra.settings")
application = get_wsgi_application()
