"""With Redis unreachable, the service keeps reading and writing; sign-in refuses rather than lets guesses in."""

import pytest

from learnify.core import events
from learnify.quizzes.models import QuizAttempt
from tests import factories
from tests.api.conftest import GraphQLClient

UNREACHABLE = "redis://127.0.0.1:9/0"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_down(settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": UNREACHABLE, "socket_connect_timeout": 0.5}]},
        }
    }
    monkeypatch.setattr(events, "_paused_until", 0.0)


def test_reads_and_writes_keep_working_and_events_are_dropped_not_raised(redis_down, caplog):
    teacher = factories.TeacherProfileFactory()
    child = factories.ChildProfileFactory(classroom=factories.ClassroomFactory(teachers=[teacher]))
    quiz = factories.make_quiz()
    answers = [
        {"questionId": str(q.pk), "choiceIds": [str(q.choices.order_by("order").first().pk)]}
        for q in quiz.questions.all()
    ]

    submitted = GraphQLClient(child.user).query(
        'mutation($q: ID!, $a: [AnswerInput!]!) { submitQuizAttempt(quizId: $q, clientAttemptId: "r1", answers: $a) { attempt { score } recommendations { id } } }',
        {"q": str(quiz.pk), "a": answers},
    )
    read = GraphQLClient(teacher.user).query(
        "query($id: ID!) { child(id: $id) { quizAttempts { score } } }", {"id": str(child.pk)}
    )

    assert submitted.errors == []
    assert submitted.data["submitQuizAttempt"]["attempt"]["score"] == 1.0
    assert read.data["child"]["quizAttempts"] == [{"score": 1.0}]
    assert QuizAttempt.objects.count() == 1
    assert "was not delivered" in caplog.text


def test_sign_in_refuses_with_rate_limited_instead_of_counting_nothing(redis_down):
    teacher = factories.TeacherProfileFactory()
    child = factories.ChildProfileFactory()

    login = GraphQLClient().query(
        'mutation($u: String!) { login(username: $u, password: "x") { token } }',
        {"u": teacher.user.username},
    )
    child_login = GraphQLClient().query(
        "mutation($c: String!, $id: ID!, $p: [String!]!) { childLogin(classCode: $c, childId: $id, pictureCode: $p) { token } }",
        {"c": child.classroom.class_code, "id": str(child.pk), "p": child.picture_code_icons},
    )

    assert login.codes == ["RATE_LIMITED"]
    assert child_login.codes == ["RATE_LIMITED"]


def test_portal_pages_still_open(redis_down):
    from django.test import Client

    teacher = factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher])
    factories.ChildProfileFactory(classroom=classroom)
    client = Client()
    client.force_login(teacher.user)

    assert client.get(f"/portal/classrooms/{classroom.pk}/").status_code == 200
    assert client.get("/portal/classrooms/").status_code == 200
