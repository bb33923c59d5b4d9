import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import re_path

from learnify.progress.services import update_lesson_progress
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from portal.consumers import ClassroomLiveConsumer
from tests import factories

# The session middleware is exercised by the browser test; here the signed-in user is put in the scope.
application = URLRouter(
    [re_path(r"^portal/ws/classrooms/(?P<pk>[0-9]+)/live/$", ClassroomLiveConsumer.as_asgi())]
)


@pytest.mark.django_db
def test_live_page_shows_children_against_this_weeks_lessons_and_who_needs_help(portal):
    lesson = factories.LessonFactory(title="Count to ten", estimated_minutes=5)
    quiz = factories.make_quiz(lesson=lesson, questions=2)
    wrong = [
        AnswerSubmission(q.pk, [q.choices.order_by("order").last().pk], 3)
        for q in quiz.questions.all()
    ]
    for attempt_id in ("a", "b"):
        submit_quiz_attempt(
            child=portal.child,
            quiz=quiz,
            answers=wrong,
            client_attempt_id=attempt_id,
            actor=portal.child.user,
        )

    page = portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/live/").content.decode()

    assert "Count to ten" in page
    assert f'id="live-row-{portal.child.pk}"' in page
    assert "failed" in page
    assert "twice" in page
    assert f'ws-connect="/portal/ws/classrooms/{portal.classroom.pk}/live/"' in page


@pytest.mark.django_db
def test_live_page_marks_a_child_stuck_in_a_lesson(portal):
    lesson = factories.LessonFactory(title="Long lesson", estimated_minutes=1)
    update_lesson_progress(
        child=portal.child, lesson=lesson, percent=20, seconds=600, actor=portal.child.user
    )

    page = portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/live/").content.decode()

    assert "stuck in" in page


@pytest.mark.django_db
def test_live_page_of_another_teachers_class_is_not_found(portal):
    assert (
        portal.as_other_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/live/").status_code
        == 404
    )


async def _connect(user, classroom_id):
    communicator = WebsocketCommunicator(application, f"/portal/ws/classrooms/{classroom_id}/live/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
async def test_live_socket_sends_the_redrawn_grid_when_a_child_finishes_a_quiz():
    teacher = await database_sync_to_async(factories.TeacherProfileFactory)()
    classroom = await database_sync_to_async(factories.ClassroomFactory)(teachers=[teacher])
    child = await database_sync_to_async(factories.ChildProfileFactory)(
        classroom=classroom, display_name="Sami"
    )
    quiz = await database_sync_to_async(factories.make_quiz)(
        lesson=await database_sync_to_async(factories.LessonFactory)(title="Shapes")
    )
    user = await database_sync_to_async(lambda: teacher.user)()
    communicator, connected, _ = await _connect(user, classroom.pk)
    assert connected
    await asyncio.sleep(0.2)

    def submit():
        answers = [
            AnswerSubmission(q.pk, [q.choices.order_by("order").first().pk], 3)
            for q in quiz.questions.all()
        ]
        submit_quiz_attempt(
            child=child, quiz=quiz, answers=answers, client_attempt_id="live-1", actor=child.user
        )

    await database_sync_to_async(submit)()

    html = await communicator.receive_from(timeout=5)
    assert 'id="live-grid" hx-swap-oob="outerHTML"' in html
    assert "Shapes" in html
    assert "100 %" in html
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_live_socket_refuses_a_teacher_of_another_class():
    other = await database_sync_to_async(factories.TeacherProfileFactory)()
    classroom = await database_sync_to_async(factories.ClassroomFactory)()
    user = await database_sync_to_async(lambda: other.user)()

    _communicator, connected, code = await _connect(user, classroom.pk)

    assert not connected
    assert code == 4403
