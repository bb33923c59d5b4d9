"""Every subscription of the schema, opened over the websocket by each role.

The subscriptions are enumerated from the schema, like the queries and mutations of test_operations_by_role;
a new one without a row here fails the suite, named. Allowed roles must receive the event a quiz of the child
causes; refused roles get the error code; an anonymous socket is closed before it can subscribe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from api.schema import schema
from learnify.accounts.tokens import issue_token_pair
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from learnify.routing import api_websocket_urlpatterns
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.security]

application = URLRouter(api_websocket_urlpatterns)
ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]
RECEIVES, CLOSED, NOTFOUND = "receives", "closed", "NOT_FOUND"


@dataclass(frozen=True)
class SubscriptionCase:
    query: str
    expect: dict[str, str]


CASES = {
    "progressEvents": SubscriptionCase(
        "subscription($c: ID!) { progressEvents(childId: $c) { kind child { id } } }",
        {
            "anonymous": CLOSED,
            "child": RECEIVES,
            "other_child": NOTFOUND,
            "teacher": RECEIVES,
            "other_teacher": NOTFOUND,
            "admin": RECEIVES,
        },
    ),
    "recommendationsUpdated": SubscriptionCase(
        "subscription($c: ID!) { recommendationsUpdated(childId: $c) { lesson { title } } }",
        {
            "anonymous": CLOSED,
            "child": RECEIVES,
            "other_child": NOTFOUND,
            "teacher": RECEIVES,
            "other_teacher": NOTFOUND,
            "admin": RECEIVES,
        },
    ),
}

SUBSCRIPTIONS = sorted(schema._schema.subscription_type.fields)


@database_sync_to_async
def _world() -> dict[str, Any]:
    teacher, other_teacher = factories.TeacherProfileFactory(), factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher], kg_level="KG1")
    other_classroom = factories.ClassroomFactory(teachers=[other_teacher], kg_level="KG1")
    child = factories.ChildProfileFactory(classroom=classroom)
    other_child = factories.ChildProfileFactory(classroom=other_classroom)
    quiz = factories.make_quiz(lesson=factories.LessonFactory(kg_level="KG1"), questions=2)
    factories.LessonFactory(title="Next: triangles", kg_level="KG1")  # something to recommend
    users = {
        "child": child.user,
        "other_child": other_child.user,
        "teacher": teacher.user,
        "other_teacher": other_teacher.user,
        "admin": factories.AdminUserFactory(),
    }
    tokens = {role: issue_token_pair(user).access for role, user in users.items()}
    return {"tokens": tokens, "child": child, "quiz": quiz}


@database_sync_to_async
def _quiz_of_the_child(world: dict[str, Any], attempt: int) -> None:
    answers = [
        AnswerSubmission(
            question_id=q.pk, choice_ids=[q.choices.order_by("order").first().pk], seconds=3
        )
        for q in world["quiz"].questions.all()
    ]
    submit_quiz_attempt(
        child=world["child"],
        quiz=world["quiz"],
        answers=answers,
        client_attempt_id=f"ws-role-{attempt}",
        actor=world["child"].user,
    )


async def _first_message(socket: WebsocketCommunicator, world: dict[str, Any]) -> dict[str, Any]:
    """A refusal arrives at once; an accepted subscription answers the child's next quiz. The subscription
    joins its channel-layer groups a moment after `subscribe` (longer on Redis under load), so quizzes are
    repeated until something arrives rather than trusting one fixed pause."""
    for attempt in range(5):
        # receive_nothing() waits without cancelling the consumer (a timed-out receive would).
        if not await socket.receive_nothing(timeout=0.5 * (attempt + 1)):
            break
        await _quiz_of_the_child(world, attempt)
    return await socket.receive_json_from(timeout=5)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("subscription", SUBSCRIPTIONS)
async def test_subscription_by_role(subscription, role):
    if subscription not in CASES:
        pytest.fail(f"the schema's subscription {subscription} has no row in the role matrix")
    case, world = CASES[subscription], await _world()
    socket = WebsocketCommunicator(
        application, "/api/graphql/", subprotocols=["graphql-transport-ws"]
    )
    assert (await socket.connect())[0]
    token = world["tokens"].get(role)
    await socket.send_json_to(
        {"type": "connection_init", "payload": {"authToken": token} if token else {}}
    )
    expected = case.expect[role]
    try:
        first = await socket.receive_output(timeout=5)
        if expected == CLOSED:
            assert first["type"] == "websocket.close", first
            assert first["code"] == 4403
            return
        assert first["type"] == "websocket.send", first
        await socket.send_json_to(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": case.query, "variables": {"c": str(world["child"].pk)}},
            }
        )
        message = await _first_message(socket, world)

        assert message["type"] == "next", message
        if expected == RECEIVES:
            assert message["payload"].get("errors") is None, message
            data = message["payload"]["data"][subscription]
            if subscription == "progressEvents":
                assert data["child"] == {"id": str(world["child"].pk)}
            else:
                assert "Next: triangles" in [r["lesson"]["title"] for r in data]
        else:
            assert message["payload"]["data"] is None
            assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [expected]
    finally:
        await socket.disconnect()


def test_every_schema_subscription_has_a_row_in_the_matrix():
    assert sorted(set(SUBSCRIPTIONS) - set(CASES)) == [], "subscriptions without a row"
    assert sorted(set(CASES) - set(SUBSCRIPTIONS)) == [], "rows for subscriptions that are gone"
    assert all(set(case.expect) == set(ROLES) for case in CASES.values())
