"""The migration that gave quiz answer rows their pass mark fills the rows written before it."""

import datetime
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("ai", "0002_pending_recommendation_refresh")
AFTER = ("ai", "0003_quiz_answer_pass_mark")


def _migrate(target):
    """Migrate the ai app to `target` (the quizzes app stays at its latest); return the models of then."""
    executor = MigrationExecutor(connection)
    targets = [target, *executor.loader.graph.leaf_nodes("quizzes")]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_answer_rows_take_their_quizs_pass_mark_or_the_former_default():
    apps = _migrate(BEFORE)
    try:
        Lesson = apps.get_model("lessons", "Lesson")
        Quiz = apps.get_model("quizzes", "Quiz")
        lesson = Lesson.objects.create(title="Counting", kg_level="KG1")
        quiz = Quiz.objects.create(lesson=lesson, title="Counting quiz", pass_mark=0.8)
        row = {
            "ml_student_id": uuid.uuid4(),
            "attempt_id": 1,
            "lesson_id": lesson.pk,
            "question_id": 1,
            "kg_level": "KG1",
            "correct": True,
            "answered_at": datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC),
        }
        raw_model = apps.get_model("ai", "QuizAttemptRaw")
        clean_model = apps.get_model("ai", "QuizAttemptClean")
        raw_model.objects.create(**row, client_attempt_id="a", quiz_id=quiz.pk)
        # A row whose quiz was deleted since.
        raw_model.objects.create(**row, client_attempt_id="b", quiz_id=quiz.pk + 1000)
        clean_model.objects.create(**row, raw_id=1, quiz_id=quiz.pk)

        apps = _migrate(AFTER)

        raw = apps.get_model("ai", "QuizAttemptRaw").objects.order_by("client_attempt_id")
        assert list(raw.values_list("pass_mark", flat=True)) == [0.8, 0.6]
        clean = apps.get_model("ai", "QuizAttemptClean").objects.get()
        assert clean.pass_mark == 0.8
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
