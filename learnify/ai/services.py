"""Writes on the recommender's tables that the rest of the backend triggers.

Raw rows are written in the caller's transaction, so a quiz attempt and its ML rows commit or vanish together.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from learnify.accounts.models import ChildProfile
from learnify.ai.models import LessonInteractionRaw, MLStudentMap, QuizAttemptRaw


def create_ml_student_map(*, child: ChildProfile) -> MLStudentMap:
    """Give a new child their pseudonymous id for the pipeline tables."""
    ml_map, _ = MLStudentMap.objects.get_or_create(child=child)
    return ml_map


def _ml_student_id(child: ChildProfile):
    # Enrolment creates the map; a child created some other way gets one now rather than losing rows.
    try:
        return child.ml_map.ml_student_id
    except MLStudentMap.DoesNotExist:
        return create_ml_student_map(child=child).ml_student_id


def log_lesson_interaction(
    *,
    child: ChildProfile,
    lesson_id: int,
    kg_level: str,
    status: str,
    percent: int,
    seconds_spent: int,
    occurred_at: datetime.datetime,
) -> LessonInteractionRaw:
    """Write one raw lesson interaction for the pipeline."""
    return LessonInteractionRaw.objects.create(
        ml_student_id=_ml_student_id(child),
        lesson_id=lesson_id,
        kg_level=kg_level,
        status=status,
        percent=percent,
        seconds_spent=seconds_spent,
        occurred_at=occurred_at,
    )


def log_quiz_answers(*, child: ChildProfile, attempt, answers: Iterable) -> list[QuizAttemptRaw]:
    """Write one raw row per answered question of `attempt` for the pipeline."""
    ml_student_id = _ml_student_id(child)
    quiz = attempt.quiz
    rows = [
        QuizAttemptRaw(
            ml_student_id=ml_student_id,
            attempt_id=attempt.pk,
            client_attempt_id=attempt.client_attempt_id,
            quiz_id=quiz.pk,
            lesson_id=quiz.lesson_id,
            question_id=answer.question_id,
            skill_id=answer.question.skill_id,
            kg_level=quiz.lesson.kg_level,
            correct=answer.correct,
            seconds=answer.seconds,
            answered_at=attempt.finished_at,
        )
        for answer in answers
    ]
    return QuizAttemptRaw.objects.bulk_create(rows)
