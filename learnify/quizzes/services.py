"""Writes on quizzes: a child's attempt, scored on the server."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from learnify.accounts.access import children as children_policy
from learnify.accounts.models import ChildProfile, User
from learnify.ai import selectors as ai_selectors
from learnify.ai import services as ai_services
from learnify.ai.models import Recommendation
from learnify.core import events
from learnify.core.exceptions import ConflictError
from learnify.core.faults import pause_point
from learnify.core.services import record_audit_event
from learnify.progress import services as progress_services
from learnify.progress.models import Achievement
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt
from learnify.quizzes.scoring import ChoiceKey, is_answer_correct

MAX_SECONDS_PER_ANSWER = 60 * 60
MAX_CLIENT_ATTEMPT_ID_LENGTH = 64


@dataclass(frozen=True)
class AnswerSubmission:
    question_id: int
    choice_ids: Sequence[int]
    seconds: int | None = None


@dataclass
class QuizAttemptOutcome:
    attempt: QuizAttempt
    # question id -> whether the child answered it correctly, in question order
    results: dict[int, bool]
    new_achievements: list[Achievement] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    # False when the same client attempt id had been stored before: this is the first result, replayed.
    created: bool = True


def _validate(
    quiz: Quiz, answers: Sequence[AnswerSubmission]
) -> tuple[dict[int, Question], dict[int, list[ChoiceKey]]]:
    """Return the quiz's questions and each one's choices; raise ValidationError for answers that do not fit."""
    questions = {q.pk: q for q in quiz.questions.all()}
    choices_by_question: dict[int, list[ChoiceKey]] = {pk: [] for pk in questions}
    for choice in Choice.objects.filter(question__quiz=quiz).only(
        "id", "question_id", "is_correct", "order"
    ):
        choices_by_question[choice.question_id].append(
            ChoiceKey(id=choice.pk, is_correct=choice.is_correct, order=choice.order)
        )
    seen: set[int] = set()
    for answer in answers:
        if answer.question_id not in choices_by_question:
            raise ValidationError(
                {"answers": f"Question {answer.question_id} is not part of this quiz."}
            )
        if answer.question_id in seen:
            raise ValidationError({"answers": f"Question {answer.question_id} is answered twice."})
        seen.add(answer.question_id)
        valid_ids = {c.id for c in choices_by_question[answer.question_id]}
        unknown = [cid for cid in answer.choice_ids if cid not in valid_ids]
        if unknown:
            raise ValidationError(
                {
                    "answers": f"Choice {unknown[0]} does not belong to question {answer.question_id}."
                }
            )
        if answer.seconds is not None and not 0 <= answer.seconds <= MAX_SECONDS_PER_ANSWER:
            raise ValidationError(
                {"answers": f"Seconds must be between 0 and {MAX_SECONDS_PER_ANSWER}."}
            )
    return questions, choices_by_question


def _replay(attempt: QuizAttempt, quiz: Quiz, *, actor: Any) -> QuizAttemptOutcome:
    if attempt.quiz_id != quiz.pk:
        raise ConflictError("This attempt id was already used for another quiz.")
    results = dict(
        attempt.answers.order_by("question__order", "question_id").values_list(
            "question_id", "correct"
        )
    )
    return QuizAttemptOutcome(
        attempt=attempt,
        results=results,
        recommendations=ai_selectors.recommendations_for(actor, attempt.child),
        created=False,
    )


def publish_attempt_events(
    *, attempt: QuizAttempt, classroom_id: int | None, progress, new_achievements: list[Achievement]
) -> None:
    """Publish the attempt, the progress it made and its badges (call after commit)."""
    events.publish_child_events(
        [
            events.child_event(
                kind=events.QUIZ_ATTEMPTED,
                child_id=attempt.child_id,
                classroom_id=classroom_id,
                lesson_id=attempt.quiz.lesson_id,
                quiz_id=attempt.quiz_id,
                attempt_id=attempt.pk,
                score=attempt.score,
                status=progress.status,
                percent=progress.percent,
                occurred_at=(attempt.finished_at or timezone.now()).isoformat(),
            ),
            *progress_services.progress_events(
                progress=progress, new_achievements=new_achievements, classroom_id=classroom_id
            ),
        ]
    )


def submit_quiz_attempt(
    *,
    child: ChildProfile,
    quiz: Quiz,
    answers: Sequence[AnswerSubmission],
    client_attempt_id: str,
    actor: User,
    started_at: datetime.datetime | None = None,
    finished_at: datetime.datetime | None = None,
    refresh_recommendations: bool = True,
) -> QuizAttemptOutcome:
    """Score a child's answers on the server and store the attempt with everything that follows from it.

    In one transaction: the attempt and every answer, the lesson's progress, new achievements and the raw ML
    rows; events go out after commit. The child's recommendations are refreshed from the attempt after the
    commit, off the request (`ai.services.refresh_after_attempt`); the outcome carries the active set as it
    stands when the answer goes back. The same `client_attempt_id`
    sent again (a tablet retrying, or two requests at once) returns the first result and stores nothing new.
    `refresh_recommendations=False` is for replaying history (the demo simulator), which refreshes once after.

    Raises PermissionDenied, ValidationError for answers that do not fit the quiz, ConflictError when the attempt id
    was used for another quiz.
    """
    if not children_policy.can(actor, "record", child):
        raise PermissionDenied
    client_attempt_id = client_attempt_id.strip()
    if not client_attempt_id or len(client_attempt_id) > MAX_CLIENT_ATTEMPT_ID_LENGTH:
        raise ValidationError(
            {
                "client_attempt_id": f"Send an attempt id of 1 to {MAX_CLIENT_ATTEMPT_ID_LENGTH} characters."
            }
        )
    existing = QuizAttempt.objects.filter(child=child, client_attempt_id=client_attempt_id).first()
    if existing is not None:
        return _replay(existing, quiz, actor=actor)
    if not (quiz.is_published and quiz.lesson.is_published):
        raise ValidationError({"quiz": "This quiz is not published."})
    questions, choices_by_question = _validate(quiz, answers)

    finished_at = finished_at or timezone.now()
    results: dict[int, bool] = {}
    submitted = {a.question_id: a for a in answers}
    for question_id, choices in choices_by_question.items():
        answer = submitted.get(question_id)
        results[question_id] = answer is not None and is_answer_correct(
            questions[question_id].kind, choices, [int(c) for c in answer.choice_ids]
        )
    correct_count = sum(results.values())
    question_count = len(results)

    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                child=child,
                quiz=quiz,
                client_attempt_id=client_attempt_id,
                started_at=started_at or finished_at,
                finished_at=finished_at,
                score=correct_count / question_count if question_count else 0.0,
                correct_count=correct_count,
                question_count=question_count,
            )
            stored = Answer.objects.bulk_create(
                [
                    Answer(
                        attempt=attempt,
                        question_id=answer.question_id,
                        chosen_order=[int(c) for c in answer.choice_ids],
                        correct=results[answer.question_id],
                        seconds=answer.seconds,
                    )
                    for answer in answers
                ]
            )
            through = Answer.chosen_choices.through
            through.objects.bulk_create(
                [
                    through(answer_id=row.pk, choice_id=int(choice_id))
                    for row, answer in zip(stored, answers, strict=True)
                    for choice_id in dict.fromkeys(answer.choice_ids)
                ]
            )
            progress = progress_services.apply_lesson_progress(
                child=child,
                lesson=quiz.lesson,
                percent=100 if attempt.passed else 0,
                seconds=sum(a.seconds or 0 for a in answers),
                at=finished_at,
            )
            for row in stored:
                row.question = questions[row.question_id]
            ai_services.log_quiz_answers(child=child, attempt=attempt, answers=stored)
            new_achievements = progress_services.award_new_achievements(child=child, at=finished_at)
            record_audit_event(
                action="quiz.attempted",
                actor=actor,
                target=attempt,
                metadata={"child_id": child.pk, "quiz_id": quiz.pk, "score": attempt.score},
            )
            if refresh_recommendations:
                ai_services.refresh_after_attempt(child=child, at=finished_at)
            pause_point("quiz-submit-in-transaction")
            transaction.on_commit(
                partial(
                    publish_attempt_events,
                    attempt=attempt,
                    classroom_id=child.classroom_id,
                    progress=progress,
                    new_achievements=new_achievements,
                )
            )
    except IntegrityError:
        # Another request stored the same client attempt id between our check and our insert.
        existing = QuizAttempt.objects.filter(
            child=child, client_attempt_id=client_attempt_id
        ).first()
        if existing is None:
            raise
        return _replay(existing, quiz, actor=actor)
    pause_point("quiz-submit-after-commit")
    return QuizAttemptOutcome(
        attempt=attempt,
        results=results,
        new_achievements=new_achievements,
        recommendations=ai_selectors.recommendations_for(actor, child)
        if refresh_recommendations
        else [],
        created=True,
    )
