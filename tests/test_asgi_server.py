"""The real ASGI server, as `make run` starts it, serves health, the admin and the API's websocket."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY")
    }
    env.update({"SQLITE_PATH": str(tmp / "db.sqlite3"), "MEDIA_ROOT": str(tmp / "media")})
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    port = _free_port()
    process = subprocess.Popen(
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/api/health/", timeout=2)  # noqa: S310 - loopback only
            break
        except OSError:
            time.sleep(0.3)
    yield base
    process.terminate()
    process.wait(timeout=20)


def test_server_answers_health_with_200(server):
    with urllib.request.urlopen(server + "/api/health/", timeout=10) as response:  # noqa: S310
        body = json.loads(response.read())

    assert response.status == 200
    assert body["status"] == "ok"


def test_server_shows_the_admin_login_page_with_its_styles(server):
    with urllib.request.urlopen(server + "/admin/login/", timeout=10) as response:  # noqa: S310
        page = response.read().decode()
    with urllib.request.urlopen(server + "/static/admin/css/base.css", timeout=10) as css:  # noqa: S310
        stylesheet = css.read()

    assert response.status == 200
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert len(stylesheet) > 1000


async def test_server_accepts_the_api_websocket_and_refuses_it_without_a_token(server):
    import websockets

    url = server.replace("http://", "ws://") + "/api/graphql/"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd.code == 4403
