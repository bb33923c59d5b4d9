"""Suite 5, faults: real uvicorn servers on a PRIVATE PostgreSQL and a PRIVATE Redis that the tests stop, restart
and crash under, checking what clients see and what the database holds afterwards.

The private servers are started for the session whatever the run's own DATABASE_URL/REDIS_URL are (the shared
servers are never touched); the suite skips when the binaries are missing.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.servers import (
    PrivatePostgres,
    PrivateRedis,
    UvicornServer,
    manage,
    private_servers_missing,
    server_env,
)

PASSWORD = "correct horse battery staple"
CHILDREN = 8
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token refreshToken } }"
CHILD_LOGIN = (
    "mutation($c: String!, $id: ID!, $p: [String!]!) "
    "{ childLogin(classCode: $c, childId: $id, pictureCode: $p) { token refreshToken } }"
)
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken } }"
SUBMIT = """mutation($q: ID!, $id: String!, $a: [AnswerInput!]!) {
  submitQuizAttempt(quizId: $q, clientAttemptId: $id, answers: $a) { attempt { id score } } }"""
READ = "query($id: ID!) { child(id: $id) { quizAttempts { score } } }"
# What the seed prints: a teacher, a classroom of children (one per test, so tests never share rows), a quiz.
SEED = f"""
import json
from tests import factories
teacher = factories.TeacherProfileFactory()
teacher.user.set_password({PASSWORD!r})
teacher.user.save()
classroom = factories.ClassroomFactory(teachers=[teacher])
children = [factories.ChildProfileFactory(classroom=classroom) for _ in range({CHILDREN})]
quiz = factories.make_quiz()
answers = [
    {{"questionId": str(q.pk), "choiceIds": [str(q.choices.get(is_correct=True).pk)]}}
    for q in quiz.questions.order_by("order")
]
print(json.dumps({{
    "teacher": teacher.user.username, "classroom": classroom.pk, "class_code": classroom.class_code,
    "children": [[c.pk, c.picture_code_icons] for c in children], "quiz": quiz.pk, "answers": answers,
}}))
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = private_servers_missing()
    if reason:
        for item in items:
            if "tests/faults/" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=f"faults suite: {reason}"))


@dataclass
class World:
    pg: PrivatePostgres
    redis: PrivateRedis
    env: dict[str, str]
    pause_dir: Path
    seed: dict[str, Any]
    next_child: int = 0

    def child(self) -> tuple[int, list[str]]:
        """A child no other test has used: its id and picture code."""
        child_id, code = self.seed["children"][self.next_child]
        self.next_child += 1
        return child_id, code

    def server(self, workers: int = 1) -> UvicornServer:
        return UvicornServer(
            self.env, workers=workers, log=open(self.pause_dir / "server.log", "a")
        )

    def sql(self, query: str, *params: Any) -> list[tuple]:
        """Ask the private database directly: what is really stored, whatever the server answered."""
        with psycopg.connect(
            self.pg.url.replace("postgres://", "postgresql://"), autocommit=True
        ) as conn:
            return conn.execute(query, params).fetchall()

    def attempts(self, child_id: int) -> list[tuple]:
        """(client_attempt_id, question_count, stored answers) for each of the child's attempts."""
        return self.sql(
            "SELECT a.client_attempt_id, a.question_count, "
            "(SELECT count(*) FROM quizzes_answer x WHERE x.attempt_id = a.id) "
            "FROM quizzes_quizattempt a WHERE a.child_id = %s ORDER BY a.id",
            child_id,
        )


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    reason = private_servers_missing()
    if reason:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="learnify-faults-") as tmp:
        root = Path(tmp)
        (root / "pg").mkdir()
        (root / "pause").mkdir()
        pg = PrivatePostgres(root / "pg")
        redis = PrivateRedis()
        pg.start()
        redis.start()
        try:
            env = server_env(
                DATABASE_URL=pg.url,
                REDIS_URL=redis.url,
                SECRET_KEY="faults-suite-key-for-the-private-servers-0123456789",
                ALLOWED_HOSTS="127.0.0.1,localhost",
                # As in production (errors answered by handlers, not debug pages), over plain loopback HTTP.
                DEBUG="false",
                SECURE_SSL_REDIRECT="false",
                LEARNIFY_FAULT_PAUSE_DIR=str(root / "pause"),
                LOG_LEVEL="WARNING",
            )
            manage(env, "migrate", "--noinput")
            seed = json.loads(manage(env, "shell", "-c", SEED).stdout.strip().splitlines()[-1])
            yield World(pg=pg, redis=redis, env=env, pause_dir=root / "pause", seed=seed)
        finally:
            # The servers' log outlives the temporary directory, for the post-mortem of a failed run.
            log = root / "pause" / "server.log"
            if log.exists():
                shutil.copy(log, Path(tempfile.gettempdir()) / "learnify-faults-server.log")
            redis.stop()
            with contextlib.suppress(RuntimeError):  # a test may have left it stopped
                pg.stop("immediate")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.body.get("errors") or []]


def graphql(
    base: str, query: str, variables: dict[str, Any], token: str | None = None, timeout: float = 30
) -> Reply:
    """POST one operation and return status, headers and JSON body, whatever the status."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/api/graphql/",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                json.loads(response.read()),
            )
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"raw": raw.decode(errors="replace")}
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, body)


def assert_ok(reply: Reply) -> None:
    """The operation was answered 200 with no error."""
    assert reply.status == 200, reply
    assert "errors" not in reply.body, reply


def assert_complete(world: World, child_id: int, acknowledged: list[str]) -> None:
    """The database holds exactly the acknowledged attempts, once each, every one with all its answers, its
    raw ML rows and its audit entry, and nothing left over from a request that died."""
    stored = world.attempts(child_id)
    assert [row[0] for row in stored] == acknowledged
    for _, question_count, answers in stored:
        assert question_count == answers == len(world.seed["answers"]), stored
    per_attempt = world.sql(
        "SELECT a.id, "
        "(SELECT count(*) FROM ai_quiz_attempts_raw r WHERE r.attempt_id = a.id), "
        "(SELECT count(*) FROM core_auditlog l WHERE l.action = 'quiz.attempted' "
        "AND l.target_id = a.id::text) "
        "FROM quizzes_quizattempt a WHERE a.child_id = %s",
        child_id,
    )
    for _, raw, audit in per_attempt:
        assert (raw, audit) == (len(world.seed["answers"]), 1), per_attempt
    orphans = (
        world.sql(
            "SELECT count(*) FROM quizzes_answer x "
            "WHERE NOT EXISTS (SELECT 1 FROM quizzes_quizattempt a WHERE a.id = x.attempt_id)"
        )[0][0]
        + world.sql(
            "SELECT count(*) FROM ai_quiz_attempts_raw r "
            "WHERE NOT EXISTS (SELECT 1 FROM quizzes_quizattempt a WHERE a.id = r.attempt_id)"
        )[0][0]
    )
    assert orphans == 0


def get(base: str, path: str, timeout: float = 30) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def child_token(base: str, world: World, child: tuple[int, list[str]]) -> Reply:
    return graphql(
        base,
        CHILD_LOGIN,
        {"c": world.seed["class_code"], "id": str(child[0]), "p": child[1]},
    )


def teacher_login(base: str, world: World) -> Reply:
    return graphql(base, LOGIN, {"u": world.seed["teacher"], "p": PASSWORD})


def submit(base: str, world: World, token: str, attempt_id: str, timeout: float = 30) -> Reply:
    return graphql(
        base,
        SUBMIT,
        {"q": str(world.seed["quiz"]), "id": attempt_id, "a": world.seed["answers"]},
        token,
        timeout=timeout,
    )
