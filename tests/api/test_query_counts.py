"""Every list operation runs a fixed number of SQL queries, whatever the list sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db

LESSONS = """
{ lessons(pagination: {limit: 100}) {
    id title skills { code } myProgress { percent }
    quiz { id title questions { id prompt kind choices { id label imageUrl } } }
} }
"""
CHILD = """
query Child($id: ID!) { child(id: $id) {
    displayName
    progress { percent status lesson { title } }
    recommendations(limit: 20) { score reason lesson { title } }
} }
"""
CHILDREN = """
query Children($classroomId: ID) { children(classroomId: $classroomId) {
    displayName kgLevel pictureCode progress { percent lesson { title } }
} }
"""


def _count(client, query, variables=None):
    with CaptureQueriesContext(connection) as captured:
        result = client.query(query, variables)
    assert not result.errors, result.errors
    return len(captured), result.data


def _add_lessons(n, skill):
    for _ in range(n):
        factories.make_quiz(lesson=factories.LessonFactory(skills=[skill]), questions=3, choices=3)


def test_lessons_with_quiz_questions_and_choices_constant_queries():
    child = factories.ChildProfileFactory()
    client = GraphQLClient(child.user)
    skill = factories.SkillFactory()
    _add_lessons(3, skill)
    small, data = _count(client, LESSONS)
    assert len(data["lessons"]) == 3

    _add_lessons(12, skill)
    large, data = _count(client, LESSONS)

    assert len(data["lessons"]) == 15
    assert all(len(lesson["quiz"]["questions"]) == 3 for lesson in data["lessons"])
    assert small == large
    # token's user, lessons, skills, the child's progress, quizzes, questions, choices
    assert large == 7


def _grow_child(child, n):
    for _ in range(n):
        lesson = factories.LessonFactory()
        factories.ProgressFactory(child=child, lesson=lesson)
        factories.RecommendationFactory(child=child, lesson=factories.LessonFactory())


def test_child_with_progress_and_recommendations_constant_queries():
    teacher = factories.TeacherProfileFactory()
    child = factories.ChildProfileFactory(classroom=factories.ClassroomFactory(teachers=[teacher]))
    client = GraphQLClient(teacher.user)
    _grow_child(child, 2)
    small, data = _count(client, CHILD, {"id": str(child.pk)})
    assert len(data["child"]["progress"]) == 2

    _grow_child(child, 10)
    large, data = _count(client, CHILD, {"id": str(child.pk)})

    assert len(data["child"]["progress"]) == 12
    assert len(data["child"]["recommendations"]) == 12
    assert small == large
    # token's user, the child, progress, its lessons (visibility-scoped), recommendations with lessons;
    # then the audit entry of an adult reading a child's record (its insert, in a savepoint here)
    assert large == 8


def _grow_classroom(classroom, n):
    for _ in range(n):
        child = factories.ChildProfileFactory(classroom=classroom)
        factories.ProgressFactory(child=child)


def test_children_of_a_classroom_constant_queries():
    teacher = factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher])
    client = GraphQLClient(teacher.user)
    _grow_classroom(classroom, 3)
    small, data = _count(client, CHILDREN, {"classroomId": str(classroom.pk)})
    assert len(data["children"]) == 3

    _grow_classroom(classroom, 15)
    large, data = _count(client, CHILDREN, {"classroomId": str(classroom.pk)})

    assert len(data["children"]) == 18
    assert all(len(c["progress"]) == 1 for c in data["children"])
    assert small == large
    # token's user, the classroom check, children, progress, its lessons (visibility-scoped)
    assert large == 5
