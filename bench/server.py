"""Start and stop the real server for the load: uvicorn with several workers, as production runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(base: str, *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/api/health/", timeout=3)  # noqa: S310 - loopback only
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def uvicorn_command(port: int, *, workers: int = 1) -> list[str]:
    """uvicorn serving `learnify.asgi:application` on a loopback port, as `make run` starts it."""
    command = [sys.executable, "-m", "uvicorn", "learnify.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"]
    if workers > 1:
        command += ["--workers", str(workers)]
    return command


@contextmanager
def uvicorn_server(*, workers: int = 2, log: IO[str] | None = None) -> Iterator[tuple[str, int]]:
    """Run `uvicorn learnify.asgi:application` on bench settings on a free loopback port; yield host, port."""
    port = free_port()
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    # As the image runs it: the workers keep their Prometheus counts in files of a fresh directory.
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as metrics_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [*uvicorn_command(port, workers=workers), "--no-access-log"],
            cwd=ROOT,
            env=env,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}")
            yield "127.0.0.1", port
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
