"""Real ASGI server processes for the tests that need one: uvicorn, as `make run` starts it, on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.conf import settings

# The generic helpers live with the benchmark, which starts the same server outside the tests.
from bench.server import free_port, wait_until_healthy

ROOT = Path(settings.BASE_DIR)
# Settings a test server must not inherit from the test run unless the test passes them on purpose.
RUN_ONLY = ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY")


def server_env(**overrides: str) -> dict[str, str]:
    """The test run's environment without its database, Redis and debug settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k not in RUN_ONLY}
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `manage.py` with `env` (migrations, setup scripts) and return its captured output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def uvicorn_servers(
    env: dict[str, str], count: int = 1, *, log: IO[str] | None = None
) -> Iterator[list[str]]:
    """Start `count` uvicorn processes with `env`, each on its own port; yield their base URLs."""
    processes, bases = [], []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "learnify.asgi:application",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--lifespan",
                        "off",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log or subprocess.DEVNULL,
                    stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            wait_until_healthy(base)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
