"""PostgreSQL stopped and started under a running server: while it is down every request answers 503 with
Retry-After within seconds (never a hang, a 200 with masked errors, or a 500), and once it is back the very
first requests succeed (no stale pooled connections, no stuck workers)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import (
    READ,
    World,
    assert_complete,
    assert_ok,
    child_token,
    get,
    graphql,
    submit,
    teacher_login,
)

pytestmark = [pytest.mark.slow, pytest.mark.security]

# The pool waits DB_POOL_TIMEOUT (5 s) for a connection: a request to a stopped database ends a little after.
ANSWERS_WITHIN_SECONDS = 8.0


def _timed(call, *args, **kwargs):
    started = time.monotonic()
    result = call(*args, **kwargs)
    return result, time.monotonic() - started


def test_postgres_down_answers_503_quickly_and_recovers_without_restart(world: World):
    child = world.child()
    server = world.server()
    server.start()
    acknowledged: list[str] = []
    try:
        base = server.base
        token = child_token(base, world, child).body["data"]["childLogin"]["token"]
        teacher = teacher_login(base, world).body["data"]["login"]["token"]
        reply = submit(base, world, token, "pg-before")
        assert_ok(reply)
        acknowledged.append("pg-before")

        world.pg.stop("fast")
        try:
            for query, variables, bearer in [
                (READ, {"id": str(child[0])}, teacher),
                (
                    "mutation($q: ID!, $a: [AnswerInput!]!) { submitQuizAttempt(quizId: $q, "
                    'clientAttemptId: "pg-down", answers: $a) { attempt { id } } }',
                    {"q": str(world.seed["quiz"]), "a": world.seed["answers"]},
                    token,
                ),
            ]:
                reply, elapsed = _timed(graphql, base, query, variables, bearer)
                assert reply.status == 503, reply
                assert reply.codes, reply
                assert set(reply.codes) == {"SERVICE_UNAVAILABLE"}, reply
                assert int(reply.headers["retry-after"]) > 0
                assert elapsed < ANSWERS_WITHIN_SECONDS, elapsed

            (status, _), elapsed = _timed(get, base, "/api/health/")
            assert status == 503
            assert elapsed < ANSWERS_WITHIN_SECONDS

            # A portal page that needs the database (the session behind a cookie) says the same.
            import urllib.error
            import urllib.request

            request = urllib.request.Request(  # noqa: S310 - loopback only
                base + "/portal/", headers={"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}
            )
            started = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as portal:
                urllib.request.urlopen(request, timeout=30)  # noqa: S310
            assert portal.value.code == 503, portal.value.read()
            assert int(portal.value.headers["Retry-After"]) > 0
            assert time.monotonic() - started < ANSWERS_WITHIN_SECONDS
        finally:
            world.pg.start()

        # The very first requests after the restart succeed, sequential and concurrent.
        reply, elapsed = _timed(graphql, base, READ, {"id": str(child[0])}, teacher)
        assert_ok(reply)
        assert elapsed < 3, elapsed
        reply = submit(base, world, token, "pg-after")
        assert_ok(reply)
        acknowledged.append("pg-after")
        with ThreadPoolExecutor(8) as pool:
            replies = list(
                pool.map(lambda _: graphql(base, READ, {"id": str(child[0])}, teacher), range(16))
            )
        for each in replies:
            assert_ok(each)
        assert get(base, "/api/health/")[0] == 200
    finally:
        server.stop()

    assert_complete(world, child[0], acknowledged)
