"""Reads for the teacher's screens: the class report, a child's history, the live grid."""

from __future__ import annotations

import pytest

from learnify.ai import selectors as ai_selectors
from learnify.progress import selectors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(classroom, child):
    """Two children of the class who answered questions of two skills, right and wrong."""
    classmate = factories.ChildProfileFactory(classroom=classroom)
    skills = [factories.SkillFactory(), factories.SkillFactory()]
    lesson = factories.LessonFactory(skills=skills)
    quiz = factories.make_quiz(lesson=lesson, questions=4)
    questions = list(quiz.questions.order_by("order"))
    for index, question in enumerate(questions):
        question.skill = skills[index % 2]
        question.save()
    for someone, pattern in ((child, [1, 1, 1, 0]), (classmate, [0, 0, 0, 0])):
        for _ in range(3):
            attempt = factories.QuizAttemptFactory(child=someone, quiz=quiz)
            for question, correct in zip(questions, pattern, strict=True):
                factories.AnswerFactory(attempt=attempt, question=question, correct=bool(correct))
    return classroom, [child, classmate], skills


def test_the_class_report_shows_the_same_mastery_as_each_childs_page(answered):
    classroom, children, _ = answered

    report = selectors.classroom_report(classroom)

    for row in report.rows:
        own = {m.skill.pk: m for m in ai_selectors.mastery_for_child(row["child"])}
        assert set(row["cells"]) == set(own)
        for skill_id, cell in row["cells"].items():
            assert cell["band"] == own[skill_id].band
            assert cell["estimate"] == pytest.approx(own[skill_id].estimate)
            assert cell["attempts"] == own[skill_id].attempts
    estimates = {row["child"].pk: row["cells"] for row in report.rows}
    strong, weak = children
    assert all(
        estimates[strong.pk][s]["estimate"] > estimates[weak.pk][s]["estimate"]
        for s in estimates[strong.pk]
    )


def test_a_childs_history_shows_what_the_viewer_may_see(child, teacher, admin_user):
    mine = factories.LessonFactory()
    draft = factories.LessonFactory(is_published=False)
    for lesson in (mine, draft):
        factories.ProgressFactory(child=child, lesson=lesson)
        factories.QuizAttemptFactory(child=child, quiz=factories.make_quiz(lesson=lesson))

    by_teacher = selectors.child_progress(child, viewer=teacher.user)
    by_admin = selectors.child_progress(child, viewer=admin_user)
    attempts_by_teacher = selectors.child_attempt_history(child, viewer=teacher.user)

    assert [p.lesson for p in by_teacher] == [mine]
    assert {p.lesson for p in by_admin} == {mine, draft}
    assert [a.quiz.lesson for a in attempts_by_teacher] == [mine]


@pytest.mark.parametrize(("pass_mark", "needs_help"), [(0.8, True), (0.6, False)])
def test_the_live_grid_calls_twice_failed_by_the_quizs_own_pass_mark(
    classroom, child, teacher, pass_mark, needs_help
):
    quiz = factories.make_quiz(lesson=factories.LessonFactory())
    quiz.pass_mark = pass_mark
    quiz.save()
    for _ in range(2):
        factories.QuizAttemptFactory(child=child, quiz=quiz, score=0.7)

    grid = selectors.live_grid(teacher.user, classroom)

    row = next(r for r in grid.rows if r.child == child)
    assert any("failed" in reason for reason in row.needs_help) is needs_help
