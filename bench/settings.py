"""Settings for the benchmark: production settings, pointed at a database and Redis db of its own.

The environment is overwritten (not defaulted) before `learnify.settings` reads it, so a `DATABASE_URL` or
`REDIS_URL` exported for development can never make the generator truncate another database.
"""

from __future__ import annotations

import os

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/learnify_bench"
)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ["REDIS_URL"] = BENCH_REDIS_URL
# Measured as production runs: DEBUG off (no query log kept per request), no HTTPS redirect on loopback.
os.environ["DEBUG"] = os.environ.get("BENCH_DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "learnify-bench-only-not-a-secret-0123456789abcdefghijklmnop")
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# A full run takes longer than an access token's 15 minutes; the runner issues tokens once.
os.environ.setdefault("ACCESS_TOKEN_LIFETIME_SECONDS", str(6 * 3600))

from learnify.settings import *  # noqa: E402, F403
from learnify.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
