"""Writes on progress: how far a child got in a lesson, and the badges they earn on the way."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from learnify.accounts.access import children as children_policy
from learnify.accounts.models import ChildProfile, User
from learnify.ai import services as ai_services
from learnify.core import events
from learnify.core.services import record_audit_event
from learnify.lessons.models import Lesson, Skill
from learnify.progress.models import Achievement, Badge, Progress
from learnify.quizzes.models import QuizAttempt

# One report cannot claim more time than a long lesson could take; anything above is a stuck tablet clock.
MAX_SECONDS_PER_REPORT = 3 * 60 * 60


def apply_lesson_progress(
    *, child: ChildProfile, lesson: Lesson, percent: int, seconds: int, at: datetime.datetime
) -> Progress:
    """Move a child's progress in a lesson forward (never back) and add the time spent.

    The caller holds the transaction; this locks the row so two tablets reporting at once add up.
    """
    progress, _ = Progress.objects.get_or_create(child=child, lesson=lesson)
    progress = Progress.objects.select_for_update().get(pk=progress.pk)
    progress.percent = max(progress.percent, percent)
    progress.seconds_spent += seconds
    progress.last_accessed_at = at
    if progress.started_at is None:
        progress.started_at = at
    if progress.percent >= 100:
        progress.percent = 100
        if progress.status != Progress.Status.COMPLETED:
            progress.status = Progress.Status.COMPLETED
            progress.completed_at = at
    elif progress.percent > 0 or seconds > 0:
        progress.status = Progress.Status.IN_PROGRESS
    progress.save()
    return progress


def _badge_counts(child: ChildProfile) -> dict[str, int]:
    finished = QuizAttempt.objects.filter(child=child, finished_at__isnull=False)
    completed = Progress.objects.filter(child=child, status=Progress.Status.COMPLETED)
    return {
        Badge.Criterion.QUIZZES_FINISHED: finished.count(),
        Badge.Criterion.PERFECT_SCORES: finished.filter(score__gte=1.0).count(),
        Badge.Criterion.LESSONS_COMPLETED: completed.count(),
        Badge.Criterion.DOMAINS_EXPLORED: Skill.objects.filter(
            lessons__progress__in=completed
        ).aggregate(n=Count("domain", distinct=True))["n"],
    }


def award_new_achievements(*, child: ChildProfile, at: datetime.datetime) -> list[Achievement]:
    """Award every badge the child has now earned and did not have; return the new ones."""
    missing = list(Badge.objects.exclude(achievements__child=child))
    if not missing:
        return []
    counts = _badge_counts(child)
    earned = [badge for badge in missing if counts.get(badge.criterion, 0) >= badge.threshold]
    if not earned:
        return []
    Achievement.objects.bulk_create(
        [Achievement(child=child, badge=badge, awarded_at=at) for badge in earned],
        ignore_conflicts=True,  # a concurrent request may have awarded the same badge a moment ago
    )
    # ignore_conflicts leaves the created objects without primary keys: read back the rows this call wrote
    # (a badge a concurrent request awarded first carries that request's time, not `at`).
    return list(
        Achievement.objects.filter(child=child, badge__in=earned, awarded_at=at)
        .select_related("badge")
        .order_by("badge__id")
    )


def progress_events(
    *, progress: Progress, new_achievements: list[Achievement], classroom_id: int | None
) -> list[dict[str, Any]]:
    """The events of a progress update and its new badges, for `events.publish_child_events`."""
    return [
        events.child_event(
            kind=events.PROGRESS_UPDATED,
            child_id=progress.child_id,
            classroom_id=classroom_id,
            lesson_id=progress.lesson_id,
            status=progress.status,
            percent=progress.percent,
            occurred_at=(progress.last_accessed_at or timezone.now()).isoformat(),
        ),
        *(
            events.child_event(
                kind=events.ACHIEVEMENT_AWARDED,
                child_id=achievement.child_id,
                classroom_id=classroom_id,
                badge_id=achievement.badge_id,
                occurred_at=achievement.awarded_at.isoformat(),
            )
            for achievement in new_achievements
        ),
    ]


def publish_progress_events(
    *, progress: Progress, new_achievements: list[Achievement], classroom_id: int | None
) -> None:
    """Publish the progress update and any new badges (call after commit)."""
    events.publish_child_events(
        progress_events(
            progress=progress, new_achievements=new_achievements, classroom_id=classroom_id
        )
    )


@transaction.atomic
def update_lesson_progress(
    *,
    child: ChildProfile,
    lesson: Lesson,
    percent: int,
    seconds: int,
    actor: User,
    at: datetime.datetime | None = None,
) -> Progress:
    """Record how far a child got in a lesson, log it for the recommender and tell the live dashboards.

    Raises PermissionDenied unless the actor is the child or manages them, ValidationError on bad numbers.
    """
    if not children_policy.can(actor, "record", child):
        raise PermissionDenied
    if not lesson.is_published:
        raise ValidationError({"lesson": "This lesson is not published."})
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": "Percent must be between 0 and 100."})
    if not 0 <= seconds <= MAX_SECONDS_PER_REPORT:
        raise ValidationError(
            {"seconds": f"Seconds spent must be between 0 and {MAX_SECONDS_PER_REPORT}."}
        )
    at = at or timezone.now()
    progress = apply_lesson_progress(
        child=child, lesson=lesson, percent=percent, seconds=seconds, at=at
    )
    ai_services.log_lesson_interaction(
        child=child,
        lesson_id=lesson.pk,
        kg_level=lesson.kg_level,
        status=progress.status,
        percent=percent,
        seconds_spent=seconds,
        occurred_at=at,
    )
    new_achievements = award_new_achievements(child=child, at=at)
    record_audit_event(
        action="progress.updated",
        actor=actor,
        target=progress,
        metadata={"child_id": child.pk, "lesson_id": lesson.pk, "percent": progress.percent},
    )
    transaction.on_commit(
        partial(
            publish_progress_events,
            progress=progress,
            new_achievements=new_achievements,
            classroom_id=child.classroom_id,
        )
    )
    return progress
