"""pcra settings: one module, driven by PCRA_* environment variables (docs/configuration.md).

The defaults run with zero setup: SQLite in WAL mode under PCRA_DATA_DIR (./var), a secret key
generated on first start and kept in that directory, French interface.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from pcra.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent

DATA_DIR = env_path("PCRA_DATA_DIR", "./var")
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """PCRA_SECRET_KEY, or a random key generated once and stored in DATA_DIR."""
    explicit = env_str("PCRA_SECRET_KEY")
    if explicit:
        return explicit
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("PCRA_DEBUG", False)
ALLOWED_HOSTS = env_list("PCRA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("PCRA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "pcra.core",
    "pcra.accounts",
    "pcra.organizations",
    "pcra.inventory",
    "pcra.impact",
    "pcra.workbook",
    "pcra.backups",
    "pcra.restoretests",
    "pcra.recovery",
    "pcra.plans",
    "pcra.demo",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pcra.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pcra.core.middleware.AuditActorMiddleware",
    "pcra.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "pcra.urls"
WSGI_APPLICATION = "pcra.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pcra.core.context_processors.pcra",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("PCRA_DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("PCRA_DB_CONN_MAX_AGE", 60, minimum=0))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "pcra.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while a writer commits; IMMEDIATE avoids
                # "database is locked" upgrades from read to write transactions.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("PCRA_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int("PCRA_SESSION_SECONDS", 8 * 3600, minimum=60)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Uploaded workbooks are read in memory up to this size (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PCRA_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = env_str("PCRA_LANGUAGE", "fr")
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("PCRA_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from the finders; collectstatic is optional
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": DATA_DIR / "files"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- pcra ---------------------------------------------------------------------------------
PCRA_PAGE_SIZE = env_int("PCRA_PAGE_SIZE", 50, minimum=1)
# Key file of the secrets encrypted at rest (pcra.core.secrets); never inside the database.
PCRA_SECRETS_KEY_FILE = env_str("PCRA_SECRETS_KEY_FILE", "")

# Backups (DESIGN §4.5): the windows of the 3-2-1-1-0 rules and of supervision.
PCRA_BACKUP_VERIFICATION_WINDOW_DAYS = env_int("PCRA_BACKUP_VERIFICATION_WINDOW_DAYS", 30,
                                               minimum=1)
PCRA_BACKUP_RESTORE_TEST_WINDOW_DAYS = env_int("PCRA_BACKUP_RESTORE_TEST_WINDOW_DAYS", 90,
                                               minimum=1)
PCRA_BACKUP_IMMUTABLE_MIN_DAYS = env_int("PCRA_BACKUP_IMMUTABLE_MIN_DAYS", 30, minimum=1)
PCRA_BACKUP_ENGINE_TIMEOUT_SECONDS = env_int("PCRA_BACKUP_ENGINE_TIMEOUT_SECONDS", 3600,
                                             minimum=1)
# Restore tests (CaRE O4): where the worker restores (a sandbox per test, removed after it),
# the free space kept beyond what a restore writes, and how long a running test may stay silent
# (no progress from its worker or agent) before it is declared failed.
PCRA_RESTORE_SANDBOX_DIR = env_path("PCRA_RESTORE_SANDBOX_DIR", str(DATA_DIR / "sandbox"))
PCRA_RESTORE_RESERVE_BYTES = env_int("PCRA_RESTORE_RESERVE_BYTES", 512 * 1024 * 1024, minimum=0)
PCRA_RESTORE_LEASE_SECONDS = env_int("PCRA_RESTORE_LEASE_SECONDS", 120, minimum=5)
# How long an agent with nothing to do waits before asking again.
PCRA_AGENT_POLL_SECONDS = env_int("PCRA_AGENT_POLL_SECONDS", 30, minimum=1)
PCRA_ALERT_ESCALATION_DAYS = env_int("PCRA_ALERT_ESCALATION_DAYS", 7, minimum=1)
PCRA_ALERT_EMAILS = env_list("PCRA_ALERT_EMAILS", [])

# Background jobs (django-tasks): the database backend, run by `pcra worker`. PCRA_TASKS_INLINE
# runs them at once in the calling process instead (tests, one-shot commands).
TASKS = {"default": {
    "BACKEND": ("django_tasks.backends.immediate.ImmediateBackend"
                if env_bool("PCRA_TASKS_INLINE", False) else "django_tasks_db.DatabaseBackend"),
}}

# E-mail (alerts). Without PCRA_EMAIL_HOST, messages are written as files under
# PCRA_DATA_DIR/mail so that nothing is lost on a machine without a mail relay.
EMAIL_HOST = env_str("PCRA_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("PCRA_EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("PCRA_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("PCRA_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("PCRA_EMAIL_TLS", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("PCRA_EMAIL_FROM", "pcra@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PCRA_LOG_LEVEL", "WARNING")},
}
