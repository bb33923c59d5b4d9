"""Django settings for Learnify.

This is the one module that reads the environment. With nothing set it runs on embedded defaults (SQLite,
local-memory cache, in-memory channel layer, DEBUG on); `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL
and Redis, which is what production and CI use.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-learnify-dev-only-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=False Learnify refuses to start without a secret key: "
            "set SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]
# How many reverse proxies of ours append to X-Forwarded-For; 0 means the header is ignored (never trusted
# from clients, so a spoofed header cannot reset a rate-limit counter).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# GraphiQL and introspection: always in DEBUG, in production only when asked for.
GRAPHIQL = env_bool("GRAPHIQL", False)
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "channels",
    "django_htmx",
    "template_partials",
    "strawberry_django",
    "learnify.core",
    "learnify.accounts",
    "learnify.lessons",
    "learnify.quizzes",
    "learnify.progress",
    "learnify.ai",
    "portal",
    "learnify.demo",
]

MIDDLEWARE = [
    "learnify.core.middleware.RequestIdMiddleware",
    "learnify.monitoring.RequestMetricsMiddleware",
    "learnify.core.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "learnify.accounts.middleware.TokenAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "learnify.urls"
WSGI_APPLICATION = "learnify.wsgi.application"
ASGI_APPLICATION = "learnify.asgi.application"

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
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or anything dj-database-url reads) from DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _default_db = dj_database_url.parse(DATABASE_URL)
else:
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
    }
if _default_db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections leak under ASGI (each request may run in a new thread), so connections are not
    # kept per thread (CONN_MAX_AGE=0) but borrowed from psycopg's pool, with a health check on reuse
    # (CONN_HEALTH_CHECKS makes Django pass check=ConnectionPool.check_connection to the pool).
    _default_db["CONN_MAX_AGE"] = 0
    _default_db["CONN_HEALTH_CHECKS"] = True
    _default_db.setdefault("OPTIONS", {})
    _default_db["OPTIONS"]["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
        # A request waiting for a connection gives up quickly rather than hanging a worker.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
        # While the database is down the pool retries with exponential backoff until this deadline; left at
        # psycopg's 5 minutes, the next attempt could be minutes away when the database came back. A short
        # deadline ends the attempt and the next request starts a new one at once.
        "reconnect_timeout": float(os.environ.get("DB_POOL_RECONNECT_TIMEOUT", "3")),
    }
    _default_db["OPTIONS"].setdefault("connect_timeout", 3)
elif _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the ASGI server's threads read while another writes.
    _default_db.setdefault("OPTIONS", {})
    _default_db["OPTIONS"].setdefault("timeout", 20)
    _default_db["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    _default_db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache and channel layer when REDIS_URL is set; in-process layers otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "learnify",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "learnify.core.channel_layer.QuietSafeRedisChannelLayer",
            "CONFIG": {
                # No redis-py `retry` here: it made the websocket tests hang; a new subscription retries its
                # group join itself (api/subscriptions.py).
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 1, "socket_timeout": 2}],
                "prefix": "learnify",
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Accounts imported from the seed design were hashed with bcrypt; they still sign in and are upgraded.
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "learnify.accounts.validators.StaffMinimumLengthValidator"},
]
LOGIN_URL = "/portal/login/"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/portal/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "Arabic")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Largest upload per kind of lesson media, in bytes.
MEDIA_MAX_BYTES = {
    "image": int(os.environ.get("MEDIA_MAX_IMAGE_BYTES", str(5 * 1024 * 1024))),
    "audio": int(os.environ.get("MEDIA_MAX_AUDIO_BYTES", str(20 * 1024 * 1024))),
    "video": int(os.environ.get("MEDIA_MAX_VIDEO_BYTES", str(200 * 1024 * 1024))),
}
# The ASGI app serves /static/ itself unless a proxy in front does (SERVE_STATIC=false).
SERVE_STATIC = env_bool("SERVE_STATIC", True)

# The recommender's trained models live outside media/: they are code-like artefacts, never user uploads.
ML_MODEL_DIR = Path(os.environ.get("ML_MODEL_DIR", BASE_DIR / "var" / "models"))
# A web process looks up which model is active at most this often (a newly trained model needs no restart).
ML_MODEL_CHECK_SECONDS = int(os.environ.get("ML_MODEL_CHECK_SECONDS", "60"))
# Below this many answers a child is served by the rules: the model knows too little about them.
RECOMMENDER_MIN_ANSWERS = int(os.environ.get("RECOMMENDER_MIN_ANSWERS", "20"))
# Lessons the model scores per refresh at most, so a submit costs the same whatever the size of the curriculum.
RECOMMENDER_MAX_CANDIDATES = int(os.environ.get("RECOMMENDER_MAX_CANDIDATES", "60"))
# Threads per process that refresh a child's recommendations after a quiz attempt commits, off the request
# (learnify/ai/refresh.py). 0 refreshes inside the attempt's own transaction instead, as the tests and the demo
# replay do: slower answers, but the mutation returns the refreshed set.
RECOMMENDATION_REFRESH_THREADS = int(os.environ.get("RECOMMENDATION_REFRESH_THREADS", "1"))
ML_DB_USER = os.environ.get("ML_DB_USER", "ml_user")
ML_DB_PASSWORD = os.environ.get("ML_DB_PASSWORD", "")

# JSON Web Tokens for the apps (PyJWT, HS256 only). A separate key can be rotated without logging out sessions.
JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY", "") or SECRET_KEY
JWT_ISSUER = "learnify"
JWT_AUDIENCE = "learnify-apps"
ACCESS_TOKEN_LIFETIME_SECONDS = int(os.environ.get("ACCESS_TOKEN_LIFETIME_SECONDS", str(15 * 60)))
REFRESH_TOKEN_LIFETIME_SECONDS = int(
    os.environ.get("REFRESH_TOKEN_LIFETIME_SECONDS", str(30 * 24 * 60 * 60))
)

# /metrics for Prometheus: scrapers send "Authorization: Bearer <METRICS_TOKEN>"; unset, only loopback may read.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Archived children are erased this many days after archiving (manage.py purge_expired, run daily).
CHILD_RETENTION_DAYS = int(os.environ.get("CHILD_RETENTION_DAYS", "365"))

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "learnify-demo")

# Scripts only from our own origin: htmx and the chart code are vendored under static/, nothing inline.
CONTENT_SECURITY_POLICY = {
    # The Django admin keeps Django's own inline styles; the API answers JSON.
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Production: HTTPS everywhere. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER=true so Django
# trusts its X-Forwarded-Proto (only then: a client could send the header itself).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "learnify.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,  # children's data never leaves for a third party
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        environment=os.environ.get(
            "SENTRY_ENVIRONMENT", "production" if not DEBUG else "development"
        ),
    )
