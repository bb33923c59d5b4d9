"""The server process SIGKILLed in the middle of `submitQuizAttempt`, then started again: the tablet retries
with the same clientAttemptId and the database ends with exactly one complete attempt.

The request is held at a test-only pause point (learnify/core/faults.py, active only with
LEARNIFY_FAULT_PAUSE_DIR) inside the transaction, or just after its commit, while the process is killed.
"""

from __future__ import annotations

import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.faults.conftest import World, assert_complete, assert_ok, child_token, submit

pytestmark = [pytest.mark.slow, pytest.mark.security]


def _wait_for(path: Path, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"the request never reached {path.name}"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("gate", "committed"),
    [("quiz-submit-in-transaction", False), ("quiz-submit-after-commit", True)],
    ids=["mid-transaction", "after-commit"],
)
def test_killed_mid_submit_then_retried_stores_one_complete_attempt(
    world: World, gate: str, committed: bool
):
    child = world.child()
    server = world.server()
    server.start()
    attempt_id = f"killed-{gate}"
    pause, reached = world.pause_dir / gate, world.pause_dir / f"{gate}.reached"
    try:
        token = child_token(server.base, world, child).body["data"]["childLogin"]["token"]
        pause.touch()
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(submit, server.base, world, token, attempt_id)
            _wait_for(reached)
            # Held inside the transaction nothing is visible; held after the commit, everything is.
            assert [row[0] for row in world.attempts(child[0])] == (
                [attempt_id] if committed else []
            )
            server.kill()
            pause.unlink()
            # The tablet sees its connection drop, no answer.
            with pytest.raises((ConnectionError, urllib.error.URLError)):
                pending.result(timeout=30)
        reached.unlink()

        server.start()
        retried = submit(server.base, world, token, attempt_id)
        assert_ok(retried)
        again = submit(server.base, world, token, attempt_id)
        assert_ok(again)
        stored_id = world.sql(
            "SELECT id FROM quizzes_quizattempt WHERE child_id = %s AND client_attempt_id = %s",
            child[0],
            attempt_id,
        )
        assert len(stored_id) == 1
        # The retry is answered with the stored attempt (after a commit, the one the dead process wrote).
        assert retried.body["data"]["submitQuizAttempt"]["attempt"]["id"] == str(stored_id[0][0])
        assert again.body == retried.body
    finally:
        pause.unlink(missing_ok=True)
        reached.unlink(missing_ok=True)
        server.stop()

    assert_complete(world, child[0], [attempt_id])
