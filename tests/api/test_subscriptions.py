import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from learnify.accounts.tokens import issue_token_pair
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from learnify.routing import api_websocket_urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PROGRESS_EVENTS = """
subscription Live($classroomId: ID) {
  progressEvents(classroomId: $classroomId) { kind score percent child { id displayName } lesson { title } }
}
"""
RECOMMENDATIONS = "subscription R($childId: ID!) { recommendationsUpdated(childId: $childId) { lesson { title } reasonCode } }"

application = URLRouter(api_websocket_urlpatterns)


async def _connect(token: str | None):
    communicator = WebsocketCommunicator(
        application, "/api/graphql/", subprotocols=["graphql-transport-ws"]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to(
        {"type": "connection_init", "payload": {"authToken": token} if token else {}}
    )
    return communicator


async def _subscribe(communicator, query, variables, op_id="1"):
    assert (await communicator.receive_json_from(timeout=5))["type"] == "connection_ack"
    await communicator.send_json_to(
        {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )
    await asyncio.sleep(
        0.5
    )  # let the subscription join its channel-layer groups before anything is published


@database_sync_to_async
def _setup():
    teacher, other_teacher = factories.TeacherProfileFactory(), factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher])
    other_classroom = factories.ClassroomFactory(teachers=[other_teacher])
    child = factories.ChildProfileFactory(classroom=classroom, display_name="Sami")
    factories.ChildProfileFactory(classroom=other_classroom)
    quiz = factories.make_quiz(
        lesson=factories.LessonFactory(title="Shapes around us"), questions=2
    )
    return {
        "teacher_token": issue_token_pair(teacher.user).access,
        "other_token": issue_token_pair(other_teacher.user).access,
        "child_token": issue_token_pair(child.user).access,
        "classroom_id": str(classroom.pk),
        "other_classroom_id": str(other_classroom.pk),
        "child": child,
        "quiz": quiz,
    }


@database_sync_to_async
def _submit(child, quiz):
    answers = [
        AnswerSubmission(
            question_id=q.pk, choice_ids=[q.choices.order_by("order").first().pk], seconds=3
        )
        for q in quiz.questions.all()
    ]
    return submit_quiz_attempt(
        child=child, quiz=quiz, answers=answers, client_attempt_id="ws-1", actor=child.user
    )


async def _next_events(communicator, count):
    events = []
    for _ in range(count):
        message = await communicator.receive_json_from(timeout=5)
        assert message["type"] == "next", message
        events.append(message["payload"]["data"]["progressEvents"])
    return events


async def test_teacher_receives_quiz_of_a_child_in_their_classroom_and_other_teacher_does_not():
    world = await _setup()
    teacher = await _connect(world["teacher_token"])
    other = await _connect(world["other_token"])
    await _subscribe(teacher, PROGRESS_EVENTS, {"classroomId": world["classroom_id"]})
    await _subscribe(other, PROGRESS_EVENTS, {"classroomId": world["other_classroom_id"]})

    await _submit(world["child"], world["quiz"])

    events = await _next_events(teacher, 2)
    attempted = next(e for e in events if e["kind"] == "quiz.attempted")
    assert attempted["score"] == 1.0
    assert attempted["child"] == {"id": str(world["child"].pk), "displayName": "Sami"}
    assert attempted["lesson"] == {"title": "Shapes around us"}
    assert {e["kind"] for e in events} == {"quiz.attempted", "progress.updated"}
    assert await other.receive_nothing(timeout=1)
    await teacher.disconnect()
    await other.disconnect()


async def test_teacher_cannot_subscribe_to_another_teachers_classroom():
    world = await _setup()
    intruder = await _connect(world["other_token"])
    await _subscribe(intruder, PROGRESS_EVENTS, {"classroomId": world["classroom_id"]})

    message = await intruder.receive_json_from(timeout=5)

    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
    await intruder.disconnect()


async def test_child_receives_new_recommendations_after_a_quiz():
    world = await _setup()
    await database_sync_to_async(factories.LessonFactory)(
        title="Next: triangles", kg_level=world["child"].kg_level
    )
    child = await _connect(world["child_token"])
    await _subscribe(child, RECOMMENDATIONS, {"childId": str(world["child"].pk)})

    await _submit(world["child"], world["quiz"])

    message = await child.receive_json_from(timeout=5)
    assert message["type"] == "next"
    titles = [r["lesson"]["title"] for r in message["payload"]["data"]["recommendationsUpdated"]]
    assert "Next: triangles" in titles
    await child.disconnect()


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_socket_without_valid_token_is_closed_with_4403(token):
    communicator = await _connect(token)

    closed = await communicator.receive_output(timeout=5)

    assert closed["type"] == "websocket.close"
    assert closed["code"] == 4403
