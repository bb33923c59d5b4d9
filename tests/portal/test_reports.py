import csv
import io

import pytest

from learnify.core.models import AuditLog
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(portal):
    skill = factories.SkillFactory(code="NUM-COUNT-5", name="Counting to 5")
    quiz = factories.make_quiz(lesson=factories.LessonFactory(skills=[skill]), questions=4)
    questions = list(quiz.questions.order_by("order"))
    for question in questions:
        question.skill = skill
        question.save()
    # Sami misses the first question three times; everything else is right.
    for attempt in range(3):
        answers = [
            AnswerSubmission(q.pk, [q.choices.order_by("order")[1 if i == 0 else 0].pk], 3)
            for i, q in enumerate(questions)
        ]
        submit_quiz_attempt(
            child=portal.child,
            quiz=quiz,
            answers=answers,
            client_attempt_id=f"r{attempt}",
            actor=portal.child.user,
        )
    return {"skill": skill, "missed": questions[0]}


def test_report_shows_mastery_heat_map_and_most_missed_question(portal, answered):
    page = portal.as_teacher.get(
        f"/portal/classrooms/{portal.classroom.pk}/report/"
    ).content.decode()

    assert "Counting to 5" in page
    assert 'class="heat-' in page
    assert answered["missed"].prompt in page


def test_report_csv_matches_the_screen_with_numbers_as_numbers(portal, answered):
    from learnify.progress.selectors import classroom_report

    report = classroom_report(portal.classroom)
    response = portal.as_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/report.csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["child", "NUM-COUNT-5 estimate", "NUM-COUNT-5 band"]
    assert rows[1][0] == "Sami"
    assert float(rows[1][1]) == report.rows[0]["cells"][answered["skill"].pk]["estimate"]
    missed_header = rows.index(["question", "quiz", "answers", "wrong", "wrong_rate"])
    first_missed = rows[missed_header + 1]
    assert first_missed[0] == answered["missed"].prompt
    assert (int(first_missed[2]), int(first_missed[3]), float(first_missed[4])) == (3, 3, 1.0)
    assert AuditLog.objects.filter(
        action="report.exported", actor_id=portal.teacher.user_id
    ).exists()


def test_other_teacher_cannot_see_or_export_the_report(portal, answered):
    assert (
        portal.as_other_teacher.get(f"/portal/classrooms/{portal.classroom.pk}/report/").status_code
        == 404
    )
    assert (
        portal.as_other_teacher.get(
            f"/portal/classrooms/{portal.classroom.pk}/report.csv"
        ).status_code
        == 404
    )
