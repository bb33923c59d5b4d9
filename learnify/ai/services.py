"""Writes on the recommender's tables that the rest of the backend triggers.

Raw rows are written in the caller's transaction, so a quiz attempt and its ML rows commit or vanish together.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from learnify.accounts.access import children as children_policy
from learnify.accounts.models import ChildProfile
from learnify.ai import access, model_store, selectors
from learnify.ai.models import (
    LessonInteractionRaw,
    MLModel,
    MLStudentMap,
    PendingRecommendationRefresh,
    QuizAttemptRaw,
    Recommendation,
)
from learnify.ai.reasons import reason_text
from learnify.core import events
from learnify.core.services import record_audit_event
from learnify.lessons.models import Lesson, Skill
from recommender import policy
from recommender.rules import LEVEL_ORDER, ChildState, candidate_levels, recommend_by_rules

logger = logging.getLogger(__name__)


def lessons_changed() -> None:
    """Make every process rebuild its cached lessons frames: a lesson, its skills or a prerequisite changed.

    Every write to lessons and skills calls this (the lessons services, the admin site, the demo seed). Now, so
    this process never serves its own stale frame, and again after commit, because another request may rebuild
    the frame from the not yet committed rows in between.
    """
    selectors.forget_lessons_frames()
    transaction.on_commit(selectors.forget_lessons_frames)


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
            pass_mark=quiz.pass_mark,
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


def _child_levels(child: ChildProfile) -> list[str]:
    # The recommender's candidate levels; a level it does not know (none today) reads as the first one.
    return candidate_levels(child.kg_level if child.kg_level in LEVEL_ORDER else LEVEL_ORDER[0])


def compute_recommendations(
    child: ChildProfile, *, now: datetime.datetime | None = None, limit: int = 5
) -> pd.DataFrame:
    """Return the child's next lessons (lesson_id, score, reason_code, skill_id, params, source), best first.

    The active model ranks them when it can; the rules serve when there is no model, the child has too little
    history, or the model fails to load or predict (logged, never raised).
    """
    now = now or timezone.now()
    levels = _child_levels(child)
    # Every read below is bounded by a window of the child's newest rows or by the lessons of their levels.
    mastery = selectors.mastery_frame(child, newest_attempts=selectors.ONLINE_MASTERY_ATTEMPTS)
    state = ChildState(
        kg_level=child.kg_level,
        lessons=selectors.lessons_frame(levels),
        progress=selectors.progress_frame(child, levels=levels),
        mastery=mastery,
        attempts=selectors.attempts_frame(child),
        now=pd.Timestamp(now),
    )
    serving = model_store.store.active()
    if serving is None:
        ranked = recommend_by_rules(state, limit=limit)
        ranked["source"] = Recommendation.RULES_SOURCE
        return ranked
    history = selectors.child_history(child)
    served = policy.recommend(
        state,
        serving.model,
        ml_student_id=history.ml_student_id,
        answers=history.answers.frame,
        interactions=history.interactions.frame,
        item_stats=serving.item_stats,
        limit=limit,
        min_answers=settings.RECOMMENDER_MIN_ANSWERS,
        max_candidates=settings.RECOMMENDER_MAX_CANDIDATES,
    )
    if served.source == Recommendation.RULES_SOURCE and served.reason.startswith("model failed"):
        logger.warning(
            "recommendations for child %s fell back to the rules: %s", child.pk, served.reason
        )
    ranked = served.recommendations.copy()
    ranked["source"] = served.source
    return ranked


@transaction.atomic
def refresh_recommendations(
    *, child: ChildProfile, now: datetime.datetime | None = None, limit: int = 5
) -> list[Recommendation]:
    """Recompute the child's recommendations and store them as the active set.

    A lesson still recommended keeps its row (and whether it was shown or clicked); pinned ones stay; the rest
    are retired, not deleted, so what recommendations achieved can be measured. Publishes
    `recommendations.updated` after commit when the set changed.
    """
    ranked = compute_recommendations(child, now=now, limit=limit)
    current = {
        rec.lesson_id: rec
        # Only the recommendation rows: the model's default ordering joins the child, and locking the child's
        # row too deadlocked against the child's next attempt (its foreign keys take a share lock on it).
        for rec in Recommendation.objects.select_for_update(of=("self",))
        .filter(child=child, is_active=True)
        .order_by("rank", "id")
    }
    pinned = [rec for rec in current.values() if rec.pinned]
    lesson_ids = [int(i) for i in ranked["lesson_id"]]
    lessons = Lesson.objects.in_bulk(lesson_ids)
    skills = Skill.objects.in_bulk([int(s) for s in ranked["skill_id"].dropna()])
    keep, create = [], []
    rank = len(pinned)
    for row in ranked.itertuples(index=False):
        lesson = lessons.get(int(row.lesson_id))
        if lesson is None:
            continue
        skill = (
            skills.get(int(row.skill_id))
            if row.skill_id is not None and not pd.isna(row.skill_id)
            else None
        )
        fields = {
            "score": float(row.score),
            "reason_code": row.reason_code,
            "reason": reason_text(
                code=row.reason_code,
                child_name=child.display_name,
                lesson_title=lesson.title,
                skill_name=skill.name if skill else None,
                params=row.params,
            )[:300],
            "source": row.source,
        }
        existing = current.get(lesson.pk)
        if existing is not None and existing.pinned:
            continue
        if existing is not None:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.rank = rank
            keep.append(existing)
        else:
            create.append(Recommendation(child=child, lesson=lesson, rank=rank, **fields))
        rank += 1
    kept_ids = {rec.pk for rec in keep} | {rec.pk for rec in pinned}
    retired = [rec.pk for rec in current.values() if rec.pk not in kept_ids]
    changed = bool(create or retired) or any(
        rec.rank != index
        for index, rec in enumerate(sorted(current.values(), key=lambda r: r.rank))
    )
    if retired:
        Recommendation.objects.filter(pk__in=retired).update(is_active=False)
    if keep:
        Recommendation.objects.bulk_update(
            keep, ["score", "reason_code", "reason", "source", "rank"]
        )
    if create:
        Recommendation.objects.bulk_create(create)
    if changed:
        transaction.on_commit(
            partial(
                events.publish_child_event,
                kind=events.RECOMMENDATIONS_UPDATED,
                child_id=child.pk,
                classroom_id=child.classroom_id,
            )
        )
    return list(selectors.active_recommendations(child).select_related("lesson"))


def refresh_after_attempt(*, child: ChildProfile, at: datetime.datetime) -> None:
    """Bring the child's recommendations up to date with an attempt being stored in the caller's transaction.

    With `RECOMMENDATION_REFRESH_THREADS` above 0 the child is marked pending here and refreshed by this
    process's refresh threads once the transaction commits (about 100 ms of CPU that the answer no longer
    waits for); `recommendationsUpdated` tells the app when the new set is in. With 0 the refresh runs here,
    inside the transaction.
    """
    if settings.RECOMMENDATION_REFRESH_THREADS <= 0:
        refresh_recommendations(child=child, now=at)
        return
    from learnify.ai import refresh  # the worker imports this module

    mark_recommendations_pending(child_id=child.pk)
    transaction.on_commit(partial(refresh.schedule, child.pk))


def mark_recommendations_pending(*, child_id: int) -> None:
    """Record that the child's recommendations are behind, as of now."""
    # An upsert, not get-then-create: two attempts of one child committing at once must not collide here.
    PendingRecommendationRefresh.objects.bulk_create(
        [PendingRecommendationRefresh(child_id=child_id, requested_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["child"],
        update_fields=["requested_at"],
    )


def refresh_pending_recommendations(*, child_id: int) -> bool:
    """Refresh the child's recommendations if they are marked pending; return whether it did.

    The mark is removed only up to the request this refresh saw: an attempt committed while it ran leaves its
    newer mark, and its own schedule refreshes again. An erased child's mark went with the child.
    """
    pending = (
        PendingRecommendationRefresh.objects.select_related("child")
        .filter(child_id=child_id)
        .first()
    )
    if pending is None:
        return False
    with transaction.atomic():
        refresh_recommendations(child=pending.child)
        PendingRecommendationRefresh.objects.filter(
            child_id=child_id, requested_at__lte=pending.requested_at
        ).delete()
    return True


@transaction.atomic
def register_ml_model(
    *,
    name: str,
    version: str,
    artifact_path: str,
    metrics: dict[str, Any],
    feature_names: list[str],
    training_rows: int,
    activate: bool,
    actor: Any = None,
) -> MLModel:
    """Record a trained model; with `activate`, make it the one active model (the others are deactivated).

    Web processes pick the newly active model up within ML_MODEL_CHECK_SECONDS.
    """
    model = MLModel.objects.create(
        name=name,
        version=version,
        trained_at=timezone.now(),
        metrics=metrics,
        feature_names=feature_names,
        training_rows=training_rows,
        artifact_path=artifact_path,
    )
    record_audit_event(
        action="ml_model.registered",
        actor=actor,
        target=model,
        metadata={"version": version, "training_rows": training_rows},
    )
    if activate:
        activate_ml_model(model=model, actor=actor)
    return model


@transaction.atomic
def activate_ml_model(*, model: MLModel, actor: Any = None) -> MLModel:
    """Make `model` the active one; the previously active model stays registered, inactive."""
    previous = list(MLModel.objects.select_for_update().filter(is_active=True).exclude(pk=model.pk))
    # Deactivate first: the database allows one active model at a time.
    MLModel.objects.filter(pk__in=[m.pk for m in previous]).update(is_active=False)
    MLModel.objects.filter(pk=model.pk).update(is_active=True)
    model.is_active = True
    # This process looks again at once; other processes within ML_MODEL_CHECK_SECONDS.
    model_store.store.forget()
    record_audit_event(
        action="ml_model.activated",
        actor=actor,
        target=model,
        metadata={"version": model.version, "replaced": [m.version for m in previous]},
    )
    return model


_EVENT_STATUS = {
    Recommendation.Event.SHOWN: (Recommendation.Status.SHOWN, "shown_at"),
    Recommendation.Event.CLICKED: (Recommendation.Status.CLICKED, "clicked_at"),
    Recommendation.Event.DISMISSED: (Recommendation.Status.DISMISSED, "dismissed_at"),
}
# A recommendation only moves forward: once clicked or dismissed, being shown again changes nothing.
_STATUS_RANK = {"NEW": 0, "SHOWN": 1, "CLICKED": 2, "DISMISSED": 2}


@transaction.atomic
def record_recommendation_event(
    *, recommendation: Recommendation, event: str, actor: Any
) -> Recommendation:
    """Record that a recommendation was shown to, clicked or dismissed by the child (or their teacher).

    Dismissing retires it from the active set, so it is not offered again. Raises PermissionDenied.
    """
    if event not in _EVENT_STATUS:
        raise ValidationError({"event": "Send SHOWN, CLICKED or DISMISSED."})
    child = recommendation.child
    if not access.recommendations.can(actor, "record", recommendation) or not children_policy.can(
        actor, "record", child
    ):
        raise PermissionDenied
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    status, timestamp_field = _EVENT_STATUS[Recommendation.Event(event)]
    now = timezone.now()
    if getattr(recommendation, timestamp_field) is None:
        setattr(recommendation, timestamp_field, now)
    if event == "SHOWN" and recommendation.shown_at is None:
        recommendation.shown_at = now
    if event in ("CLICKED", "DISMISSED") and recommendation.shown_at is None:
        recommendation.shown_at = now  # clicking or dismissing means it was on screen
    if _STATUS_RANK[status] >= _STATUS_RANK[recommendation.status]:
        recommendation.status = status
    if event == "DISMISSED":
        recommendation.is_active = False
        recommendation.pinned = False
    recommendation.save()
    record_audit_event(
        action=f"recommendation.{event.lower()}",
        actor=actor,
        target=recommendation,
        metadata={"child_id": child.pk, "lesson_id": recommendation.lesson_id},
    )
    return recommendation


@transaction.atomic
def set_recommendation_pinned(
    *, recommendation: Recommendation, pinned: bool, actor: Any
) -> Recommendation:
    """Pin a recommendation for a child (kept first on every refresh) or unpin it. Teachers and admins.

    The pin is feedback the recommender keeps: it is stored on the row and audited.
    """
    child = recommendation.child
    if not access.recommendations.can(actor, "pin", recommendation):
        raise PermissionDenied
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    recommendation.pinned = pinned
    if pinned:
        recommendation.is_active = True
        recommendation.rank = 0
    recommendation.save(update_fields=["pinned", "is_active", "rank"])
    record_audit_event(
        action="recommendation.pinned" if pinned else "recommendation.unpinned",
        actor=actor,
        target=recommendation,
        metadata={"child_id": child.pk, "lesson_id": recommendation.lesson_id},
    )
    transaction.on_commit(
        partial(
            events.publish_child_event,
            kind=events.RECOMMENDATIONS_UPDATED,
            child_id=child.pk,
            classroom_id=child.classroom_id,
        )
    )
    return recommendation
