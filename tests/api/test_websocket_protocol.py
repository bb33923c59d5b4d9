"""The websocket follows graphql-transport-ws strictly and closes sockets whose sign-in ends."""

import asyncio
import time

import jwt
import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings

import api.views
from learnify.accounts.models import RefreshToken
from learnify.accounts.tokens import issue_token_pair, revoke_all_tokens
from learnify.routing import api_websocket_urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
application = URLRouter(api_websocket_urlpatterns)
SUBSCRIBE = {"query": "subscription { progressEvents { kind } }"}


async def _open():
    communicator = WebsocketCommunicator(
        application, "/api/graphql/", subprotocols=["graphql-transport-ws"]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _closed_code(communicator, seconds=8):
    message = await communicator.receive_output(timeout=seconds)
    while message["type"] != "websocket.close":
        message = await communicator.receive_output(timeout=seconds)
    # As a real server does after the close frame: tell the consumer the socket is gone, so it stops
    # listening on the channel layer rather than being cancelled mid-read when the test's loop closes.
    await communicator.send_input({"type": "websocket.disconnect", "code": message["code"]})
    await communicator.wait(timeout=10)
    return message["code"]


@database_sync_to_async
def _teacher_token(**claims):
    teacher = factories.TeacherProfileFactory()
    factories.ClassroomFactory(teachers=[teacher])
    pair = issue_token_pair(teacher.user)
    if not claims:
        return teacher, pair.access
    payload = jwt.decode(pair.access, options={"verify_signature": False})
    payload.update(claims)
    return teacher, jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm="HS256")


async def test_no_connection_init_within_the_timeout_closes_4408(monkeypatch):
    import datetime

    monkeypatch.setattr(api.views, "CONNECTION_INIT_TIMEOUT", datetime.timedelta(seconds=1))
    communicator = await _open()

    assert await _closed_code(communicator) == 4408


async def test_subscribe_before_ack_closes_4401():
    communicator = await _open()
    await communicator.send_json_to({"id": "1", "type": "subscribe", "payload": SUBSCRIBE})

    assert await _closed_code(communicator) == 4401


async def test_junk_frame_closes_4400():
    _, token = await _teacher_token()
    communicator = await _open()
    await communicator.send_json_to({"type": "connection_init", "payload": {"authToken": token}})
    await communicator.receive_json_from(timeout=5)
    await communicator.send_to(text_data="this is not json")

    assert await _closed_code(communicator) == 4400


async def test_duplicate_subscription_ids_close_4409():
    _, token = await _teacher_token()
    communicator = await _open()
    await communicator.send_json_to({"type": "connection_init", "payload": {"authToken": token}})
    await communicator.receive_json_from(timeout=5)
    for _ in range(2):
        await communicator.send_json_to({"id": "same", "type": "subscribe", "payload": SUBSCRIBE})

    assert await _closed_code(communicator) == 4409


async def test_expired_token_in_connection_init_is_refused_4403():
    _, token = await _teacher_token(exp=int(time.time()) - 60)
    communicator = await _open()
    await communicator.send_json_to({"type": "connection_init", "payload": {"authToken": token}})

    assert await _closed_code(communicator) == 4403


async def test_socket_closes_when_its_token_expires():
    _, token = await _teacher_token(exp=int(time.time()) + 2)
    communicator = await _open()
    await communicator.send_json_to({"type": "connection_init", "payload": {"authToken": token}})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "connection_ack"

    assert await _closed_code(communicator, seconds=10) == 4401


async def test_socket_closes_soon_after_the_token_is_revoked(monkeypatch):
    monkeypatch.setattr(api.views, "REVOCATION_CHECK_SECONDS", 0.5)
    teacher, token = await _teacher_token()
    communicator = await _open()
    await communicator.send_json_to({"type": "connection_init", "payload": {"authToken": token}})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "connection_ack"
    await asyncio.sleep(0.1)

    await database_sync_to_async(revoke_all_tokens)(
        teacher.user, reason=RefreshToken.RevokedReason.PASSWORD_CHANGED
    )

    assert await _closed_code(communicator, seconds=10) == 4401


async def test_too_many_subscriptions_on_one_socket_are_refused():
    _, token = await _teacher_token()
    communicator = await _open()
    await communicator.send_json_to({"type": "connection_init", "payload": {"authToken": token}})
    await communicator.receive_json_from(timeout=5)
    for n in range(api.views.MAX_SUBSCRIPTIONS_PER_CONNECTION + 1):
        await communicator.send_json_to({"id": f"s{n}", "type": "subscribe", "payload": SUBSCRIBE})

    message = await communicator.receive_json_from(timeout=5)

    # The extra subscription is refused with an error for its id; the socket and the others stay open.
    assert message["type"] == "error"
    assert message["id"] == f"s{api.views.MAX_SUBSCRIPTIONS_PER_CONNECTION}"
    assert message["payload"][0]["message"] == "Subscription limit reached"
