"""Reads for the recommender: a child's answers, mastery and recommendations, as frames or rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db.models import Count, QuerySet

from learnify.accounts.models import ChildProfile
from learnify.accounts.selectors import children_visible_to
from learnify.ai.models import (
    LessonInteractionRaw,
    MLStudentMap,
    QuizAttemptClean,
    QuizAttemptRaw,
    Recommendation,
    StudentMLDataset,
)
from learnify.core.cache import cache_get, cache_set
from learnify.lessons.models import Lesson, Skill
from learnify.progress.models import Progress
from learnify.quizzes.models import Answer, QuizAttempt
from recommender.cleaning import (
    QUIZ_COLUMNS,
    CleanResult,
    clean_lesson_interactions,
    clean_quiz_answers,
)
from recommender.features import FEATURE_COLUMNS
from recommender.mastery import estimate_mastery

POPULARITY_CACHE_SECONDS = 600
RECENT_ATTEMPTS = 30


QUIZ_RAW_FIELDS = [
    "id",
    "event_id",
    "ml_student_id",
    "attempt_id",
    "client_attempt_id",
    "quiz_id",
    "lesson_id",
    "question_id",
    "skill_id",
    "kg_level",
    "correct",
    "seconds",
    "answered_at",
]
LESSON_RAW_FIELDS = [
    "id",
    "event_id",
    "ml_student_id",
    "lesson_id",
    "kg_level",
    "status",
    "percent",
    "seconds_spent",
    "occurred_at",
]


def _frame(queryset: QuerySet, fields: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(queryset.values_list(*fields)), columns=fields)
    for column in ("event_id", "ml_student_id"):
        if column in frame:
            frame[column] = frame[column].astype(str)
    return frame


def raw_quiz_answers_frame(ml_student_id: Any = None) -> pd.DataFrame:
    """Return the raw quiz answers, everyone's or one child's (by the indexed ml_student_id), in id order."""
    rows = QuizAttemptRaw.objects.order_by("id")
    if ml_student_id is not None:
        rows = rows.filter(ml_student_id=ml_student_id)
    return _frame(rows, QUIZ_RAW_FIELDS)


def raw_lesson_interactions_frame(ml_student_id: Any = None) -> pd.DataFrame:
    """Return the raw lesson interactions, everyone's or one child's, in id order."""
    rows = LessonInteractionRaw.objects.order_by("id")
    if ml_student_id is not None:
        rows = rows.filter(ml_student_id=ml_student_id)
    return _frame(rows, LESSON_RAW_FIELDS)


def clean_quiz_answers_frame() -> pd.DataFrame:
    """Return every clean quiz answer (the pipeline's output), in time order."""
    return _frame(QuizAttemptClean.objects.order_by("answered_at", "raw_id"), QUIZ_COLUMNS)


def ml_dataset_frame() -> pd.DataFrame:
    """Return the training rows of `ai_student_ml_dataset` with their features as columns."""
    rows = StudentMLDataset.objects.order_by("attempted_at", "attempt_id").values_list(
        "ml_student_id", "attempt_id", "lesson_id", "attempted_at", "features", "outcome_success"
    )
    records = [
        {
            "ml_student_id": str(child),
            "attempt_id": attempt,
            "lesson_id": lesson,
            "attempted_at": at,
            "success": int(success),
            **{name: features.get(name) for name in FEATURE_COLUMNS},
        }
        for child, attempt, lesson, at, features, success in rows
    ]
    frame = pd.DataFrame(
        records,
        columns=[
            "ml_student_id",
            "attempt_id",
            "lesson_id",
            "attempted_at",
            "success",
            *FEATURE_COLUMNS,
        ],
    )
    frame[FEATURE_COLUMNS] = frame[FEATURE_COLUMNS].astype(float)
    frame["attempted_at"] = pd.to_datetime(frame["attempted_at"], utc=True)
    return frame


@dataclass(frozen=True)
class ChildHistory:
    """One child's clean answers and lesson interactions, cleaned the way the batch pipeline cleans."""

    ml_student_id: str
    answers: CleanResult
    interactions: CleanResult


def child_history(child: ChildProfile) -> ChildHistory:
    """Read one child's raw rows (indexed by ml_student_id) and clean them, for serving them online.

    The raw tables, not the clean ones: the clean tables only move when the batch pipeline runs, and the
    attempt the child just finished must count. Rows of lessons deleted since are dropped, as the pipeline
    drops them.
    """
    ml_student_id = (
        MLStudentMap.objects.filter(child=child).values_list("ml_student_id", flat=True).first()
    )
    if ml_student_id is None:
        empty = CleanResult(pd.DataFrame())
        return ChildHistory("", empty, empty)
    answers = raw_quiz_answers_frame(ml_student_id)
    interactions = raw_lesson_interactions_frame(ml_student_id)
    referenced = {int(i) for i in answers["lesson_id"]} | {
        int(i) for i in interactions["lesson_id"]
    }
    known = set(Lesson.objects.filter(pk__in=referenced).values_list("pk", flat=True))
    return ChildHistory(
        str(ml_student_id),
        clean_quiz_answers(answers, known_lesson_ids=known),
        clean_lesson_interactions(interactions, known_lesson_ids=known),
    )


@dataclass(frozen=True)
class SkillMastery:
    skill: Skill
    band: str
    estimate: float
    attempts: int


def answers_frame(child: ChildProfile) -> pd.DataFrame:
    """Return the child's answers with the skill each question practises (skill_id, correct, answered_at)."""
    rows = Answer.objects.filter(attempt__child=child, question__skill__isnull=False).values_list(
        "question__skill_id", "correct", "attempt__finished_at"
    )
    return pd.DataFrame(list(rows), columns=["skill_id", "correct", "answered_at"])


def mastery_frame(child: ChildProfile) -> pd.DataFrame:
    return estimate_mastery(answers_frame(child))


def mastery_for_child(child: ChildProfile) -> list[SkillMastery]:
    """Return the child's mastery of every skill they have practised, weakest first."""
    frame = mastery_frame(child)
    if frame.empty:
        return []
    skills = Skill.objects.in_bulk(frame["skill_id"].tolist())
    result = [
        SkillMastery(
            skill=skills[row.skill_id],
            band=row.band,
            estimate=float(row.estimate),
            attempts=int(row.attempts),
        )
        for row in frame.itertuples(index=False)
        if row.skill_id in skills
    ]
    return sorted(result, key=lambda m: (m.estimate, m.skill.code))


def _popularity(levels: list[str]) -> dict[int, float]:
    """Return each lesson's share of completions among all lessons of these levels (cached: it moves slowly)."""
    key = "ai:popularity:" + ",".join(sorted(levels))
    cached = cache_get(key)
    if cached is not None:
        return cached
    counts = dict(
        Progress.objects.filter(status=Progress.Status.COMPLETED, lesson__kg_level__in=levels)
        .values_list("lesson_id")
        .annotate(n=Count("id"))
        .values_list("lesson_id", "n")
    )
    top = max(counts.values(), default=0)
    popularity = {lesson_id: n / top for lesson_id, n in counts.items()} if top else {}
    cache_set(key, popularity, POPULARITY_CACHE_SECONDS)
    return popularity


def lessons_frame(levels: list[str]) -> pd.DataFrame:
    """Return the published lessons of `levels` with their skills, prerequisites and popularity."""
    lessons = list(
        Lesson.objects.published()
        .filter(kg_level__in=levels)
        .values_list("id", "kg_level", "order")
    )
    lesson_ids = [row[0] for row in lessons]
    skills_of: dict[int, list[int]] = {}
    for lesson_id, skill_id in (
        Lesson.skills.through.objects.filter(lesson_id__in=lesson_ids)
        .order_by("id")
        .values_list("lesson_id", "skill_id")
    ):
        skills_of.setdefault(lesson_id, []).append(skill_id)
    prereqs_of: dict[int, list[int]] = {}
    for from_id, to_id in Skill.prerequisites.through.objects.values_list(
        "from_skill_id", "to_skill_id"
    ):
        prereqs_of.setdefault(from_id, []).append(to_id)
    popularity = _popularity(levels)
    return pd.DataFrame(
        [
            {
                "lesson_id": lesson_id,
                "kg_level": level,
                "order": order,
                "skill_ids": skills_of.get(lesson_id, []),
                "prereq_skill_ids": sorted(
                    {p for s in skills_of.get(lesson_id, []) for p in prereqs_of.get(s, [])}
                ),
                "popularity": popularity.get(lesson_id, 0.0),
            }
            for lesson_id, level, order in lessons
        ],
        columns=["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids", "popularity"],
    )


def progress_frame(child: ChildProfile) -> pd.DataFrame:
    rows = Progress.objects.filter(child=child).values_list(
        "lesson_id", "status", "percent", "last_accessed_at"
    )
    return pd.DataFrame(list(rows), columns=["lesson_id", "status", "percent", "last_accessed_at"])


def attempts_frame(child: ChildProfile) -> pd.DataFrame:
    """Return the child's recent attempts with the skills of their lessons."""
    attempts = list(
        QuizAttempt.objects.filter(child=child, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("quiz__lesson_id", "score", "finished_at")[:RECENT_ATTEMPTS]
    )
    lesson_ids = {row[0] for row in attempts}
    skills_of: dict[int, list[int]] = {}
    for lesson_id, skill_id in Lesson.skills.through.objects.filter(
        lesson_id__in=lesson_ids
    ).values_list("lesson_id", "skill_id"):
        skills_of.setdefault(lesson_id, []).append(skill_id)
    return pd.DataFrame(
        [
            {
                "lesson_id": lesson_id,
                "skill_ids": skills_of.get(lesson_id, []),
                "score": score,
                "finished_at": at,
            }
            for lesson_id, score, at in attempts
        ],
        columns=["lesson_id", "skill_ids", "score", "finished_at"],
    )


def active_recommendations(child: ChildProfile) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(child=child, is_active=True).order_by("rank", "id")


def recommendations_visible_to(
    user: Any, *, base: QuerySet[Recommendation] | None = None
) -> QuerySet[Recommendation]:
    """Return the recommendations of the children `user` may see."""
    qs = Recommendation.objects.all() if base is None else base
    return qs.filter(child__in=children_visible_to(user), is_active=True)
