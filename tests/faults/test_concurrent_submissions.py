"""Fifty identical submissions at once (the same child and clientAttemptId, a tablet retrying in a storm)
against a server with two worker processes: one attempt is stored and every answer names it or is a clear,
retryable error; nothing is a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import World, assert_complete, child_token, submit

pytestmark = [pytest.mark.slow, pytest.mark.security]

SUBMISSIONS = 50
# What a client may be told instead of the attempt: come back later. Never INTERNAL_SERVER_ERROR.
CLEAR_ERRORS = {"SERVICE_UNAVAILABLE", "RATE_LIMITED"}


def test_fifty_identical_submissions_store_one_attempt(world: World):
    child = world.child()
    server = world.server(workers=2)
    server.start()
    try:
        token = child_token(server.base, world, child).body["data"]["childLogin"]["token"]
        with ThreadPoolExecutor(SUBMISSIONS) as pool:
            replies = list(
                pool.map(
                    lambda _: submit(server.base, world, token, "storm", timeout=60),
                    range(SUBMISSIONS),
                )
            )
    finally:
        server.stop()

    stored = world.sql(
        "SELECT id FROM quizzes_quizattempt WHERE child_id = %s AND client_attempt_id = 'storm'",
        child[0],
    )
    assert len(stored) == 1
    attempt_ids = set()
    for reply in replies:
        assert reply.status in (200, 503), reply
        if "errors" in reply.body:
            assert set(reply.codes) <= CLEAR_ERRORS, reply
        else:
            attempt_ids.add(reply.body["data"]["submitQuizAttempt"]["attempt"]["id"])
    assert attempt_ids == {str(stored[0][0])}
    assert_complete(world, child[0], ["storm"])
