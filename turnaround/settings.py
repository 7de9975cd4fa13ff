"""Settings, read from the environment (see README.md, "Configuration").

With nothing set the portal runs on a SQLite file in the project and runs Celery tasks in-process.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # DEBUG off is production: never sign sessions, tokens' cookies or password resets with a
        # key anyone can read in this file.
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off (production) the portal refuses to start without "
            "it: set the SECRET_KEY environment variable to a long random string, the same for the "
            "web, worker and beat processes (docs/operations.md, Security). For local development "
            "set DEBUG=true instead (make run does)."
        )
    # A development key, only ever with DEBUG on.
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise environ.ImproperlyConfigured(
        "SECRET_KEY is the published development key: set the SECRET_KEY environment variable to a "
        "long random string of your own."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind a proxy (docs/operations.md, "Security"). TLS ends at the proxy, which tells the portal
# that the client's request came over HTTPS in the header SECURE_PROXY_SSL_HEADER names (default
# X-Forwarded-Proto: https); it must set that header itself, overwriting any the client sent.
# Empty: no proxy header is trusted.
# NUM_PROXIES is how many proxies stand in front of the portal, each appending the address it
# received the request from to X-Forwarded-For: the client's address is the one that many entries
# from the right. 0 (the default): the connection's own address, and X-Forwarded-For is ignored.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
PROXY_SSL_HEADER_NAME = env("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "csp",
    # Login throttling (turnaround/login_throttle.py); last in MIDDLEWARE, first in the backends.
    "axes",
    "turnaround",
    "schools",
    "partners",
    "contracts",
    "indicators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "turnaround.urls"

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
                "turnaround.context_processors.role",
            ],
        },
    },
]

WSGI_APPLICATION = "turnaround.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves requests in several threads at once (runserver, the tests' live
    # server): each thread has a connection of its own to the file, reads never wait for a write
    # (WAL), and a transaction takes the write lock when it begins and waits up to 30 s for it,
    # instead of failing with "database is locked" when a read turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The tests' database is a file too: an in-memory one would be one connection shared by the
    # live server's threads, which deadlock in it. One file per test run (removed when it ends), so
    # that two runs side by side do not share one.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"turnaround-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# models.W040: SQLite ignores an index's INCLUDE columns; the index still works there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes, turnaround/login_throttle.py): a username is locked from one
# client address after LOGIN_FAILURE_LIMIT failures in a row, for LOGIN_LOCKOUT_MINUTES after the
# last of them; unlocked early in the admin. The address follows NUM_PROXIES, as the API's throttles.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "turnaround.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "turnaround.login_throttle.locked_out"
# Successful sign-ins are not kept by axes: the portal's security log records them.
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from the npm registry (package.json); `npm ci` puts them in node_modules
# and they are served from there, never from a CDN and never copied into the repository.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env("STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The REST API (turnaround/api/, README "REST API"). Tokens first, so that a request without
# credentials answers 401 with a WWW-Authenticate header; the browser's session works too.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "turnaround.api.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "turnaround.api.pagination.Pagination",
    # JSON in and out; the interactive docs are at /api/docs/.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Per user, across all their tokens and their session; per address for token requests.
        "user": env("API_USER_RATE", default="3600/hour"),
        "token": env("API_TOKEN_RATE", default="30/hour"),
    },
    "EXCEPTION_HANDLER": "turnaround.api.base.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles key on the client's address as NUM_PROXIES says (never on a client-chosen header).
    "NUM_PROXIES": NUM_PROXIES,
}
# API tokens: several per user (one per client system), stored as digests, each with an expiry;
# created and revoked on the profile page or through POST /api/v1/auth/token/.
KNOX_TOKEN_MODEL = "turnaround.ApiToken"
# knox's own migrations create its default token table even when the model is swapped; that table
# would stay empty, and hold a foreign key to users that test flushes trip over. Ours replaces it.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=30)),
    "TOKEN_LIMIT_PER_USER": 20,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lead Partner turnaround portal API",
    "DESCRIPTION": (
        "Contracts, their indicator statuses, schools, partners, targets, measurements and field "
        "visits, each scoped to what the user may see: anything outside it answers 404. "
        "Authenticate with `Authorization: Token <token>` (get one at POST /api/v1/auth/token/ or "
        "on your profile page) or with the browser's session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "partners.models.OrganizationKind",
        "IndicatorKindEnum": "indicators.models.IndicatorKind",
        "GradeEnum": "schools.models.GRADES",
        "LifecycleStatusEnum": "contracts.models.LifecycleStatus",
        "PhaseEnum": "contracts.models.Phase",
        "PerformanceStatusEnum": "indicators.models.PerformanceStatus",
        "IndicatorStatusEnum": "indicators.models.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "turnaround.api.schema.add_error_responses",
    ],
    # The interactive docs' assets come from the drf-spectacular-sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery. No broker URL means no services: tasks run in-process (eagerly) in the web process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# Redis redelivers a task not acknowledged within this time; tasks are far shorter.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    # Every status is recomputed each night, so that phases and pro-rated targets follow the date
    # even where no data changed.
    "recompute-indicators-nightly": {
        "task": "indicators.recompute_all",
        "schedule": crontab(hour=env.int("RECOMPUTE_HOUR", default=2), minute=30),
    },
    # Weeks without any field visit read 0% presence: the nightly refresh writes them (before the
    # recompute, which then picks them up).
    "refresh-field-presence-nightly": {
        "task": "partners.refresh_recent_presence",
        "schedule": crontab(hour=env.int("RECOMPUTE_HOUR", default=2), minute=10),
    },
    # The security log's retention rule (turnaround/security.py).
    "prune-security-log-nightly": {
        "task": "turnaround.prune_security_log",
        "schedule": crontab(hour=env.int("RECOMPUTE_HOUR", default=2), minute=5),
    },
}
# How long the security log keeps its entries (days); the audit trail (change histories) is kept
# for good (docs/operations.md, "What the portal logs").
SECURITY_LOG_RETENTION_DAYS = env.int("SECURITY_LOG_RETENTION_DAYS", default=730)
# The change histories are read-only: the admin's history view shows them, never reverts.
SIMPLE_HISTORY_REVERT_DISABLED = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("REDIS_CACHE_URL", default=""):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_CACHE_URL"),
    }

# Production (DEBUG off) is served over HTTPS only, with TLS at a proxy (see NUM_PROXIES above).
SESSION_COOKIE_HTTPONLY = True
# The pages send the CSRF token from the page itself (base.html), never read from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = True
    if PROXY_SSL_HEADER_NAME:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER_NAME.upper().replace("-", "_"), "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A year of HSTS: once a browser has seen the portal over HTTPS it never tries plain HTTP again.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # In-process (eager) tasks would log every run into the output of management commands.
    "loggers": {
        "celery.app.trace": {"level": "WARNING"},
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs its start and every sign-in at INFO; failures and lock-outs at WARNING.
        "axes": {"level": "WARNING"},
    },
}

# --- Content Security Policy (django-csp; docs/operations.md, "Content Security Policy") ---------
# Every page may load scripts, styles, fonts and data only from the portal itself: no inline
# script or style (the templates carry none; htmx is told not to eval or inject its own styles by
# the htmx-config meta tag in base.html), no eval, no plugins, no framing, no form posted elsewhere.
# `data:` images: Bootstrap's and Swagger UI's CSS draw small icons as SVG data URIs.
# CSP_REPORT_URI: where browsers send a report of each violation (a collector of the district's).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env("CSP_REPORT_URI")]
# --- end of Content Security Policy ---------------------------------------------------------------
