"""Platform analytics for admins: engagement, quiz performance and what recommendations achieved."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from learnify.ai.models import Recommendation
from learnify.progress.models import Progress
from learnify.quizzes.models import QuizAttempt


@dataclass(frozen=True)
class PlatformAnalytics:
    since: datetime.datetime
    until: datetime.datetime
    active_children: int
    lessons_completed: int
    seconds_spent: int
    quiz_attempts: int
    average_score: float | None
    recommendations_created: int
    recommendations_shown: int
    recommendations_clicked: int
    recommendations_dismissed: int
    click_through_rate: float | None
    recommended_lessons_completed: int


def platform_analytics(
    *, since: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> PlatformAnalytics:
    """Return the platform's engagement, quiz and recommendation figures over a period (default: 30 days)."""
    until = until or timezone.now()
    since = since or until - datetime.timedelta(days=30)
    attempts = QuizAttempt.objects.filter(finished_at__gte=since, finished_at__lt=until)
    attempt_stats = attempts.aggregate(
        n=Count("id"), avg=Avg("score"), children=Count("child", distinct=True)
    )
    progress = Progress.objects.filter(last_accessed_at__gte=since, last_accessed_at__lt=until)
    progress_stats = progress.aggregate(
        children=Count("child", distinct=True),
        seconds=Sum("seconds_spent"),
        completed=Count(
            "id",
            filter=Q(
                status=Progress.Status.COMPLETED, completed_at__gte=since, completed_at__lt=until
            ),
        ),
    )
    recs = Recommendation.objects.filter(created_at__gte=since, created_at__lt=until)
    rec_stats = recs.aggregate(
        created=Count("id"),
        shown=Count("id", filter=Q(shown_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        dismissed=Count("id", filter=Q(dismissed_at__isnull=False)),
    )
    completed_after = recs.filter(
        lesson__progress__child_id=F("child_id"),
        lesson__progress__status=Progress.Status.COMPLETED,
        lesson__progress__completed_at__gte=F("created_at"),
    ).count()
    active = (
        attempts.order_by().values("child_id").union(progress.order_by().values("child_id")).count()
    )
    shown = rec_stats["shown"]
    return PlatformAnalytics(
        since=since,
        until=until,
        active_children=active,
        lessons_completed=progress_stats["completed"],
        seconds_spent=progress_stats["seconds"] or 0,
        quiz_attempts=attempt_stats["n"],
        average_score=round(attempt_stats["avg"], 4) if attempt_stats["avg"] is not None else None,
        recommendations_created=rec_stats["created"],
        recommendations_shown=shown,
        recommendations_clicked=rec_stats["clicked"],
        recommendations_dismissed=rec_stats["dismissed"],
        click_through_rate=round(rec_stats["clicked"] / shown, 4) if shown else None,
        recommended_lessons_completed=completed_after,
    )
