"""Settings shared by every environment.

The environment is read here, once (``prod`` also reads SECURE_SSL_REDIRECT). Every other
settings module starts from this one and overrides; nothing in ``civicdesk/`` reads
``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import dj_email_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CIVICDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'civicdesk.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

INSTALLED_APPS = [
    "civicdesk.workspace.admin_config.CivicDeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # the API docs page's own copy of Swagger UI, served with the static files
    "civicdesk.core",
    "civicdesk.organisations",
    "civicdesk.catalogue",
    "civicdesk.customers",
    "civicdesk.contacts",
    "civicdesk.cases",
    "civicdesk.notifications",
    "civicdesk.geo",
    "civicdesk.feedback",
    "civicdesk.complaints",
    "civicdesk.quality",
    "civicdesk.appointments",
    "civicdesk.integrations",
    "civicdesk.channels",
    "civicdesk.assistant",
    "civicdesk.insight",
    "civicdesk.referrals",
    "civicdesk.planning",
    "civicdesk.privacy",
    "civicdesk.portal",
    "civicdesk.workspace",
    "civicdesk.api",
    "civicdesk.setup",
    "civicdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "civicdesk.web.middleware.NullCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "civicdesk.web.templating.environment",
            "autoescape": True,
            "context_processors": ["django.template.context_processors.request"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Files browsers ask for at the root of the site, such as /favicon.ico, served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "civicdesk" / "portal" / "public"
STORAGES = {
    # Uploaded documents live outside the web root and are never served by URL.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "uploads"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "uploads"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"

# Outgoing email: smtp://user:password@host:port, or console:// / locmem:// for development.
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CivicDesk <no-reply@civicdesk.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Which gateway delivers notifications: "notify" (GOV.UK Notify), "smtp" (email only, through
# EMAIL_URL) or "outbox" (keep them in the outbox for staff to read). Chosen from what is set.
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_EMAIL_TEMPLATE_ID = os.environ.get("NOTIFY_EMAIL_TEMPLATE_ID", "")
NOTIFY_SMS_TEMPLATE_ID = os.environ.get("NOTIFY_SMS_TEMPLATE_ID", "")
NOTIFY_LETTER_TEMPLATE_ID = os.environ.get("NOTIFY_LETTER_TEMPLATE_ID", "")
NOTIFY_CALLBACK_TOKEN = os.environ.get("NOTIFY_CALLBACK_TOKEN", "")
NOTIFICATION_GATEWAY = os.environ.get(
    "NOTIFICATION_GATEWAY",
    "notify" if NOTIFY_API_KEY else ("smtp" if "EMAIL_URL" in os.environ else "outbox"),
)
NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "5"))
NOTIFICATION_LEASE_SECONDS = int(os.environ.get("NOTIFICATION_LEASE_SECONDS", "60"))

# Shared between the web server's processes (sign-in attempt counters rely on it): files under
# Minutes a staff session may go unused before the workspace asks for both factors again.
STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "60"))
# Who a member of staff locked out of signing in should call, shown after "Wait 15 minutes",
# e.g. "If you still cannot sign in, call the IT service desk on 01952 380000." Unset, they
# are told to call their council's IT service desk or ask their CivicDesk administrator.
STAFF_SIGN_IN_HELP = os.environ.get("STAFF_SIGN_IN_HELP", "")

# How many proxies in front of the web server append to X-Forwarded-For (web.http.client_address).
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))

# var/ on one machine, or Redis when REDIS_URL is set (several machines).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

# Name each resident page's template in a <meta> tag (tests use it to prove every page was
# checked for accessibility).
SHOW_TEMPLATE_NAMES = False

# How often the worker sweeps open cases for due-soon and overdue flags.
CHARTER_SWEEP_SECONDS = int(os.environ.get("CHARTER_SWEEP_SECONDS", "300"))

# How long after a case is resolved the resident can say it is not fixed and have it reopened.
REOPEN_WINDOW_DAYS = int(os.environ.get("REOPEN_WINDOW_DAYS", "28"))

# The assistant ("Ask", ADR 13 and 14): which engine reads residents' words (auto uses sentence
# embeddings when that extra is installed), how many may wait for an adviser before callbacks
# are offered instead, and the secret the telephony platform sends with each request (the
# phone line is refused without one).
ASSISTANT_ENGINE = os.environ.get("ASSISTANT_ENGINE", "auto")
ASSISTANT_MAX_QUEUE = int(os.environ.get("ASSISTANT_MAX_QUEUE", "10"))
# Days a chat or call with the assistant is kept after its last message (the improvement log,
# which holds no personal data, is kept).
ASSISTANT_KEEP_DAYS = int(os.environ.get("ASSISTANT_KEEP_DAYS", "90"))
TELEPHONY_SECRET = os.environ.get("TELEPHONY_SECRET", "")

# Map tiles for the resident report map, e.g. https://tiles.example/{z}/{x}/{y}.png. Unset, the
# map shows the council boundary only and needs no tile server.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Outgoing webhooks: how long to wait for a receiver, and how often to try.
WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))

# Inbound email: where `manage.py receive_email` listens for SMTP from the council's mail relay.
INBOUND_EMAIL_HOST = os.environ.get("INBOUND_EMAIL_HOST", "127.0.0.1")
INBOUND_EMAIL_PORT = int(os.environ.get("INBOUND_EMAIL_PORT", "8025"))
INBOUND_EMAIL_MAX_BYTES = 25 * 1024 * 1024

# The address residents reach the site at, for links in messages (such as "how did we do?").
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:8000")

# Virus scanning of uploads by ClamAV's daemon (ADR 28): on a Unix socket, or at a host and
# port; with neither set, uploads are not scanned. CLAMD_WHEN_DOWN says what happens to an
# upload while clamd cannot be reached: "hold" keeps it, unreleased, for staff to see, and the
# worker checks it again every HELD_DOCUMENTS_RECHECK_SECONDS; "refuse" asks the sender to try
# again later. Neither passes it unchecked.
CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "")
CLAMD_HOST = os.environ.get("CLAMD_HOST", "")
CLAMD_PORT = int(os.environ.get("CLAMD_PORT", "3310"))
CLAMD_TIMEOUT_SECONDS = float(os.environ.get("CLAMD_TIMEOUT_SECONDS", "30"))
CLAMD_WHEN_DOWN = os.environ.get("CLAMD_WHEN_DOWN", "hold").strip().lower()
if CLAMD_WHEN_DOWN not in {"hold", "refuse"}:
    raise ValueError(f'CLAMD_WHEN_DOWN must be "hold" or "refuse", not {CLAMD_WHEN_DOWN!r}')
HELD_DOCUMENTS_RECHECK_SECONDS = int(os.environ.get("HELD_DOCUMENTS_RECHECK_SECONDS", "300"))

# How often the worker brings the dashboard's daily summaries up to date, and sends invitations
# to rate recently finished cases.
INSIGHT_REFRESH_SECONDS = int(os.environ.get("INSIGHT_REFRESH_SECONDS", "300"))
RATING_INVITATION_SECONDS = int(os.environ.get("RATING_INVITATION_SECONDS", "600"))

# Jobs the worker runs on a timer: (dotted path to a function taking no arguments, seconds).
PERIODIC_JOBS = [
    ("civicdesk.cases.charter_sweep.charter_sweep", CHARTER_SWEEP_SECONDS),
    ("civicdesk.insight.services.insight_refresh", INSIGHT_REFRESH_SECONDS),
    ("civicdesk.insight.services.insight_recount_all", 24 * 60 * 60),
    ("civicdesk.feedback.services.rating_invitations_send", RATING_INVITATION_SECONDS),
    ("civicdesk.integrations.webhooks.webhooks_run", 5),
    ("civicdesk.integrations.open311.open311_tokens_process", 2),
    # Referrals to organisations on other systems: out, and their status back (ADR 45).
    ("civicdesk.referrals.external.external_dispatches_run", 5),
    ("civicdesk.referrals.polling.external_referrals_poll", 300),
    ("civicdesk.integrations.services.idempotency_records_forget", 3600),
    ("civicdesk.assistant.services.conversations_forget", 3600),
    ("civicdesk.cases.attachments.held_documents_recheck", HELD_DOCUMENTS_RECHECK_SECONDS),
    # Each council's contact forecast, made once a day and kept (the job skips what is made).
    ("civicdesk.planning.services.forecasts_make", 3600),
    # Each council's retention schedule (docs/retention.md), once a day.
    ("civicdesk.privacy.retention.retention_apply", 24 * 60 * 60),
]
