import datetime
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from learnify.ai.models import (
    PipelineRun,
    QuizAttemptClean,
    QuizAttemptRaw,
    StudentFeatures,
    StudentMLDataset,
)
from learnify.quizzes.models import Quiz
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(child):
    skill = factories.SkillFactory()
    quizzes = [
        factories.make_quiz(lesson=factories.LessonFactory(skills=[skill])) for _ in range(3)
    ]
    for quiz in quizzes:
        for question in quiz.questions.all():
            question.skill = skill
            question.save()
    start = timezone.now() - datetime.timedelta(days=3)
    for n, quiz in enumerate(quizzes):
        answers = [
            AnswerSubmission(q.pk, [q.choices.order_by("order")[n % 2].pk], 5)
            for q in quiz.questions.all()
        ]
        submit_quiz_attempt(
            child=child,
            quiz=quiz,
            answers=answers,
            client_attempt_id=f"h{n}",
            actor=child.user,
            finished_at=start + datetime.timedelta(hours=n),
        )
    return quizzes


def _counts():
    return {
        model._meta.db_table: model.objects.count()
        for model in apps.get_app_config("ai").get_models()
        if model is not PipelineRun
    }


def test_pipeline_fills_clean_dataset_and_feature_tables(history, child):
    out = io.StringIO()

    call_command("run_ml_pipeline", "--no-progress", stdout=out)

    assert QuizAttemptClean.objects.count() == QuizAttemptRaw.objects.count() == 9
    assert StudentMLDataset.objects.count() == 3
    first = StudentMLDataset.objects.order_by("attempted_at").first()
    assert first.features["child_attempts"] == 0  # nothing is known before a child's first attempt
    assert StudentFeatures.objects.filter(ml_student_id=child.ml_map.ml_student_id).exists()
    assert PipelineRun.objects.get().status == PipelineRun.Status.SUCCEEDED
    assert "9 kept" in out.getvalue()


def test_pipeline_twice_changes_nothing(history):
    call_command("run_ml_pipeline", "--no-progress", stdout=io.StringIO())
    before = _counts()

    call_command("run_ml_pipeline", "--no-progress", stdout=io.StringIO())

    assert _counts() == before


def test_pipeline_drops_impossible_rows_and_says_why(history, child):
    row = QuizAttemptRaw.objects.first()
    QuizAttemptRaw.objects.create(
        ml_student_id=row.ml_student_id,
        attempt_id=999,
        client_attempt_id="x",
        quiz_id=row.quiz_id,
        pass_mark=row.pass_mark,
        lesson_id=row.lesson_id,
        question_id=row.question_id,
        kg_level="KG1",
        correct=True,
        seconds=-5,
        answered_at=timezone.now(),
    )

    call_command("run_ml_pipeline", "--no-progress", stdout=io.StringIO())

    stats = PipelineRun.objects.get().stats
    assert stats["quiz_answers"]["kept"] == 9
    assert sum(stats["quiz_answers"]["dropped"].values()) == 1
    assert not QuizAttemptClean.objects.filter(attempt_id=999).exists()


def _submit(child, quiz, *, right: int, client_attempt_id: str):
    """Submit an attempt at `quiz` with its first `right` questions answered right, the others wrong."""
    answers = [
        AnswerSubmission(q.pk, [q.choices.order_by("order")[0 if n < right else 1].pk], 5)
        for n, q in enumerate(quiz.questions.order_by("order"))
    ]
    return submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=answers,
        client_attempt_id=client_attempt_id,
        actor=child.user,
    )


def test_a_submitted_attempt_logs_its_quizs_pass_mark_on_every_raw_row(child):
    quiz = factories.make_quiz(questions=4)
    Quiz.objects.filter(pk=quiz.pk).update(pass_mark=0.75)
    quiz.refresh_from_db()

    attempt = _submit(child, quiz, right=3, client_attempt_id="pm").attempt

    rows = QuizAttemptRaw.objects.filter(attempt_id=attempt.pk)
    assert rows.count() == 4
    assert set(rows.values_list("pass_mark", flat=True)) == {0.75}


def test_pipeline_judges_each_attempt_against_its_own_quizs_pass_mark(child):
    strict, lenient = factories.make_quiz(questions=3), factories.make_quiz(questions=3)
    Quiz.objects.filter(pk=strict.pk).update(pass_mark=0.8)
    Quiz.objects.filter(pk=lenient.pk).update(pass_mark=0.5)
    for n, quiz in enumerate((strict, lenient)):
        quiz.refresh_from_db()
        _submit(child, quiz, right=2, client_attempt_id=f"pm{n}")  # 2 of 3 right in both

    call_command("run_ml_pipeline", "--no-progress", stdout=io.StringIO())

    outcomes = dict(StudentMLDataset.objects.values_list("quiz_id", "outcome_success"))
    assert outcomes == {strict.pk: False, lenient.pk: True}
    marks = dict(QuizAttemptClean.objects.values_list("quiz_id", "pass_mark").distinct())
    assert marks == {strict.pk: 0.8, lenient.pk: 0.5}
