"""Two ASGI server processes sharing PostgreSQL and Redis behave as one service.

A child submits a quiz through process A and the teacher subscribed through process B hears of it; sign-in
limits counted on one process hold on the other; a refresh token revoked on one is refused by the other.
"""

import asyncio
import json
import os
import time
import urllib.request

import pytest
from django.core.cache import cache
from django.db import connection

from learnify.accounts.sign_in import LOGIN_PER_ACCOUNT
from learnify.ai.models import PendingRecommendationRefresh
from tests import factories
from tests.servers import open_subscription, server_env, uvicorn_servers

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple"
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token refreshToken } }"
CHILD_LOGIN = "mutation($c: String!, $id: ID!, $p: [String!]!) { childLogin(classCode: $c, childId: $id, pictureCode: $p) { token } }"
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken } }"
LOGOUT = "mutation($r: String!) { logout(refreshToken: $r) }"
SUBMIT = """mutation($q: ID!, $id: String!, $a: [AnswerInput!]!) {
  submitQuizAttempt(quizId: $q, clientAttemptId: $id, answers: $a) { attempt { id score } } }"""


def _database_url() -> str:
    # The test database pytest-django created: both servers must see the rows this test commits.
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def servers(django_db_setup):
    # Started once for the module: each test's rows are committed (transactional tests), so both see them.
    env = server_env(
        DATABASE_URL=_database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        SECRET_KEY="scale-out-test-key-shared-by-both-processes-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    with uvicorn_servers(env, count=2) as bases:
        yield bases


@pytest.fixture(autouse=True)
def _refreshes_done_before_the_flush(servers):
    # The servers refresh recommendations after a submit commits, on their own threads; the flush after each
    # transactional test must not truncate the tables under a refresh still running (it deadlocks).
    yield
    deadline = time.monotonic() + 30
    while PendingRecommendationRefresh.objects.exists():
        assert time.monotonic() < deadline, "the servers' recommendation refreshes did not finish"
        time.sleep(0.1)


def _graphql(base: str, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/api/graphql/",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def _codes(result: dict) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in result.get("errors") or []]


@pytest.fixture
def world(settings):
    # The servers hash as production does; the suite's fast MD5 hasher is not among theirs.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    # Sign-in counters live in the Redis the servers share; an earlier run's must not count against this one.
    cache.clear()
    teacher = factories.TeacherProfileFactory()
    teacher.user.set_password(PASSWORD)
    teacher.user.save()
    classroom = factories.ClassroomFactory(teachers=[teacher])
    child = factories.ChildProfileFactory(classroom=classroom)
    quiz = factories.make_quiz()
    return teacher, classroom, child, quiz


async def _first_event(base: str, token: str, classroom_id: int, ready: asyncio.Event) -> dict:
    ws = await open_subscription(base, token, classroom_id)
    try:
        ready.set()
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            if message["type"] == "next":
                return message["payload"]["data"]["progressEvents"]
            assert message["type"] != "error", message
    finally:
        await ws.close()


async def test_a_submission_on_one_process_reaches_a_subscriber_on_the_other(world, servers):
    teacher, classroom, child, quiz = world
    a, b = servers
    teacher_token = (
        await asyncio.to_thread(_graphql, b, LOGIN, {"u": teacher.user.username, "p": PASSWORD})
    )["data"]["login"]["token"]
    child_token = (
        await asyncio.to_thread(
            _graphql,
            a,
            CHILD_LOGIN,
            {
                "c": classroom.class_code,
                "id": str(child.pk),
                "p": child.picture_code.split(","),
            },
        )
    )["data"]["childLogin"]["token"]
    ready = asyncio.Event()
    listener = asyncio.create_task(_first_event(b, teacher_token, classroom.pk, ready))
    await asyncio.wait_for(ready.wait(), timeout=30)
    questions = await asyncio.to_thread(
        lambda: [
            {"questionId": str(q.pk), "choiceIds": [str(q.choices.get(is_correct=True).pk)]}
            for q in quiz.questions.order_by("order")
        ]
    )
    submitted = await asyncio.to_thread(
        _graphql,
        a,
        SUBMIT,
        {"q": str(quiz.pk), "id": "scale-out-1", "a": questions},
        child_token,
    )
    assert "errors" not in submitted, submitted

    event = await asyncio.wait_for(listener, timeout=30)

    assert event["kind"] == "quiz.attempted"
    assert event["child"]["id"] == str(child.pk)
    assert event["score"] == 1.0


def test_sign_in_limits_are_counted_across_processes(world, servers):
    teacher = world[0]
    bases = servers
    for n in range(LOGIN_PER_ACCOUNT.limit):
        wrong = _graphql(bases[n % 2], LOGIN, {"u": teacher.user.username, "p": "wrong password"})
        assert _codes(wrong) != ["RATE_LIMITED"], n

    # The limit is reached by guesses spread over both processes: neither lets the next one through,
    # not even with the right password.
    for base in bases:
        right = _graphql(base, LOGIN, {"u": teacher.user.username, "p": PASSWORD})
        assert _codes(right) == ["RATE_LIMITED"]


def test_a_refresh_token_revoked_on_one_process_is_refused_by_the_other(world, servers):
    teacher = world[0]
    a, b = servers
    tokens = _graphql(a, LOGIN, {"u": teacher.user.username, "p": PASSWORD})["data"]["login"]
    rotated = _graphql(b, REFRESH, {"r": tokens["refreshToken"]})["data"]["refreshToken"]

    assert _graphql(a, LOGOUT, {"r": rotated["refreshToken"]})["data"] == {"logout": True}
    refused = _graphql(b, REFRESH, {"r": rotated["refreshToken"]})
    reused = _graphql(a, REFRESH, {"r": tokens["refreshToken"]})

    assert _codes(refused) == ["UNAUTHENTICATED"]
    assert _codes(reused) == ["UNAUTHENTICATED"]
