"""Settings for the newsletter archive, read from the environment.

Every setting an operator may change comes from an environment variable (see .env.example).
Without any, the site runs on a local SQLite file; DEBUG must be switched on explicitly.
"""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_float(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (see .env.example), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "nested_admin",
    "taggit",
    "csp",
    "ninja",  # the API's docs page (its Swagger UI, served from our own static files)
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "archive",
]
# Developers' tools (manage.py bench …): benchmarks, Lighthouse, load tests. Not the product's.
if DEBUG or env_bool("BENCH_TOOLS", False):
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "archive.publishing.languages.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "archive.api.middleware.ApiMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "archive.publishing.cache.PageCacheMiddleware",
]

ROOT_URLCONF = "newsletter.urls"
WSGI_APPLICATION = "newsletter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "archive.publishing.context.site",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL (psycopg 3) when DATABASE_URL says so.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Search ranks up to a few thousand matches per query: its bitmaps stay exact in 32 MB,
    # and JIT compilation would cost more than the queries themselves.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c work_mem=32MB -c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache lets several stateless web processes agree (and one edit invalidate the
# pages every process serves); locmem is fine for one. A cache that does not answer within
# half a second is treated as down: pages are served uncached (archive.publishing.cache).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Reader pages kept in that cache (0: not at all), and how long a CDN or proxy in front may
# hold one (Cache-Control s-maxage).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60 * 60 * 24)
SHARED_CACHE_SECONDS = env_int("SHARED_CACHE_SECONDS", 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface speaks Simplified Chinese and English. The reader's site puts a language in
# its URLs (/issues/3/ in LANGUAGE_CODE, /en/issues/3/ in English); see
# archive.publishing.languages.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["newsletter.formats"]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TAGGIT_CASE_INSENSITIVE = True

SITE_NAME = env_str("SITE_NAME", "Link Weekly")

# The site's own address (https://news.example.com): absolute addresses on pages, in feeds,
# sitemaps and the API are made on it, whatever host a request named. Empty: the request's.
SITE_URL = env_str("SITE_URL").strip().rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^/\s?#]+", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL must be a scheme and a host, like https://news.example.com, not {SITE_URL!r}."
    )

# Readers may suggest links for the inbox at /suggest/ (off unless switched on).
SUGGESTIONS_ENABLED = env_bool("SUGGESTIONS_ENABLED", False)
SUGGESTIONS_PER_HOUR = env_int("SUGGESTIONS_PER_HOUR", 5)

# Days an editor's bookmarklet key works before the bookmarklet page makes a new one.
BOOKMARKLET_KEY_DAYS = env_int("BOOKMARKLET_KEY_DAYS", 90)

# The public API (/api/v1/): requests a minute from one address for anonymous clients, and
# how many proxies in front of the site append to X-Forwarded-For (0: trust none of it).
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120)
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# Requests the site makes itself (archive.ingest.outbound): seconds, bytes read at most, and how it
# names itself. OUTBOUND_ALLOW_LOOPBACK=1 (read at each request) allows 127.0.0.0/8 for tests.
OUTBOUND_TIMEOUT = env_int("OUTBOUND_TIMEOUT", 5)
OUTBOUND_MAX_BYTES = env_int("OUTBOUND_MAX_BYTES", 1_000_000)
OUTBOUND_USER_AGENT = env_str(
    "OUTBOUND_USER_AGENT", f"Mozilla/5.0 (compatible; {SITE_NAME.replace(' ', '')}/1.0)"
)

# The link checker (manage.py check_links). A link is "gone" after GONE_AFTER failed checks
# in a row spanning at least GONE_DAYS days; one bad day never kills it.
LINKCHECK_GONE_AFTER = env_int("LINKCHECK_GONE_AFTER", 3)
LINKCHECK_GONE_DAYS = env_float("LINKCHECK_GONE_DAYS", 2)
LINKCHECK_CONCURRENCY = env_int("LINKCHECK_CONCURRENCY", 8)  # requests at once, overall
LINKCHECK_HOST_DELAY = env_float("LINKCHECK_HOST_DELAY", 1.0)  # seconds between one host's
WAYBACK_AVAILABILITY_URL = env_str(
    "WAYBACK_AVAILABILITY_URL", "https://archive.org/wayback/available"
)

# Query parameters removed from every URL on its way in, besides the known trackers
# (archive.ingest.urlnorm): comma-separated names.
EXTRA_TRACKING_PARAMETERS = env_list("EXTRA_TRACKING_PARAMETERS")

# Security. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response, the admin's and the API's docs page
# too: scripts and styles from this site's own files only (no inline script or style, no
# eval), images also from elsewhere (annotations show them), nothing framed, no plugins, forms
# posted here only. CSP_REPORT_URI sends browsers' reports of what it blocked.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "https:", "http:", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env_str("CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env_str("CSP_REPORT_URI")]

# Email. Messages go out through Django's email backends: SMTP from EMAIL_URL
# (smtp://user:password@host:587 with STARTTLS, smtps://… for TLS from the start,
# console:// to print them), or a provider through django-anymail: EMAIL_BACKEND=
# anymail.backends.postmark.EmailBackend (amazon_ses, mailgun, …) with its ANYMAIL_* keys.
EMAIL_URL = env_str("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
_email = urlsplit(EMAIL_URL)
if _email.scheme == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _email.scheme in ("smtp", "smtps"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = unquote(_email.hostname or "localhost")
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = not EMAIL_USE_SSL and EMAIL_PORT == 587
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with smtp://, smtps:// or console://, not {EMAIL_URL!r}."
    )
EMAIL_BACKEND = env_str("EMAIL_BACKEND", EMAIL_BACKEND)
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}
# Who the newsletter comes from, and where a reader's "unsubscribe" email goes (the
# List-Unsubscribe mailto: address; empty: NEWSLETTER_FROM's address).
NEWSLETTER_FROM = env_str("NEWSLETTER_FROM", f"{SITE_NAME} <newsletter@localhost>")
NEWSLETTER_UNSUBSCRIBE_MAILTO = env_str("NEWSLETTER_UNSUBSCRIBE_MAILTO")
DEFAULT_FROM_EMAIL = SERVER_EMAIL = NEWSLETTER_FROM
# Subscribing: days a confirmation link works, and confirmations one client address (and one
# email address) may ask for in an hour.
SUBSCRIBE_CONFIRM_DAYS = env_int("SUBSCRIBE_CONFIRM_DAYS", 7)
SUBSCRIBE_PER_HOUR = env_int("SUBSCRIBE_PER_HOUR", 5)
# Sending: messages a second at most, over every worker (0: as fast as they go), hard
# bounces that mark a subscriber bounced, tries before a delivery fails, and seconds after
# which a delivery a worker claimed but never finished (the worker died) is tried again.
EMAIL_SEND_RATE = env_float("EMAIL_SEND_RATE", 0)
BOUNCES_BEFORE_BOUNCED = env_int("BOUNCES_BEFORE_BOUNCED", 3)
DELIVERY_ATTEMPTS = env_int("DELIVERY_ATTEMPTS", 5)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 300)
DELIVERY_RETRY_SECONDS = env_int("DELIVERY_RETRY_SECONDS", 60)  # the first retry's wait

# Days what editors delete stays in the trash (manage.py empty_trash removes what is older).
TRASH_DAYS = env_int("TRASH_DAYS", 30)

# Background work (sending email) runs on a task queue kept in the database (django-tasks):
# `manage.py db_worker` is its worker, as many of them as you like.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
