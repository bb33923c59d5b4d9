"""The websocket carries subscriptions; a query or mutation sent over it gets a clear error, never a crash."""

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from learnify.accounts.tokens import issue_token_pair
from learnify.core.models import AuditLog
from learnify.routing import api_websocket_urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
application = URLRouter(api_websocket_urlpatterns)


@database_sync_to_async
def _teacher_token():
    teacher = factories.TeacherProfileFactory()
    factories.ClassroomFactory(teachers=[teacher])
    return issue_token_pair(teacher.user).access


async def _signed_in():
    communicator = WebsocketCommunicator(
        application, "/api/graphql/", subprotocols=["graphql-transport-ws"]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to(
        {"type": "connection_init", "payload": {"authToken": await _teacher_token()}}
    )
    assert (await communicator.receive_json_from(timeout=5))["type"] == "connection_ack"
    return communicator


@pytest.mark.parametrize(
    "query",
    [
        "{ me { id } }",
        'mutation { login(username: "nobody", password: "wrong") { token } }',
    ],
)
async def test_a_query_or_mutation_over_the_socket_is_refused_with_a_code(query):
    communicator = await _signed_in()
    audit_before = await database_sync_to_async(AuditLog.objects.count)()

    await communicator.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": query}})
    reply = await communicator.receive_json_from(timeout=5)

    errors = reply["payload"] if reply["type"] == "error" else reply["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
    assert "over HTTP" in errors[0]["message"]
    assert await database_sync_to_async(AuditLog.objects.count)() == audit_before
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5))["type"] in {"complete", "pong"}
    await communicator.disconnect()
