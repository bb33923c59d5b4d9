"""A few weeks of simulated classroom activity, played through the real services.

Each child gets a hidden ability per learning area (stronger, average and struggling learners), opens lessons in
curriculum order, retries quizzes they failed, and learns a little with every question. Attempts go through
`submit_quiz_attempt` and lesson visits through `update_lesson_progress` with past timestamps, so progress,
badges and the raw ML rows are exactly what real use would have written.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from learnify.accounts.models import ChildProfile
from learnify.ai.services import refresh_recommendations
from learnify.lessons.models import Lesson
from learnify.progress.services import update_lesson_progress
from learnify.quizzes.models import Question, Quiz, QuizAttempt
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt

LEARNER_TYPES = [  # (share of children, mean ability)
    (0.25, 1.2),
    (0.50, 0.3),
    (0.25, -0.8),
]
GUESS, SLIP = 0.2, 0.05
LEARNING_PER_QUESTION = 0.06
MAX_RETRIES = 2


@dataclass(frozen=True)
class QuestionKey:
    id: int
    kind: str
    domain: str
    choices: tuple[tuple[int, bool, int], ...]  # (id, is_correct, order)


@dataclass(frozen=True)
class LessonKey:
    id: int
    level: str
    order: int
    difficulty: float
    quiz: Quiz
    questions: tuple[QuestionKey, ...]


def load_lessons() -> list[LessonKey]:
    """Read every published lesson with its quiz, questions and choices in a few queries."""
    lessons = (
        Lesson.objects.published()
        .filter(quiz__is_published=True)
        .select_related("quiz")
        .prefetch_related("quiz__questions__choices", "quiz__questions__skill")
        .order_by("order", "id")
    )
    keys = []
    for lesson in lessons:
        questions = tuple(
            QuestionKey(
                id=q.pk,
                kind=q.kind,
                domain=q.skill.domain if q.skill else "",
                choices=tuple((c.pk, c.is_correct, c.order) for c in q.choices.all()),
            )
            for q in lesson.quiz.questions.all()
        )
        if questions:
            # Later lessons in a sequence are harder; each level starts a little harder than the one before.
            base = {"KG1": -0.6, "KG2": -0.3, "KG3": 0.0}.get(lesson.kg_level, -0.5)
            keys.append(
                LessonKey(
                    lesson.pk,
                    lesson.kg_level,
                    lesson.order,
                    base + 0.25 * lesson.order,
                    lesson.quiz,
                    questions,
                )
            )
    return keys


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _answer(
    rng: random.Random, question: QuestionKey, correct: bool, seconds: int
) -> AnswerSubmission:
    ordered = sorted(question.choices, key=lambda c: (c[2], c[0]))
    right = [c[0] for c in ordered if c[1]]
    wrong = [c[0] for c in ordered if not c[1]]
    if question.kind == Question.Kind.ORDERING:
        chosen = [c[0] for c in ordered]
        if not correct and len(chosen) > 1:
            i = rng.randrange(len(chosen) - 1)
            chosen[i], chosen[i + 1] = chosen[i + 1], chosen[i]
    elif question.kind == Question.Kind.MULTIPLE:
        chosen = list(right)
        if not correct:
            if wrong and (len(right) < 2 or rng.random() < 0.5):
                chosen.append(rng.choice(wrong))
            else:
                chosen.remove(rng.choice(right))
    else:
        chosen = right[:1] if correct or not wrong else [rng.choice(wrong)]
    return AnswerSubmission(question_id=question.id, choice_ids=chosen, seconds=seconds)


def _school_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def simulate_child(
    *, child: ChildProfile, lessons: list[LessonKey], days: list[datetime.date], rng: random.Random
) -> int:
    """Play a child's weeks through the services; return the number of quiz attempts made."""
    level_lessons = [lesson for lesson in lessons if lesson.level in (child.kg_level, "MIXED")]
    if not level_lessons:
        return 0
    draw, mean = rng.random(), LEARNER_TYPES[-1][1]
    for share, type_mean in LEARNER_TYPES:
        if draw < share:
            mean = type_mean
            break
        draw -= share
    ability: dict[str, float] = {}
    pace = rng.uniform(0.8, 1.4) if mean < 0 else rng.uniform(0.6, 1.1)  # seconds multiplier
    position, retries, attempts = 0, 0, 0
    actor = child.user
    tz = timezone.get_current_timezone()
    for day in days:
        if rng.random() > 0.8:
            continue  # absent or not on the tablet today
        moment = datetime.datetime.combine(day, datetime.time(9, rng.randrange(0, 50)), tzinfo=tz)
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            if position >= len(level_lessons):
                position = rng.randrange(len(level_lessons))  # finished the path: revisit something
            lesson = level_lessons[position]
            update_lesson_progress(
                child=child,
                lesson=lesson.quiz.lesson,
                percent=rng.randrange(40, 90),
                seconds=int(rng.randrange(90, 400) * pace),
                actor=actor,
                at=moment,
            )
            moment += datetime.timedelta(minutes=rng.randrange(4, 12))
            answers, right = [], 0
            for question in lesson.questions:
                theta = ability.setdefault(question.domain, rng.gauss(mean, 0.5))
                p = GUESS + (1 - GUESS - SLIP) * _sigmoid(1.7 * (theta - lesson.difficulty))
                correct = rng.random() < p
                right += correct
                ability[question.domain] = theta + LEARNING_PER_QUESTION
                answers.append(_answer(rng, question, correct, int(rng.randrange(3, 20) * pace)))
            outcome = submit_quiz_attempt(
                child=child,
                quiz=lesson.quiz,
                answers=answers,
                client_attempt_id=f"demo-{child.pk}-{attempts}",
                actor=actor,
                started_at=moment
                - datetime.timedelta(seconds=sum(a.seconds or 0 for a in answers)),
                finished_at=moment,
                refresh_recommendations=False,
            )
            attempts += 1
            moment += datetime.timedelta(minutes=rng.randrange(2, 10))
            if outcome.attempt.passed or retries >= MAX_RETRIES:
                position, retries = position + 1, 0
            else:
                retries += 1
    return attempts


def simulate_activity(
    *,
    children: list[ChildProfile],
    weeks: int,
    seed: int,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Simulate `weeks` of school days up to yesterday for children who have no activity yet.

    Return the number of quiz attempts made. Children who already have attempts are left alone, which is what
    makes `seed_demo` safe to run again.
    """
    lessons = load_lessons()
    today = timezone.localdate()
    days = _school_days(today - datetime.timedelta(weeks=weeks), today - datetime.timedelta(days=1))
    active = set(
        QuizAttempt.objects.filter(child__in=children).values_list("child_id", flat=True).distinct()
    )
    total = 0
    for child in children:
        if child.pk not in active:
            with transaction.atomic():
                total += simulate_child(
                    child=child, lessons=lessons, days=days, rng=random.Random(f"{seed}-{child.pk}")
                )
                refresh_recommendations(child=child, now=timezone.now())
        if on_progress:
            on_progress(1)
    return total
