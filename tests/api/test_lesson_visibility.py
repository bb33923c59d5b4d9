"""One rule for which lessons a child may open, on every path to a lesson: the list, a lesson by id, and through
progress, quiz attempts and recommendations (learnify/lessons/access.py)."""

from __future__ import annotations

import pytest

from learnify.lessons import services as lesson_services
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db

HOME = """{ me { child {
    progress { lesson { id title } }
    quizAttempts { quiz { lesson { id } } }
    recommendations(limit: 20) { lesson { id } }
} } }"""


@pytest.fixture
def lessons_of(world):
    """A lesson the world's (KG1) child worked on at each level, with a quiz attempt and a recommendation."""
    made = {}
    for level in ("KG1", "KG2", "KG3", "MIXED"):
        lesson = factories.LessonFactory(kg_level=level, title=f"A {level} lesson")
        quiz = factories.make_quiz(lesson=lesson, questions=1)
        factories.ProgressFactory(child=world.child, lesson=lesson)
        factories.QuizAttemptFactory(child=world.child, quiz=quiz)
        factories.RecommendationFactory(child=world.child, lesson=lesson)
        made[level] = lesson
    return made


def _ids(result, path):
    child = result.data["me"]["child"]
    if path == "progress":
        return {row["lesson"]["id"] for row in child["progress"]}
    if path == "attempts":
        return {row["quiz"]["lesson"]["id"] for row in child["quizAttempts"]}
    return {row["lesson"]["id"] for row in child["recommendations"]}


def test_a_child_opens_the_lessons_of_their_level_below_it_the_next_one_and_mixed(
    world, lessons_of
):
    result = GraphQLClient(world.child.user).query("{ lessons { id } }")

    seen = {row["id"] for row in result.data["lessons"]}
    assert {str(lessons_of[level].pk) for level in ("KG1", "KG2", "MIXED")} <= seen
    assert str(lessons_of["KG3"].pk) not in seen


def test_a_lesson_above_the_childs_reach_is_not_found_by_id(world, lessons_of):
    result = GraphQLClient(world.child.user).query(
        "query($id: ID!) { lesson(id: $id) { title } }", {"id": str(lessons_of["KG3"].pk)}
    )

    assert result.codes == ["NOT_FOUND"]


@pytest.mark.parametrize("path", ["progress", "attempts", "recommendations"])
def test_an_unpublished_lesson_leaves_the_childs_home_screen_whole(world, lessons_of, path):
    lesson = lessons_of["KG1"]
    lesson_services.set_lesson_published(lesson=lesson, published=False, actor=world.admin)

    result = GraphQLClient(world.child.user).query(HOME)

    assert result.errors == []
    assert str(lesson.pk) not in _ids(result, path)
    assert str(lessons_of["MIXED"].pk) in _ids(result, path)


@pytest.mark.parametrize("path", ["progress", "attempts", "recommendations"])
def test_a_lesson_above_the_childs_reach_never_shows_through_their_rows(world, lessons_of, path):
    result = GraphQLClient(world.child.user).query(HOME)

    assert result.errors == []
    assert str(lessons_of["KG3"].pk) not in _ids(result, path)


def test_the_childs_teacher_still_sees_the_whole_history(world, lessons_of):
    result = GraphQLClient(world.teacher.user).query(
        "query($id: ID!) { child(id: $id) { progress { lesson { id } } } }",
        {"id": str(world.child.pk)},
    )

    seen = {row["lesson"]["id"] for row in result.data["child"]["progress"]}
    assert {str(lesson.pk) for lesson in lessons_of.values()} <= seen
