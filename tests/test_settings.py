import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_SETTINGS = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}


def _run_with_settings(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Set Django up in a fresh interpreter with only `env` of our settings variables, then run `code`."""
    clean = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_SETTINGS}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings as s; {code}",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "learnify.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = _run_with_settings({"DEBUG": "False"}, "print('started')")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "started" not in result.stdout


def test_production_settings_start_with_secret_key():
    result = _run_with_settings(
        {"DEBUG": "False", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "learnify.example"},
        "print('started')",
    )

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_default_settings_use_embedded_parts():
    result = _run_with_settings(
        {},
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CHANNEL_LAYERS['default']['BACKEND'], s.DEBUG)",
    )

    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "channels.layers.InMemoryChannelLayer",
        "True",
    ]


def test_urls_switch_to_postgresql_pool_and_redis():
    result = _run_with_settings(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/learnify",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        "d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], 'pool' in d['OPTIONS'], "
        "s.CACHES['default']['BACKEND'], s.CHANNEL_LAYERS['default']['BACKEND'])",
    )

    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "0",
        "True",
        "True",
        "django_redis.cache.RedisCache",
        "learnify.core.channel_layer.QuietSafeRedisChannelLayer",
    ]


def test_production_settings_pass_the_deploy_check_with_no_warning():
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_SETTINGS}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "learnify.settings",
            "DEBUG": "False",
            "SECRET_KEY": "k" * 20 + "Zq8!xW2#pL5@vN9$rT4%yU7^mB3&cD6*" + "j" * 20,
            "ALLOWED_HOSTS": "learnify.example",
            "CORS_ALLOWED_ORIGINS": "https://app.learnify.example",
        }
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_secure_cookies_hsts_and_https():
    result = _run_with_settings(
        {
            "DEBUG": "False",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "a",
            "SECURE_PROXY_SSL_HEADER": "true",
        },
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, "
        "s.SECURE_PROXY_SSL_HEADER[0], s.X_FRAME_OPTIONS)",
    )

    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "HTTP_X_FORWARDED_PROTO",
        "DENY",
    ]


def test_cors_answers_only_the_allowed_origins(client, settings, db):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.learnify.example"]
    preflight = {
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type",
    }

    allowed = client.options(
        "/api/graphql/", HTTP_ORIGIN="https://app.learnify.example", **preflight
    )
    other = client.options("/api/graphql/", HTTP_ORIGIN="https://evil.example", **preflight)

    assert allowed["Access-Control-Allow-Origin"] == "https://app.learnify.example"
    assert "authorization" in allowed["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Origin" not in other
