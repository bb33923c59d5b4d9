"""The updateLessonProgress mutation of the contract, by role."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from learnify.ai.models import LessonInteractionRaw
from learnify.progress.models import Progress
from tests import factories

pytestmark = pytest.mark.django_db

MAX_SECONDS = 3 * 60 * 60


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _user(world, role):
    return {
        "anonymous": None,
        "child": world.child.user,
        "other_child": world.other_child.user,
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]


@pytest.fixture
def as_role(world, gql):
    return lambda role: gql(_user(world, role))


def _refused(result, code):
    assert result.codes == [code], result.body
    assert result.data is None or not any(result.data.values()), result.data


UPDATE = """mutation($l: ID!, $p: Int!, $s: Int!, $c: ID) {
  updateLessonProgress(lessonId: $l, percent: $p, secondsSpent: $s, childId: $c) {
    lesson { id title } status percent secondsSpent lastAccessedAt completedAt } }"""


def _update(client, world, percent=40, seconds=30, child=None, lesson=None):
    variables = {"l": str((lesson or world.lesson).pk), "p": percent, "s": seconds}
    if child is not None:
        variables["c"] = str(child.pk)
    return client.query(UPDATE, variables)


@pytest.mark.parametrize(
    ("role", "child_id"),
    [("child", False), ("child", True), ("teacher", True), ("admin", True)],
)
def test_update_lesson_progress_records_the_childs_progress(world, as_role, role, child_id):
    result = _update(as_role(role), world, child=world.child if child_id else None)

    assert result.errors == []
    data = result.data["updateLessonProgress"]
    assert data["lesson"] == {"id": str(world.lesson.pk), "title": "Count the apples"}
    assert (data["status"], data["percent"], data["secondsSpent"]) == ("IN_PROGRESS", 40, 30)
    assert data["lastAccessedAt"] is not None
    assert data["completedAt"] is None
    progress = Progress.objects.get()
    assert (progress.child, progress.lesson, progress.percent, progress.seconds_spent) == (
        world.child,
        world.lesson,
        40,
        30,
    )
    assert LessonInteractionRaw.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "child", "code"),
    [
        ("anonymous", "child", "UNAUTHENTICATED"),
        ("anonymous", None, "UNAUTHENTICATED"),
        ("child", "classmate", "NOT_FOUND"),
        ("other_child", "child", "NOT_FOUND"),
        ("teacher", "other_child", "NOT_FOUND"),
        ("other_teacher", "child", "NOT_FOUND"),
        ("teacher", None, "BAD_USER_INPUT"),  # a teacher must say for which child
        ("admin", None, "BAD_USER_INPUT"),
    ],
)
def test_update_lesson_progress_is_refused(world, as_role, role, child, code):
    result = _update(as_role(role), world, child=getattr(world, child) if child else None)

    _refused(result, code)
    assert not Progress.objects.exists()
    assert not LessonInteractionRaw.objects.exists()


def test_update_lesson_progress_by_another_child_is_their_own(world, as_role):
    result = _update(as_role("other_child"), world, percent=10)

    assert result.data["updateLessonProgress"]["percent"] == 10
    assert Progress.objects.get().child == world.other_child


@pytest.mark.parametrize(
    ("percent", "seconds"),
    [(101, 30), (-1, 30), (1000, 30), (50, -5), (50, MAX_SECONDS + 1)],
)
def test_update_lesson_progress_with_bad_numbers_writes_nothing(world, as_role, percent, seconds):
    result = _update(as_role("child"), world, percent=percent, seconds=seconds)

    _refused(result, "BAD_USER_INPUT")
    assert not Progress.objects.exists()
    assert not LessonInteractionRaw.objects.exists()


def test_update_lesson_progress_with_bad_numbers_leaves_earlier_progress_alone(world, as_role):
    _update(as_role("child"), world, percent=30, seconds=20)

    _refused(_update(as_role("child"), world, percent=130, seconds=20), "BAD_USER_INPUT")

    progress = Progress.objects.get()
    assert (progress.percent, progress.seconds_spent) == (30, 20)


@pytest.mark.parametrize("percent", [0, 100])
def test_update_lesson_progress_accepts_the_bounds(world, as_role, percent):
    result = _update(as_role("child"), world, percent=percent, seconds=0)

    assert result.errors == []
    assert result.data["updateLessonProgress"]["percent"] == percent


def test_update_lesson_progress_never_goes_back_and_time_adds_up(world, as_role):
    client = as_role("child")
    _update(client, world, percent=60, seconds=30)

    result = _update(client, world, percent=30, seconds=20)

    data = result.data["updateLessonProgress"]
    assert (data["percent"], data["secondsSpent"], data["status"]) == (60, 50, "IN_PROGRESS")
    assert Progress.objects.count() == 1


def test_update_lesson_progress_to_100_completes_the_lesson(world, as_role):
    _update(as_role("child"), world, percent=50, seconds=60)

    result = _update(as_role("teacher"), world, percent=100, seconds=40, child=world.child)

    data = result.data["updateLessonProgress"]
    assert (data["status"], data["percent"], data["secondsSpent"]) == ("COMPLETED", 100, 100)
    assert data["completedAt"] is not None
    assert Progress.objects.get().completed_at is not None


def test_update_lesson_progress_shows_in_the_childs_progress(world, as_role):
    _update(as_role("child"), world, percent=70, seconds=15)

    result = as_role("teacher").query(
        "query($id: ID!) { child(id: $id) { progress { lesson { title } percent } } }",
        {"id": str(world.child.pk)},
    )

    assert result.data["child"]["progress"] == [
        {"lesson": {"title": "Count the apples"}, "percent": 70}
    ]


@pytest.mark.parametrize(
    ("lesson_id", "code"), [("999999", "NOT_FOUND"), ("lesson", "BAD_USER_INPUT")]
)
def test_update_lesson_progress_for_an_unknown_lesson(world, as_role, lesson_id, code):
    result = as_role("child").query(UPDATE, {"l": lesson_id, "p": 10, "s": 10})

    _refused(result, code)
    assert not Progress.objects.exists()


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("child", "NOT_FOUND"),
        ("teacher", "BAD_USER_INPUT"),
    ],  # the author sees the draft but cannot record
)
def test_update_lesson_progress_for_a_draft_lesson_is_refused(world, as_role, role, code):
    draft = factories.LessonFactory(is_published=False, author=world.teacher)

    result = _update(
        as_role(role), world, lesson=draft, child=world.child if role == "teacher" else None
    )

    _refused(result, code)
    assert not Progress.objects.exists()


@pytest.mark.parametrize("child_id", ["abc", "0", "-4"])
def test_update_lesson_progress_with_a_malformed_child_id(world, as_role, child_id):
    result = as_role("teacher").query(
        UPDATE, {"l": str(world.lesson.pk), "p": 10, "s": 10, "c": child_id}
    )

    _refused(result, "BAD_USER_INPUT")
    assert not Progress.objects.exists()
