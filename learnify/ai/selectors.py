"""Reads for the recommender: a child's answers, mastery and recommendations, as frames or rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, QuerySet

from learnify.accounts.models import ChildProfile
from learnify.ai import access
from learnify.ai.models import (
    LessonInteractionRaw,
    MLStudentMap,
    PendingRecommendationRefresh,
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

logger = logging.getLogger(__name__)

POPULARITY_CACHE_SECONDS = 600
RECENT_ATTEMPTS = 30
# The online refresh reads a window of the child's newest rows, never their whole history, so a submit costs
# the same for a child with 50 answers and one with 50 000 (docs/ml-integration.md, "Online cost"). Mastery
# weighs an answer DECAY**k after k newer ones of its skill (0.85**40 < 0.2 %), so 100 attempts (about 400
# answers) leave the estimates of any skill practised in them as they were; the model's features count and
# rate the last ONLINE_HISTORY_ANSWERS answers.
ONLINE_MASTERY_ATTEMPTS = 100
ONLINE_HISTORY_ANSWERS = 200
ONLINE_HISTORY_INTERACTIONS = 200
# The lessons frame changes only when a lesson or a skill is edited; every such write bumps this version
# (services.lessons_changed).
LESSONS_VERSION_KEY = "ai:lessons-frame:version"
LESSONS_VERSION_SECONDS = 30 * 24 * 3600


QUIZ_RAW_FIELDS = [
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


def raw_quiz_answers_frame(ml_student_id: Any = None, *, newest: int | None = None) -> pd.DataFrame:
    """Return the raw quiz answers, everyone's or one child's (by the indexed ml_student_id), in id order.

    With `newest` (and a child), only the child's latest attempts that fit in `newest` rows, read through the
    (ml_student_id, answered_at) index: an attempt cut by the window is left out whole.
    """
    rows = QuizAttemptRaw.objects.order_by("id")
    if ml_student_id is not None:
        rows = rows.filter(ml_student_id=ml_student_id)
    if newest is None or ml_student_id is None:
        return _frame(rows, QUIZ_RAW_FIELDS)
    latest = rows.order_by("-answered_at", "-id")[:newest]
    frame = _frame(latest, QUIZ_RAW_FIELDS)
    if len(frame) == newest:
        oldest = frame["attempt_id"].iloc[-1]
        # The window's oldest attempt may be cut; keep it only if it fills the whole window.
        if not (frame["attempt_id"] == oldest).all():
            frame = frame[frame["attempt_id"] != oldest]
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def raw_lesson_interactions_frame(
    ml_student_id: Any = None, *, newest: int | None = None
) -> pd.DataFrame:
    """Return the raw lesson interactions, everyone's or one child's, in id order (the `newest` only)."""
    rows = LessonInteractionRaw.objects.order_by("id")
    if ml_student_id is not None:
        rows = rows.filter(ml_student_id=ml_student_id)
    if newest is None or ml_student_id is None:
        return _frame(rows, LESSON_RAW_FIELDS)
    frame = _frame(rows.order_by("-occurred_at", "-id")[:newest], LESSON_RAW_FIELDS)
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


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


def child_history(
    child: ChildProfile,
    *,
    newest_answers: int | None = ONLINE_HISTORY_ANSWERS,
    newest_interactions: int | None = ONLINE_HISTORY_INTERACTIONS,
) -> ChildHistory:
    """Read one child's newest raw rows (indexed by ml_student_id) and clean them, for serving them online.

    The raw tables, not the clean ones: the clean tables only move when the batch pipeline runs, and the
    attempt the child just finished must count. Rows of lessons deleted since are dropped, as the pipeline
    drops them. The window (None: everything) keeps the cost of a refresh independent of the history's length.
    """
    ml_student_id = (
        MLStudentMap.objects.filter(child=child).values_list("ml_student_id", flat=True).first()
    )
    if ml_student_id is None:
        empty = CleanResult(pd.DataFrame())
        return ChildHistory("", empty, empty)
    answers = raw_quiz_answers_frame(ml_student_id, newest=newest_answers)
    interactions = raw_lesson_interactions_frame(ml_student_id, newest=newest_interactions)
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


def answers_frame(child: ChildProfile, *, newest_attempts: int | None = None) -> pd.DataFrame:
    """Return the child's answers with the skill each question practises (skill_id, correct, answered_at).

    With `newest_attempts`, only the answers of the child's latest attempts (by the (child, started_at) index).
    """
    answers = Answer.objects.filter(question__skill__isnull=False)
    if newest_attempts is None:
        answers = answers.filter(attempt__child=child)
    else:
        latest = list(
            QuizAttempt.objects.filter(child=child)
            .order_by("-started_at", "-id")
            .values_list("id", flat=True)[:newest_attempts]
        )
        answers = answers.filter(attempt_id__in=latest)
    # Answer id order: the order the estimate's stable sort keeps for answers of the same moment.
    rows = answers.order_by("id").values_list(
        "question__skill_id", "correct", "attempt__finished_at"
    )
    return pd.DataFrame(list(rows), columns=["skill_id", "correct", "answered_at"])


def mastery_frame(child: ChildProfile, *, newest_attempts: int | None = None) -> pd.DataFrame:
    """The child's mastery per skill; the online refresh passes `newest_attempts` to bound what it reads."""
    return estimate_mastery(answers_frame(child, newest_attempts=newest_attempts))


def mastery_by_child(children: list[ChildProfile]) -> dict[int, pd.DataFrame]:
    """Return each child's mastery per skill (skill_id, band, estimate, attempts), reading the answers of
    every child in one query; a child with no answers on a skill has no frame."""
    answers = pd.DataFrame(
        list(
            Answer.objects.filter(attempt__child__in=children, question__skill__isnull=False)
            .order_by("id")
            .values_list(
                "attempt__child_id", "question__skill_id", "correct", "attempt__finished_at"
            )
        ),
        columns=["child_id", "skill_id", "correct", "answered_at"],
    )
    return {
        int(child_id): estimate_mastery(group[["skill_id", "correct", "answered_at"]])
        for child_id, group in answers.groupby("child_id")
    }


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


def lessons_version() -> int:
    return int(cache_get(LESSONS_VERSION_KEY) or 0)


def forget_lessons_frames() -> None:
    """Make every process rebuild its lessons frames (a lesson, its skills or a prerequisite changed)."""
    try:
        cache.incr(LESSONS_VERSION_KEY)
    except (
        ValueError
    ):  # not in the cache yet (or evicted): any new value differs from the missing one
        cache_set(LESSONS_VERSION_KEY, lessons_version() + 1, LESSONS_VERSION_SECONDS)
    except Exception:
        logger.warning("could not bump the lessons frame version", exc_info=True)


def lessons_frame(levels: list[str]) -> pd.DataFrame:
    """Return the published lessons of `levels` with their skills, prerequisites and popularity.

    Cached per level set under a version that lesson and skill edits bump: every submit needs it, and rebuilding
    it read every lesson of three class levels and every prerequisite.
    """
    key = f"ai:lessons-frame:{lessons_version()}:" + ",".join(sorted(levels))
    records = cache_get(key)
    if records is None:
        records = _lesson_records(levels)
        cache_set(key, records, POPULARITY_CACHE_SECONDS)
    return pd.DataFrame(records, columns=LESSON_FRAME_COLUMNS)


LESSON_FRAME_COLUMNS = [
    "lesson_id",
    "kg_level",
    "order",
    "skill_ids",
    "prereq_skill_ids",
    "popularity",
]


def _lesson_records(levels: list[str]) -> list[dict[str, Any]]:
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
    return [
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
    ]


def progress_frame(child: ChildProfile, *, levels: list[str] | None = None) -> pd.DataFrame:
    """The child's progress rows; with `levels`, only those of lessons of these levels (the candidates')."""
    progress = Progress.objects.filter(child=child)
    if levels is not None:
        progress = progress.filter(lesson__kg_level__in=levels)
    rows = progress.values_list("lesson_id", "status", "percent", "last_accessed_at")
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


def recommendations_for(viewer: Any, child: ChildProfile) -> list[Recommendation]:
    """Return the child's active recommendations as `viewer` may see them, best first."""
    return list(
        recommendations_visible_to(viewer)
        .filter(child=child)
        .select_related("lesson")
        .order_by("rank", "id")
    )


def recommendations_visible_to(
    user: Any, *, base: QuerySet[Recommendation] | None = None, action: str = "view"
) -> QuerySet[Recommendation]:
    """Return the active recommendations `user` may see (or, with `action`, act on: "record", "pin")."""
    return access.recommendations.filter(user, action, base=base)


def pending_recommendation_refreshes() -> list[int]:
    """The children whose recommendations are behind their attempts, oldest request first."""
    return list(
        PendingRecommendationRefresh.objects.order_by("requested_at").values_list(
            "child_id", flat=True
        )
    )


def pending_recommendation_refresh_count() -> int:
    """How many children's recommendations are behind their attempts (the metrics gauge, the benchmark)."""
    return PendingRecommendationRefresh.objects.count()
