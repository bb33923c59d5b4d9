"""A submit's recommendation refresh reads a bounded amount, however long the child's history grows."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learnify.ai import selectors, services
from learnify.ai.models import QuizAttemptRaw
from learnify.lessons import services as lesson_services
from learnify.quizzes.models import Answer, QuizAttempt
from tests import factories

pytestmark = pytest.mark.django_db


def _add_history(child, lessons, *, attempts: int, start: datetime.datetime) -> None:
    """Store `attempts` finished attempts with their answers and raw rows, the way a submit stores them."""
    ml_student_id = child.ml_map.ml_student_id
    made = []
    for n in range(attempts):
        quiz = lessons[n % len(lessons)].quiz
        at = start + datetime.timedelta(minutes=n)
        made.append(
            QuizAttempt(
                child=child,
                quiz=quiz,
                client_attempt_id=f"history-{start.timestamp()}-{n}",
                started_at=at,
                finished_at=at,
                score=0.5,
                correct_count=2,
                question_count=4,
            )
        )
    QuizAttempt.objects.bulk_create(made)
    answers, raws = [], []
    for n, attempt in enumerate(made):
        for i, question in enumerate(attempt.quiz.questions.order_by("order")):
            correct = (n + i) % 2 == 0
            answers.append(Answer(attempt=attempt, question=question, correct=correct, seconds=5))
            raws.append(
                QuizAttemptRaw(
                    ml_student_id=ml_student_id,
                    attempt_id=attempt.pk,
                    client_attempt_id=attempt.client_attempt_id,
                    quiz_id=attempt.quiz_id,
                    pass_mark=attempt.quiz.pass_mark,
                    lesson_id=attempt.quiz.lesson_id,
                    question_id=question.pk,
                    skill_id=question.skill_id,
                    kg_level=attempt.quiz.lesson.kg_level,
                    correct=correct,
                    seconds=5,
                    answered_at=attempt.finished_at,
                )
            )
    Answer.objects.bulk_create(answers)
    QuizAttemptRaw.objects.bulk_create(raws)


class _RowSpy:
    """Counts the rows the refresh turns into frames and the answers its mastery estimate reads."""

    def __init__(self, monkeypatch) -> None:
        self.frame_rows: list[int] = []
        self.mastery_rows: list[int] = []
        frame, estimate = selectors._frame, selectors.estimate_mastery

        def counting_frame(queryset, fields):
            result = frame(queryset, fields)
            self.frame_rows.append(len(result))
            return result

        def counting_estimate(answers: pd.DataFrame) -> pd.DataFrame:
            self.mastery_rows.append(len(answers))
            return estimate(answers)

        monkeypatch.setattr(selectors, "_frame", counting_frame)
        monkeypatch.setattr(selectors, "estimate_mastery", counting_estimate)

    def reset(self) -> None:
        self.frame_rows.clear()
        self.mastery_rows.clear()


def test_the_refresh_reads_the_same_whatever_the_length_of_the_history(
    active_model, classroom, levels_world, monkeypatch
):
    child = factories.ChildProfileFactory(classroom=classroom, kg_level="KG1")
    now = timezone.now()
    _add_history(child, levels_world["KG1"], attempts=60, start=now - datetime.timedelta(days=3))
    spy = _RowSpy(monkeypatch)
    services.refresh_recommendations(child=child)  # loads the model and caches the lessons frame
    spy.reset()
    with CaptureQueriesContext(connection) as short_history:
        services.refresh_recommendations(child=child)
    short_rows = (sum(spy.frame_rows), sum(spy.mastery_rows))

    # Ten times the history, older than what the child did recently: the refresh must not read it.
    _add_history(child, levels_world["KG1"], attempts=600, start=now - datetime.timedelta(days=60))
    spy.reset()
    with CaptureQueriesContext(connection) as long_history:
        recommendations = services.refresh_recommendations(child=child)

    assert recommendations
    assert recommendations[0].source == active_model.version  # the model served, not the rules
    assert len(long_history) == len(short_history)
    assert max(spy.frame_rows) <= selectors.ONLINE_HISTORY_ANSWERS
    assert sum(spy.mastery_rows) <= selectors.ONLINE_MASTERY_ATTEMPTS * 4
    assert (sum(spy.frame_rows), sum(spy.mastery_rows)) <= (
        short_rows[0] + selectors.ONLINE_HISTORY_ANSWERS,
        selectors.ONLINE_MASTERY_ATTEMPTS * 4,
    )
    raw_reads = [q["sql"] for q in long_history if 'FROM "ai_quiz_attempts_raw"' in q["sql"]]
    assert raw_reads
    assert all("LIMIT" in sql for sql in raw_reads)


def test_the_window_keeps_whole_attempts_and_the_newest_ones(classroom, levels_world):
    child = factories.ChildProfileFactory(classroom=classroom, kg_level="KG1")
    _add_history(
        child, levels_world["KG1"], attempts=70, start=timezone.now() - datetime.timedelta(days=1)
    )
    frame = selectors.raw_quiz_answers_frame(child.ml_map.ml_student_id, newest=10)

    per_attempt = frame.groupby("attempt_id").size()
    assert len(frame) == 8
    assert (per_attempt == 4).all()  # the third attempt, cut by the window, is left out whole
    newest = QuizAttempt.objects.filter(child=child).order_by("-finished_at")[:2]
    assert set(per_attempt.index) == {a.pk for a in newest}
    assert frame["id"].is_monotonic_increasing


def test_the_cached_lessons_frame_follows_lesson_edits(levels_world):
    levels = ["KG1", "MIXED"]
    before = selectors.lessons_frame(levels)
    skill = factories.SkillFactory()
    added = factories.LessonFactory(kg_level="KG1", skills=[skill], order=99)
    unpublished = levels_world["KG1"][0]
    unpublished.is_published = False
    unpublished.save()

    after = selectors.lessons_frame(levels)

    assert added.pk in set(after["lesson_id"])
    assert added.pk not in set(before["lesson_id"])
    assert unpublished.pk not in set(after["lesson_id"])
    assert after.set_index("lesson_id").loc[added.pk, "skill_ids"] == [skill.pk]


def test_reordering_a_lesson_refreshes_the_cached_frame(levels_world, admin_user):
    levels = ["KG1", "MIXED"]
    first, second = levels_world["KG1"][0], levels_world["KG1"][1]
    orders = selectors.lessons_frame(levels).set_index("lesson_id")["order"]
    assert orders[first.pk] < orders[second.pk]

    lesson_services.move_lesson(lesson=second, direction=-1, actor=admin_user)

    orders = selectors.lessons_frame(levels).set_index("lesson_id")["order"]
    assert orders[second.pk] < orders[first.pk]


def test_the_model_scores_a_bounded_number_of_lessons_however_many_are_published(
    active_model, classroom, levels_world, monkeypatch, settings
):
    from recommender import policy

    settings.RECOMMENDER_MAX_CANDIDATES = 5
    child = factories.ChildProfileFactory(classroom=classroom, kg_level="KG1")
    _add_history(
        child, levels_world["KG1"], attempts=10, start=timezone.now() - datetime.timedelta(days=1)
    )
    featured: list[int] = []
    features = policy.features_for_candidates

    def counting(history, interactions, candidates, *args, **kwargs):
        featured.append(len(candidates))
        return features(history, interactions, candidates, *args, **kwargs)

    monkeypatch.setattr(policy, "features_for_candidates", counting)
    services.refresh_recommendations(child=child)
    with CaptureQueriesContext(connection) as few_lessons:
        services.refresh_recommendations(child=child)
    skill = levels_world["KG1"][0].skills.first()
    for _ in range(30):
        lesson = factories.LessonFactory(kg_level="KG1", skills=[skill])
        factories.make_quiz(lesson=lesson, questions=4).questions.update(skill=skill)
    services.refresh_recommendations(child=child)  # rebuilds the lessons frame once
    with CaptureQueriesContext(connection) as many_lessons:
        recommendations = services.refresh_recommendations(child=child)

    assert recommendations[0].source == active_model.version
    assert max(featured) == 5
    assert len(many_lessons) == len(few_lessons)
