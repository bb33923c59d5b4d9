"""The generated children and everything their months of answers leave behind: attempts, answers, progress, the
raw ML rows, achievements and an active set of recommendations."""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from bench.generate.curriculum import PASS_MARK, Curriculum
from bench.generate.school import USER_COLUMNS, School, user_row
from bench.generate.sizes import LEVELS, QUESTIONS_PER_QUIZ, Sizes
from bench.generate.writer import RowWriter, through
from learnify.accounts.models import AVATARS, PICTURE_ICONS, ChildProfile, User
from learnify.ai.models import LessonInteractionRaw, MLStudentMap, QuizAttemptRaw, Recommendation
from learnify.progress.models import Achievement, Badge, Progress
from learnify.quizzes.models import Answer, QuizAttempt

# The answers spread over this much time before `now`.
WINDOW = datetime.timedelta(days=60)
ATTEMPT_COLUMNS = (
    "id",
    "child_id",
    "quiz_id",
    "client_attempt_id",
    "started_at",
    "finished_at",
    "score",
    "correct_count",
    "question_count",
)
ANSWER_COLUMNS = ("id", "attempt_id", "question_id", "chosen_order", "correct", "seconds")
RAW_ANSWER_COLUMNS = (
    "id",
    "event_id",
    "ml_student_id",
    "attempt_id",
    "client_attempt_id",
    "quiz_id",
    "pass_mark",
    "lesson_id",
    "question_id",
    "skill_id",
    "kg_level",
    "correct",
    "seconds",
    "answered_at",
    "recorded_at",
)
PROGRESS_COLUMNS = (
    "id",
    "child_id",
    "lesson_id",
    "status",
    "percent",
    "seconds_spent",
    "started_at",
    "last_accessed_at",
    "completed_at",
)
RAW_INTERACTION_COLUMNS = (
    "id",
    "event_id",
    "ml_student_id",
    "lesson_id",
    "kg_level",
    "status",
    "percent",
    "seconds_spent",
    "occurred_at",
    "recorded_at",
)
RECOMMENDATION_COLUMNS = (
    "id",
    "child_id",
    "lesson_id",
    "score",
    "rank",
    "reason_code",
    "reason",
    "source",
    "status",
    "is_active",
    "pinned",
    "created_at",
)


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class _Ids:
    """The last id written per table: rows get their ids here, so the COPY load needs no round trips."""

    user: int
    attempt: int = 0
    answer: int = 0
    chosen: int = 0
    raw_answer: int = 0
    progress: int = 0
    raw_interaction: int = 0
    achievement: int = 0
    recommendation: int = 0


@dataclass(frozen=True)
class _Child:
    id: int
    level: str
    ml_id: uuid.UUID
    lessons: list[int]  # their level's lessons, then the MIXED ones, in order


@dataclass
class _LessonState:
    """What a child's attempts at one lesson add up to."""

    best: float
    seconds: int
    first: datetime.datetime
    last: datetime.datetime
    completed_at: datetime.datetime | None


@dataclass
class _History:
    lessons: dict[int, _LessonState]  # in the order the child first attempted them
    finished: int = 0
    perfect: int = 0

    def completed(self) -> list[int]:
        return [lid for lid, state in self.lessons.items() if state.completed_at is not None]


def write_children(
    sizes: Sizes,
    rng: random.Random,
    now: datetime.datetime,
    w: RowWriter,
    school: School,
    curriculum: Curriculum,
) -> None:
    """Write every child with their account, ML id, attempts, progress, badges and recommendations."""
    ids = _Ids(user=school.last_user_id)
    badges = list(Badge.objects.values_list("id", "criterion", "threshold"))
    skill_domain = curriculum.skill_domain()
    mixed = set(curriculum.lessons_of["MIXED"])
    attempts_total = sizes.answers // QUESTIONS_PER_QUIZ
    per_child, extra = divmod(attempts_total, sizes.children)
    for child_index in range(sizes.children):
        child = _write_child(child_index, sizes, rng, now, w, school, curriculum, ids)
        n_attempts = per_child + (1 if child_index < extra else 0)
        history = _write_attempts(child, n_attempts, rng, now, w, curriculum, mixed, ids)
        _write_progress(child, history, rng, w, mixed, ids)
        # Badges exactly as award_new_achievements would have given them.
        completed = history.completed()
        counts = {
            "QUIZZES_FINISHED": history.finished,
            "PERFECT_SCORES": history.perfect,
            "LESSONS_COMPLETED": len(completed),
            "DOMAINS_EXPLORED": len(
                {skill_domain[curriculum.lesson_skill[lid]] for lid in completed}
            ),
        }
        for badge_id, criterion, threshold in badges:
            if counts.get(criterion, 0) >= threshold:
                ids.achievement += 1
                w.add(
                    Achievement,
                    ("id", "child_id", "badge_id", "awarded_at"),
                    (ids.achievement, child.id, badge_id, now),
                )
        _write_recommendations(child, history, now, w, curriculum, ids)


def _write_child(
    child_index: int,
    sizes: Sizes,
    rng: random.Random,
    now: datetime.datetime,
    w: RowWriter,
    school: School,
    curriculum: Curriculum,
    ids: _Ids,
) -> _Child:
    child_id = child_index + 1
    classroom_id = child_index % sizes.classrooms + 1
    level = school.classroom_level[classroom_id]
    ids.user += 1
    w.add(User, USER_COLUMNS, user_row(ids.user, f"bench-child-{child_id}", "CHILD", now))
    age = 4 + LEVELS.index(level)
    birth = datetime.date(now.year - age - 1, 1 + child_index % 12, 1 + child_index % 28)
    icons = rng.sample(PICTURE_ICONS, 3)
    w.add(
        ChildProfile,
        (
            "id",
            "user_id",
            "display_name",
            "birth_date",
            "kg_level",
            "avatar",
            "classroom_id",
            "picture_code",
            "enrolled_at",
        ),
        (
            child_id,
            ids.user,
            f"Child {child_id}",
            birth,
            level,
            AVATARS[child_index % len(AVATARS)],
            classroom_id,
            ",".join(icons),
            now - WINDOW,
        ),
    )
    ml_id = random_uuid(rng)
    w.add(
        MLStudentMap,
        ("id", "child_id", "ml_student_id", "created_at"),
        (child_id, child_id, ml_id, now - WINDOW),
    )
    lessons = curriculum.lessons_of[level] + curriculum.lessons_of["MIXED"]
    return _Child(child_id, level, ml_id, lessons)


def _write_attempts(
    child: _Child,
    n_attempts: int,
    rng: random.Random,
    now: datetime.datetime,
    w: RowWriter,
    curriculum: Curriculum,
    mixed: set[int],
    ids: _Ids,
) -> _History:
    """The child works through their level's lessons (and the mixed ones) in order, redoing some."""
    ability = rng.uniform(0.45, 0.95)
    times = sorted(now - WINDOW * rng.random() for _ in range(n_attempts))
    history = _History({})
    answer_through = through(Answer, "chosen_choices")
    position = 0
    for at in times:
        if position > 0 and rng.random() < 0.2:
            lesson_id = child.lessons[rng.randrange(position) % len(child.lessons)]
        else:
            lesson_id = child.lessons[position % len(child.lessons)]
            position += 1
        ids.attempt += 1
        correct_count = 0
        seconds_total = 0
        client_id = f"bench-{child.id}-{ids.attempt}"
        # Rows that point at the attempt go in after it, so a load with foreign-key checks on works.
        later: list[tuple[type[models.Model], Sequence[str], tuple[Any, ...]]] = []
        for key in curriculum.questions_of[lesson_id]:
            ids.answer += 1
            right = rng.random() < ability
            if right:
                chosen = key.right
            elif key.kind == "ORDERING":
                chosen = key.right[::-1]
            elif key.kind == "MULTIPLE":
                chosen = key.right[:1]
            else:
                chosen = [rng.choice(key.wrong)]
            seconds = rng.randint(2, 30)
            seconds_total += seconds
            correct_count += right
            later.append(
                (
                    Answer,
                    ANSWER_COLUMNS,
                    (ids.answer, ids.attempt, key.id, list(chosen), right, seconds),
                )
            )
            if w.postgres:
                # Chosen choices and raw ML rows follow from the answers: PostgreSQL derives them
                # itself after the load (derive_on_postgres), faster than building them in Python.
                continue
            for cid in chosen:
                ids.chosen += 1
                later.append(
                    (
                        answer_through,
                        ("id", "answer_id", "choice_id"),
                        (ids.chosen, ids.answer, cid),
                    )
                )
            ids.raw_answer += 1
            later.append(
                (
                    QuizAttemptRaw,
                    RAW_ANSWER_COLUMNS,
                    (
                        ids.raw_answer,
                        random_uuid(rng),
                        child.ml_id,
                        ids.attempt,
                        client_id,
                        lesson_id,  # the quiz's id is its lesson's
                        PASS_MARK,
                        lesson_id,
                        key.id,
                        key.skill_id,
                        child.level if lesson_id not in mixed else "MIXED",
                        right,
                        seconds,
                        at,
                        at,
                    ),
                )
            )
        score = correct_count / QUESTIONS_PER_QUIZ
        w.add(
            QuizAttempt,
            ATTEMPT_COLUMNS,
            (
                ids.attempt,
                child.id,
                lesson_id,
                client_id,
                at - datetime.timedelta(seconds=seconds_total),
                at,
                score,
                correct_count,
                QUESTIONS_PER_QUIZ,
            ),
        )
        for model, columns, row in later:
            w.add(model, columns, row)
        history.finished += 1
        history.perfect += score >= 1.0
        state = history.lessons.setdefault(lesson_id, _LessonState(0.0, 0, at, at, None))
        state.best = max(state.best, score)
        state.seconds += seconds_total
        state.last = at
        if score >= PASS_MARK and state.completed_at is None:
            state.completed_at = at
    return history


def _write_progress(
    child: _Child,
    history: _History,
    rng: random.Random,
    w: RowWriter,
    mixed: set[int],
    ids: _Ids,
) -> None:
    """One progress row per lesson attempted, and the raw lesson interaction that reported it."""
    for lesson_id, state in history.lessons.items():
        ids.progress += 1
        done = state.completed_at is not None
        w.add(
            Progress,
            PROGRESS_COLUMNS,
            (
                ids.progress,
                child.id,
                lesson_id,
                "COMPLETED" if done else "IN_PROGRESS",
                100 if done else 0,
                state.seconds,
                state.first,
                state.last,
                state.completed_at,
            ),
        )
        ids.raw_interaction += 1
        w.add(
            LessonInteractionRaw,
            RAW_INTERACTION_COLUMNS,
            (
                ids.raw_interaction,
                random_uuid(rng),
                child.ml_id,
                lesson_id,
                child.level if lesson_id not in mixed else "MIXED",
                "COMPLETED" if done else "IN_PROGRESS",
                100 if done else 0,
                state.seconds,
                state.last,
                state.last,
            ),
        )


def _write_recommendations(
    child: _Child,
    history: _History,
    now: datetime.datetime,
    w: RowWriter,
    curriculum: Curriculum,
    ids: _Ids,
) -> None:
    """The active set: retry what was failed, then the next lessons not done yet (then, in a small world where
    everything is done, review the weakest)."""
    lessons = history.lessons
    failed = [lid for lid, state in lessons.items() if state.completed_at is None]
    upcoming = [lid for lid in child.lessons if lid not in lessons]
    weakest = sorted(history.completed(), key=lambda lid: (lessons[lid].best, lid))
    for rank, lid in enumerate((failed + upcoming + weakest)[:5]):
        ids.recommendation += 1
        code = "REVIEW" if lid in lessons else "NEXT_STEP"
        w.add(
            Recommendation,
            RECOMMENDATION_COLUMNS,
            (
                ids.recommendation,
                child.id,
                lid,
                round(1.0 - rank * 0.1, 3),
                rank,
                code,
                f"{code.title()}: {curriculum.lesson_title[lid]} for Child {child.id}.",
                Recommendation.RULES_SOURCE,
                "NEW",
                True,
                False,
                now,
            ),
        )
