"""Real ASGI server processes for the tests that need one: uvicorn, as `make run` starts it, on a free port."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings

# The generic helpers live with the benchmark, which starts the same server outside the tests.
from bench.server import free_port, uvicorn_command, wait_until_healthy

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
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        # The command's own output says why; a bare CalledProcessError would not.
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr[-4000:]}")
    return done


class UvicornServer:
    """One uvicorn process serving `learnify.asgi:application` on a fixed free port; a test may kill it and
    start it again on the same port (a crash and a restart, as a process supervisor would do)."""

    def __init__(
        self, env: dict[str, str], *, workers: int = 1, log: IO[str] | None = None
    ) -> None:
        self.env = env
        self.workers = workers
        self.log = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> None:
        self.process = subprocess.Popen(
            uvicorn_command(self.port, workers=self.workers),
            cwd=ROOT,
            env=self.env,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
        )
        if wait:
            wait_until_healthy(self.base)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback by the server itself; open transactions die with the socket."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=20)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
            self.process = None


@contextmanager
def uvicorn_servers(
    env: dict[str, str], count: int = 1, *, log: IO[str] | None = None
) -> Iterator[list[str]]:
    """Start `count` uvicorn processes with `env`, each on its own port; yield their base URLs."""
    servers = [UvicornServer(env, log=log) for _ in range(count)]
    try:
        for server in servers:
            server.start(wait=False)
        for server in servers:
            wait_until_healthy(server.base)
        yield [server.base for server in servers]
    finally:
        for server in servers:
            server.stop()


def _pg_bin() -> Path | None:
    """The newest PostgreSQL server binaries Debian installed, or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
    )
    return candidates[-1].parent if candidates else None


def private_servers_missing() -> str | None:
    """Why a private PostgreSQL and Redis cannot be started here, or None when they can."""
    if _pg_bin() is None:
        return "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/pg_ctl) are not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL refuses to run as root"
    return None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free loopback port that a test may stop and start at will.

    Trust authentication, no fsync: it lives for one test session in a temporary directory. As root, the
    cluster runs as the `postgres` OS user (PostgreSQL refuses root).
    """

    def __init__(self, directory: Path) -> None:
        self.bin = _pg_bin()
        assert self.bin is not None
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(directory, user="postgres", group="postgres")
            # The postgres user must be able to walk down to it (temporary directories are 0700 for root).
            for parent in directory.parents:
                if parent == Path(tempfile.gettempdir()):
                    break
                parent.chmod(parent.stat().st_mode | 0o711)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, cwd=self.directory
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster; `fast` ends every session (clients see their connections dropped)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


class PrivateRedis:
    """A Redis without persistence on a free loopback port that a test may stop and start at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


# What a teacher's screen follows: the attempts and progress of one classroom's children.
SUBSCRIBE = "subscription($c: ID!) { progressEvents(classroomId: $c) { kind score child { id } } }"


async def open_subscription(base: str, token: str, classroom_id: int) -> Any:
    """A graphql-transport-ws socket subscribed to the classroom's progress events."""
    import websockets

    ws = await websockets.connect(
        base.replace("http://", "ws://") + "/api/graphql/", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"c": str(classroom_id)}},
            }
        )
    )
    await asyncio.sleep(1)  # the subscription joins its channel group on the server
    return ws
