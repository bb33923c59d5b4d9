"""The real ASGI server, as `make run` starts it, serves health, the admin and the API's websocket."""

import json
import urllib.request

import pytest

from tests.servers import manage, server_env, uvicorn_servers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    env = server_env(SQLITE_PATH=str(tmp / "db.sqlite3"), MEDIA_ROOT=str(tmp / "media"))
    manage(env, "migrate", "--noinput", "-v0")
    with uvicorn_servers(env) as (base,):
        yield base


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
