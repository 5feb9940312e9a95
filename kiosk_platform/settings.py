"""Django settings of the central platform, read from the environment.

``./scripts/run-platform`` and the test suite set these; nothing here is a secret committed to git:
``KIOSK_PLATFORM_SECRET_KEY`` must be given outside debug mode. Database: PostgreSQL through
psycopg 3, by default on the Unix socket of the local cluster (``kiosk_platform.localdb``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"KIOSK_PLATFORM_{name}", default)


DEBUG = _env("DEBUG") == "1"
SECRET_KEY = _env("SECRET_KEY") or ("insecure-debug-only-key" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("KIOSK_PLATFORM_SECRET_KEY is not set (./scripts/run-platform makes one under var/platform)")
ALLOWED_HOSTS = [h for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in _env("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kiosk_platform.orgs",
    "kiosk_platform.fleet",
    "kiosk_platform.ingest",
    "kiosk_platform.stats",
    "kiosk_platform.feedback",
    "kiosk_platform.publishing",
    "kiosk_platform.opendata",
    "kiosk_platform.notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kiosk_platform.urls"
WSGI_APPLICATION = "kiosk_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kiosk_platform.orgs.scope.operator_context",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _env("DB_NAME", "kiosk_platform"),
        "USER": _env("DB_USER", "kiosk_platform"),
        "PASSWORD": _env("DB_PASSWORD"),
        "HOST": _env("DB_HOST", str(Path.cwd() / "var" / "platform" / "pg" / "run")),
        "PORT": _env("DB_PORT"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
# nginx (packaging/nginx/kiosk-platform.conf) sets X-Forwarded-Proto; behind TLS the addresses the
# platform hands out (a joining kiosk's ingest_url) must say https. gunicorn listens on loopback only.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = _env("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(_env("STATIC_ROOT", str(Path.cwd() / "var" / "platform" / "static")))
# Apache ECharts from npm (kiosk_platform/frontend, `npm ci` in setup.sh): served as our own file.
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",  # the dashboard's own CSS, JS and small data (platform/)
    ("vendor/echarts", PACKAGE_DIR / "frontend" / "node_modules" / "echarts" / "dist"),
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # an ingest batch is at most 256 kB; a pack upload streams to disk

# Where packs are published (the sync issue's TUF channel; nginx serves CHANNEL_DIR) and its keys.
CHANNEL_DIR = Path(_env("CHANNEL_DIR", str(Path.cwd() / "var" / "platform" / "channel")))
CHANNEL_KEYS = Path(_env("CHANNEL_KEYS", str(Path.cwd() / "var" / "platform" / "channel-keys")))
# The channel address a registered kiosk syncs from (given back by the register API; "" if not set).
CHANNEL_URL = _env("CHANNEL_URL")
UPLOAD_DIR = Path(_env("UPLOAD_DIR", str(Path.cwd() / "var" / "platform" / "uploads")))

# Fleet status from heartbeats: a kiosk beats every 15 minutes by default (outbox.heartbeat_minutes).
HEARTBEAT_LATE_MINUTES = int(_env("HEARTBEAT_LATE_MINUTES", "35"))
HEARTBEAT_OFFLINE_MINUTES = int(_env("HEARTBEAT_OFFLINE_MINUTES", "120"))
# Privacy: a search term is reported only when seen in at least this many separate visits.
SEARCH_TERM_MIN_VISITS = int(_env("SEARCH_TERM_MIN_VISITS", "5"))
# A visitor's contact is erased from the platform this many days after the complaint is closed.
CONTACT_RETENTION_DAYS = int(_env("CONTACT_RETENTION_DAYS", "30"))
# Ingest limits (docs/platform-ingest.md)
INGEST_MAX_BYTES = int(_env("INGEST_MAX_BYTES", str(512 * 1024)))
INGEST_MAX_EVENTS = int(_env("INGEST_MAX_EVENTS", "500"))
INGEST_RATE_PER_MINUTE = int(_env("INGEST_RATE_PER_MINUTE", "120"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}
