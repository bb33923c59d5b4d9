"""The batch ML pipeline: raw -> clean -> features -> dataset -> recommendations, writing the `ai_*` tables.

Django only reads and writes tables here; every computation is `recommender/`'s. Each stage is idempotent: raw
rows never change, clean rows are keyed by their raw row, dataset rows by their attempt, and the feature snapshot
by the time of the newest answer, so running the pipeline again over the same data changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone

from learnify.accounts.models import ChildProfile
from learnify.ai import selectors, services
from learnify.ai.models import (
    LessonInteractionClean,
    PipelineRun,
    QuizAttemptClean,
    StudentFeatures,
    StudentMLDataset,
)
from learnify.lessons.models import Lesson
from recommender.cleaning import clean_lesson_interactions, clean_quiz_answers
from recommender.features import FEATURE_COLUMNS, attempt_features, student_skill_features

BATCH = 2000


def _none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    return value


def _write_clean(run: PipelineRun, quiz: pd.DataFrame, lessons: pd.DataFrame) -> None:
    QuizAttemptClean.objects.bulk_create(
        [
            QuizAttemptClean(
                raw_id=int(row.raw_id),
                ml_student_id=row.ml_student_id,
                attempt_id=int(row.attempt_id),
                quiz_id=int(row.quiz_id),
                pass_mark=float(row.pass_mark),
                lesson_id=int(row.lesson_id),
                question_id=int(row.question_id),
                skill_id=None if pd.isna(row.skill_id) else int(row.skill_id),
                kg_level=row.kg_level,
                correct=bool(row.correct),
                seconds=None if pd.isna(row.seconds) else int(row.seconds),
                answered_at=row.answered_at,
                pipeline_run=run,
            )
            for row in quiz.itertuples(index=False)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,  # rows cleaned by an earlier run stay as they are
    )
    LessonInteractionClean.objects.bulk_create(
        [
            LessonInteractionClean(
                raw_id=int(row.raw_id),
                ml_student_id=row.ml_student_id,
                lesson_id=int(row.lesson_id),
                kg_level=row.kg_level,
                percent=int(row.percent),
                seconds_spent=int(row.seconds_spent),
                completed=bool(row.completed),
                occurred_at=row.occurred_at,
                pipeline_run=run,
            )
            for row in lessons.itertuples(index=False)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


def _write_dataset(run: PipelineRun, dataset: pd.DataFrame) -> int:
    rows = [
        StudentMLDataset(
            ml_student_id=row["ml_student_id"],
            attempt_id=int(row["attempt_id"]),
            quiz_id=int(row["quiz_id"]),
            lesson_id=int(row["lesson_id"]),
            attempted_at=row["attempted_at"],
            features={
                name: _none(float(row[name])) if row[name] is not None else None
                for name in FEATURE_COLUMNS
            },
            outcome_score=float(row["score"]),
            outcome_success=bool(row["success"]),
            pipeline_run=run,
        )
        for row in dataset.to_dict("records")
    ]
    StudentMLDataset.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["attempt_id"],
        update_fields=["features", "outcome_score", "outcome_success", "pipeline_run"],
    )
    return len(rows)


def _write_features(run: PipelineRun, features: pd.DataFrame) -> int:
    rows = [
        StudentFeatures(
            ml_student_id=row["ml_student_id"],
            skill_id=int(row["skill_id"]),
            as_of=row["as_of"],
            attempts=int(row["attempts"]),
            accuracy=_none(row["accuracy"]),
            accuracy_last_k=_none(row["accuracy_last_k"]),
            seconds_since_last_practice=_none(row["seconds_since_last_practice"]),
            relative_answer_time=_none(row["relative_answer_time"]),
            lesson_completion_rate=_none(row["lesson_completion_rate"]),
            mean_seconds_per_lesson=_none(row["mean_seconds_per_lesson"]),
            ability=_none(row["ability"]),
            extra={k: _none(v) for k, v in (row.get("extra") or {}).items()},
            pipeline_run=run,
        )
        for row in features.to_dict("records")
        if row["skill_id"] is not None
        and not pd.isna(row["skill_id"])
        and int(row["skill_id"]) >= 0
    ]
    StudentFeatures.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


def run_pipeline(
    *,
    refresh: bool = True,
    on_stage: Callable[[str], None] | None = None,
    on_child: Callable[[int], None] | None = None,
) -> PipelineRun:
    """Run every stage for everyone and return the run with its counts (rows read, kept, dropped and why)."""
    now = timezone.now()
    run = PipelineRun.objects.create()
    stats: dict[str, Any] = {}
    try:
        known = set(Lesson.objects.values_list("id", flat=True))
        if on_stage:
            on_stage("clean")
        quiz = clean_quiz_answers(selectors.raw_quiz_answers_frame(), known_lesson_ids=known)
        lessons = clean_lesson_interactions(
            selectors.raw_lesson_interactions_frame(), known_lesson_ids=known
        )
        with transaction.atomic():
            _write_clean(run, quiz.frame, lessons.frame)
        stats["quiz_answers"] = {"kept": len(quiz.frame), "dropped": quiz.dropped}
        stats["lesson_interactions"] = {"kept": len(lessons.frame), "dropped": lessons.dropped}
        if on_stage:
            on_stage("features")
        dataset = attempt_features(quiz.frame, lessons.frame)
        # The snapshot is taken as of the newest answer, not the clock: the same data gives the same rows, so a
        # second run over unchanged raw tables adds nothing.
        as_of = quiz.frame["answered_at"].max() if not quiz.frame.empty else None
        snapshot = (
            student_skill_features(quiz.frame, lessons.frame, as_of=as_of)
            if as_of is not None
            else pd.DataFrame(columns=["ml_student_id", "skill_id", "as_of"])
        )
        with transaction.atomic():
            stats["dataset_rows"] = _write_dataset(run, dataset)
            stats["feature_rows"] = _write_features(run, snapshot)
        if refresh:
            if on_stage:
                on_stage("recommendations")
            children = ChildProfile.objects.filter(archived_at__isnull=True).select_related(
                "classroom"
            )
            refreshed = 0
            for child in children.iterator(chunk_size=500):
                services.refresh_recommendations(child=child, now=now)
                refreshed += 1
                if on_child:
                    on_child(1)
            stats["children_refreshed"] = refreshed
        run.status = PipelineRun.Status.SUCCEEDED
    except Exception as exc:
        run.status = PipelineRun.Status.FAILED
        stats["error"] = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        run.stats = stats
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "stats", "finished_at"])
    return run
