from __future__ import annotations

import asyncio
import asyncio.runners
import os

import pytest

from tests import factories

# The issue-6 security suites and the defences they prove (docs/security.md maps each threat to its test).
# `make test-security` runs exactly these (`pytest -m security`).
SECURITY_SUITES = (
    "tests/api/test_bad_input.py",
    "tests/api/test_fuzz.py",
    "tests/api/test_limits.py",
    "tests/api/test_operations_by_role.py",
    "tests/api/test_websocket_protocol.py",
    "tests/api/test_websocket_operations.py",
    "tests/api/test_subscriptions_by_role.py",
    "tests/accounts/test_tokens.py",
    "tests/accounts/test_rate_limits.py",
    "tests/accounts/test_brute_force.py",
    "tests/accounts/test_passwords.py",
    "tests/accounts/test_data_rights.py",
    "tests/accounts/test_data_minimisation.py",
    "tests/portal/test_access_matrix.py",
    "tests/portal/test_data_rights.py",
    "tests/lessons/test_media_serving.py",
    "tests/core/test_audit_completeness.py",
    "tests/core/test_audit_log.py",
    "tests/core/test_redis_down.py",
    "tests/quizzes/test_concurrency.py",
    "tests/test_settings.py",
    "tests/test_scale_out.py",
    "tests/faults/",
)


def pytest_collection_modifyitems(config, items):
    """Mark the security suites; skip tests that need a real PostgreSQL or Redis when the run has neither."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_redis = bool(os.environ.get("REDIS_URL"))
    root = config.rootpath
    for item in items:
        where = item.path.relative_to(root).as_posix()
        if where.startswith(SECURITY_SUITES):
            item.add_marker(pytest.mark.security)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))


_cancel_all_tasks = asyncio.runners._cancel_all_tasks


def _cancel_all_tasks_again(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks a test left running, and cancel again those that swallowed it.

    A consumer cancelled in the middle of a Redis call sometimes loses the cancellation inside redis-py and
    keeps going; asyncio's own teardown cancels once and then waits for ever, which hung a test run about one
    time in fifty. The channel layer stops its own inbox read in that case (learnify/core/channel_layer.py); this
    covers whatever else a test leaves behind, before asyncio's teardown runs.
    """
    for _ in range(20):
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if not left:
            break
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.wait(left, timeout=0.5))
    _cancel_all_tasks(loop)


asyncio.runners._cancel_all_tasks = _cancel_all_tasks_again


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are about hashing set PASSWORD_HASHERS themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _refresh_inside_the_attempt(settings):
    # Tests read the refreshed recommendations right after a submit, often inside a test transaction where
    # after-commit work never runs. tests/ai/test_refresh_after_commit.py covers the threads production uses.
    settings.RECOMMENDATION_REFRESH_THREADS = 0


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ML_MODEL_DIR = tmp_path / "models"


@pytest.fixture(autouse=True)
def _no_loaded_model():
    # The model store is per process: a model one test activated must not serve the next test's database.
    from learnify.ai.model_store import store

    store.forget()
    yield
    store.forget()


@pytest.fixture
def admin_user(db):
    return factories.AdminUserFactory()


@pytest.fixture
def teacher(db):
    return factories.TeacherProfileFactory()


@pytest.fixture
def other_teacher(db):
    return factories.TeacherProfileFactory()


@pytest.fixture
def classroom(teacher):
    return factories.ClassroomFactory(teachers=[teacher])


@pytest.fixture
def child(classroom):
    return factories.ChildProfileFactory(classroom=classroom)


@pytest.fixture
def other_child(db):
    return factories.ChildProfileFactory()


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Hand psycopg's pooled connections back before the test database is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True):
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None and getattr(connection, "pool", None) is not None:
                close_pool()


@pytest.fixture(autouse=True)
def _fresh_lessons_frames():
    # The lessons frame is cached across requests; each test's database starts over, so must the frame.
    from learnify.ai.selectors import forget_lessons_frames

    forget_lessons_frames()
