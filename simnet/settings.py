"""simnet settings. Everything that differs between machines comes from the environment.

Two modes: the embedded default (SQLite in WAL mode, django-q2's ORM broker, in-memory
channel layer, console email) runs on one machine with no other server; setting
``DATABASE_URL`` and ``REDIS_URL`` switches the same code to PostgreSQL, Redis-backed
django-q2 and channels-redis. ``SIMNET_PRODUCTION=1`` turns on the deployment hardening
that ``manage.py check --deploy`` verifies.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from simnet.env import env_bool, env_float, env_int, env_list, env_map, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env_bool("SIMNET_PRODUCTION")
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when SIMNET_PRODUCTION=1")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
if PRODUCTION and "*" in ALLOWED_HOSTS:
    raise RuntimeError("ALLOWED_HOSTS must name real hosts in production, not '*'")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_q",
    "channels",
    "django_htmx",
    "template_partials",
    "csp",
    "simnet.tenancy",
    "simnet.api",
    "simnet.webhooks",
    "simnet.providers",
    "personas",
    "scraping",
    "simulations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simnet.tenancy.middleware.CurrentOrganizationMiddleware",
    "simnet.errors_middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "simnet.urls"
ASGI_APPLICATION = "simnet.asgi.application"

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
                "simnet.tenancy.context.organization",
            ],
        },
    }
]

# --- Database: SQLite (WAL, immediate transactions) unless DATABASE_URL says otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'simnet.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;"
        ),
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # A file, not :memory:, so worker subprocesses started by tests share the test database;
    # one per test process, so test runs side by side never share a file.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-simnet-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work (django-q2) and live updates (channels).
REDIS_URL = env_str("REDIS_URL")
Q_CLUSTER = {
    "name": "simnet",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 300),  # one step's task; must stay below "retry"
    "retry": env_int("Q_RETRY", 360),
    "max_attempts": 0,  # redelivery is harmless (idempotent steps); the watchdog also resumes runs
    # Tasks a cluster fetches ahead of its workers: few, so a step's shards spread over every machine.
    "queue_limit": env_int("Q_QUEUE_LIMIT", 1),
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 500,
    "poll": 0.2,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    Q_CLUSTER["orm"] = "default"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Shared between the web and worker processes (django-q2 keeps cluster liveness here).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "simnet_cache"}}

# --- Auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
INVITATION_TTL_HOURS = env_int("INVITATION_TTL_HOURS", 72)
# Failed sign-ins lock the account (per email) or the client address for LOGIN_LOCKOUT_SECONDS;
# failures count within the same window, in the cache (shared by every web process).
AUTHENTICATION_BACKENDS = ["simnet.tenancy.backends.ThrottledModelBackend"]
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
# /health/ shows its checks to staff and to monitors sending "Authorization: Bearer <HEALTH_TOKEN>".
HEALTH_TOKEN = env_str("HEALTH_TOKEN")

# --- Email
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "simnet <noreply@simnet.localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")

# --- Providers: keys for the platform's own accounts; organizations can add their own.
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
OPENAI_COMPAT_BASE_URL = env_str("OPENAI_COMPAT_BASE_URL")
OPENAI_COMPAT_API_KEY = env_str("OPENAI_COMPAT_API_KEY")
OPENAI_COMPAT_MODEL = env_str("OPENAI_COMPAT_MODEL")
# Key that encrypts customer secrets at rest (defaults to one derived from SECRET_KEY).
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")

# --- I18N / static
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Where collectstatic writes.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve static/ straight from the source tree in development
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 500 * 1024 * 1024)
# Request bodies, enforced in the ASGI layer before Django reads them (simnet/body_limits.py):
# import uploads may reach IMPORT_MAX_UPLOAD_BYTES, other URLs SIMNET_MAX_BODY_BYTES (scenario
# images), and callers without a valid session or API token SIMNET_ANONYMOUS_MAX_BODY_BYTES.
SIMNET_MAX_BODY_BYTES = env_int("SIMNET_MAX_BODY_BYTES", 25 * 1024 * 1024)
SIMNET_ANONYMOUS_MAX_BODY_BYTES = env_int("SIMNET_ANONYMOUS_MAX_BODY_BYTES", 64 * 1024)
# Import jobs: a dead worker's job resumes after its lease; a task hands over after its slice.
IMPORT_LEASE_SECONDS = env_int("IMPORT_LEASE_SECONDS", 120)
IMPORT_TASK_SLICE_SECONDS = env_float("IMPORT_TASK_SLICE_SECONDS", 120.0)
# {connector: base URL} for a self-hosted server, e.g. "bluesky=https://appview.example.org".
IMPORT_BASE_URLS = env_map("IMPORT_BASE_URLS")
# Field overrides of scraping.sources.HttpSettings and ImportCaps (tests shorten timeouts).
IMPORT_HTTP: dict = {}
IMPORT_CAPS: dict = {}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "simnet.tenancy.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["simnet.tenancy.permissions.IsOrganizationMember"],
    "DEFAULT_SCHEMA_CLASS": "simnet.api.schema.ApiAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "simnet.api.pagination.BoundedLimitOffsetPagination",
    "EXCEPTION_HANDLER": "simnet.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "simnet.api.throttling.OrganizationReadThrottle",
        "simnet.api.throttling.OrganizationWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "org_read": env_str("API_READ_RATE", "600/min"),
        "org_write": env_str("API_WRITE_RATE", "60/min"),
    },
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "simnet API",
    "DESCRIPTION": "Simulate how a community reacts to content. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "simnet.webhooks.models.WebhookEvent",
        "BacktestStatusEnum": "simulations.models.Backtest.Status",
        "DeliveryStatusEnum": "simnet.webhooks.models.Delivery.Status",
        "RunStatusEnum": "simulations.models.RunStatus",
        "ImportStatusEnum": "scraping.models.ImportJob.Status",
        "ProviderKindEnum": "simnet.providers.models.ProviderConfig.Kind",
        "PanelKindEnum": "personas.models.Panel.Kind",
        "HistoryKindEnum": "personas.models.HistoryKind",
        "PanelQuestionKindEnum": "simulations.models.PanelQuestion.Kind",
    },
}

# --- Security. Always-on headers; the rest hardens production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF, "ws:", "wss:"] if not PRODUCTION else [SELF, "wss:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "simnet.logging_filters.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers would print request paths (which can hold invitation secrets) unfiltered.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# Simulation limits per organization (overridable per organization in its settings).
SIMNET_DEFAULT_MONTHLY_BUDGET_USD = env_float("SIMNET_DEFAULT_MONTHLY_BUDGET_USD", 50.0)
SIMNET_MAX_CONCURRENT_RUNS = env_int("SIMNET_MAX_CONCURRENT_RUNS", 4)
SIMNET_EVENT_POLL_SECONDS = env_float("SIMNET_EVENT_POLL_SECONDS", 0.5)
SIMNET_LEASE_SECONDS = env_int("SIMNET_LEASE_SECONDS", 90)
# Test-only provider kinds, ``kind=dotted.path.to.factory``: how the reliability tests give worker
# processes a counting fake provider (tests/support/fake_provider.py). Refused in production.
SIMNET_TEST_PROVIDER_KINDS = env_map("SIMNET_TEST_PROVIDER_KINDS")
if PRODUCTION and SIMNET_TEST_PROVIDER_KINDS:
    raise RuntimeError("SIMNET_TEST_PROVIDER_KINDS is for tests; unset it when SIMNET_PRODUCTION=1")
# Agents asked per provider call batch within a step; the lease is renewed between batches.
SIMNET_AGENT_BATCH = env_int("SIMNET_AGENT_BATCH", 8)
# Turns a step's task decides itself; a larger step whose policy asks a model for every turn is
# cut into shards of this many turns that any worker takes (small enough to end within Q_TIMEOUT).
SIMNET_SHARD_TURNS = env_int("SIMNET_SHARD_TURNS", 64)
# A full world snapshot every this many steps (and at the end); forks replay the steps since.
SIMNET_SNAPSHOT_EVERY = env_int("SIMNET_SNAPSHOT_EVERY", 5)
# Seconds a step's task goes on taking the run's next steps (its world in memory, no queue round
# trip) before it queues the run again; 0 takes one step a task.
SIMNET_TASK_SLICE_S = env_float("SIMNET_TASK_SLICE_S", 10.0)
# Host names of the operator's own model servers (vLLM, llama.cpp server) on a private network:
# provider URLs on them are allowed although they do not resolve to public addresses.
SIMNET_MODEL_SERVER_HOSTS = env_list("SIMNET_MODEL_SERVER_HOSTS", [])
SIMNET_SSE_MAX_SECONDS = env_int("SIMNET_SSE_MAX_SECONDS", 900)
SIMNET_OFFLINE_CACHE_MB = env_int("SIMNET_OFFLINE_CACHE_MB", 2048)
