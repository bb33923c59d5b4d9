"""Reads on progress for the teacher's screens: a class's week, the live grid, a child's history."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from learnify.accounts.models import ChildProfile, Classroom
from learnify.accounts.selectors import children_visible_to, class_roster, classrooms_visible_to
from learnify.ai import selectors as ai_selectors
from learnify.core.access import active_role
from learnify.lessons.models import Lesson, Skill
from learnify.progress import access
from learnify.progress.models import Progress
from learnify.quizzes.models import Answer, QuizAttempt
from learnify.quizzes.selectors import attempts_visible_to

# A child is "stuck" in a lesson after spending this many times its estimated minutes without finishing.
STUCK_FACTOR = 2
FAILED_TWICE = 2


def week_start(day: datetime.date | None = None) -> datetime.datetime:
    """Return Monday 00:00 (current time zone) of the week containing `day` (default today)."""
    day = day or timezone.localdate()
    monday = day - datetime.timedelta(days=day.weekday())
    return datetime.datetime.combine(
        monday, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def classrooms_with_activity(
    user: Any, *, since: datetime.datetime | None = None
) -> QuerySet[Classroom]:
    """Return the user's classrooms with their size and this week's quiz attempts and active children."""
    since = since or week_start()
    return (
        classrooms_visible_to(user)
        .filter(archived_at__isnull=True)
        .annotate(
            size=Count("children", filter=Q(children__archived_at__isnull=True), distinct=True),
            attempts_this_week=Count(
                "children__quiz_attempts",
                filter=Q(children__quiz_attempts__finished_at__gte=since),
                distinct=True,
            ),
            active_this_week=Count(
                "children",
                filter=Q(children__quiz_attempts__finished_at__gte=since)
                | Q(children__progress__last_accessed_at__gte=since),
                distinct=True,
            ),
        )
        .order_by("kg_level", "name")
    )


@dataclass
class LiveCell:
    status: str | None = None
    percent: int = 0
    score: float | None = None


@dataclass
class LiveRow:
    child: ChildProfile
    cells: dict[int, LiveCell] = field(default_factory=dict)
    needs_help: list[str] = field(default_factory=list)


@dataclass
class LiveGrid:
    classroom: Classroom
    lessons: list[Lesson]
    rows: list[LiveRow]


def _needs_help(
    attempts_by_quiz: dict[int, list[QuizAttempt]],
    progress: list[Progress],
    lesson_titles: dict[int, str],
) -> list[str]:
    reasons = []
    for attempts in attempts_by_quiz.values():
        latest = sorted(attempts, key=lambda a: a.finished_at or a.started_at, reverse=True)[
            :FAILED_TWICE
        ]
        if len(latest) == FAILED_TWICE and not any(attempt.passed for attempt in latest):
            reasons.append(f"failed “{latest[0].quiz.title}” twice")
    for row in progress:
        minutes = row.lesson.estimated_minutes or 10
        if (
            row.status == Progress.Status.IN_PROGRESS
            and row.seconds_spent > STUCK_FACTOR * minutes * 60
        ):
            reasons.append(f"stuck in “{lesson_titles.get(row.lesson_id, row.lesson.title)}”")
    return reasons


def live_grid(
    user: Any, classroom: Classroom, *, since: datetime.datetime | None = None
) -> LiveGrid:
    """Return the class's children against the lessons they worked on this week, with who needs help.

    A fixed number of queries whatever the class size: children, this week's progress, this week's attempts.
    """
    since = since or week_start()
    children = list(
        children_visible_to(user).filter(classroom=classroom).order_by("display_name", "id")
    )
    child_ids = [c.pk for c in children]
    progress = list(
        Progress.objects.filter(child_id__in=child_ids, last_accessed_at__gte=since).select_related(
            "lesson"
        )
    )
    attempts = list(
        QuizAttempt.objects.filter(child_id__in=child_ids, finished_at__gte=since)
        .select_related("quiz")
        .order_by("finished_at")
    )
    lessons_by_id = {p.lesson_id: p.lesson for p in progress}
    ordered_lessons = sorted(
        lessons_by_id.values(), key=lambda lesson: (lesson.kg_level, lesson.order, lesson.pk)
    )
    titles = {lesson.pk: lesson.title for lesson in ordered_lessons}
    rows = {c.pk: LiveRow(child=c) for c in children}
    for item in progress:
        rows[item.child_id].cells[item.lesson_id] = LiveCell(
            status=item.status, percent=item.percent
        )
    attempts_by_child: dict[int, dict[int, list[QuizAttempt]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for attempt in attempts:
        attempts_by_child[attempt.child_id][attempt.quiz_id].append(attempt)
        cell = rows[attempt.child_id].cells.setdefault(attempt.quiz.lesson_id, LiveCell())
        cell.score = attempt.score  # ordered by time: the latest attempt wins
    progress_by_child: dict[int, list[Progress]] = defaultdict(list)
    for item in progress:
        progress_by_child[item.child_id].append(item)
    for child_id, row in rows.items():
        row.needs_help = _needs_help(
            attempts_by_child.get(child_id, {}), progress_by_child.get(child_id, []), titles
        )
    return LiveGrid(classroom=classroom, lessons=ordered_lessons, rows=list(rows.values()))


def progress_visible_to(user: Any, *, base: QuerySet[Progress] | None = None) -> QuerySet[Progress]:
    """Return the progress rows `user` may see: of children and lessons both visible to them."""
    return access.progress.filter(user, "view", base=base)


def own_progress(user: Any) -> QuerySet[Progress]:
    """Return the signed-in user's own progress rows: a child's, and none for anyone else."""
    if active_role(user) is None:
        return Progress.objects.none()
    return Progress.objects.filter(child__user_id=user.pk)


def child_progress(child: ChildProfile, *, viewer: Any) -> QuerySet[Progress]:
    """Return the child's progress in the lessons `viewer` may see, most recent first."""
    return (
        progress_visible_to(viewer)
        .filter(child=child)
        .select_related("lesson")
        .order_by("-last_accessed_at", "lesson_id")
    )


def child_attempt_history(
    child: ChildProfile, *, viewer: Any, limit: int = 50
) -> list[QuizAttempt]:
    """Return the child's latest attempts at quizzes `viewer` may see, with every answer and choice picked."""
    return list(
        attempts_visible_to(viewer)
        .filter(child=child)
        .select_related("quiz__lesson")
        .prefetch_related("answers__question", "answers__chosen_choices")
        .order_by("-finished_at", "-id")[:limit]
    )


def child_activity_by_day(child: ChildProfile, *, days: int = 28) -> list[dict[str, Any]]:
    """Return, per day of the last `days`, the quizzes finished and their average score (for a chart)."""
    since = timezone.now() - datetime.timedelta(days=days)
    per_day: dict[datetime.date, list[float]] = defaultdict(list)
    for finished_at, score in QuizAttempt.objects.filter(
        child=child, finished_at__gte=since
    ).values_list("finished_at", "score"):
        per_day[timezone.localdate(finished_at)].append(score)
    today = timezone.localdate()
    series = []
    for offset in range(days - 1, -1, -1):
        day = today - datetime.timedelta(days=offset)
        scores = per_day.get(day, [])
        series.append(
            {
                "day": day.isoformat(),
                "quizzes": len(scores),
                "average_score": round(sum(scores) / len(scores), 3) if scores else None,
            }
        )
    return series


@dataclass
class MasteryReport:
    skills: list[Any]
    rows: list[
        dict[str, Any]
    ]  # {"child": ChildProfile, "cells": {skill_id: {"band", "estimate", "attempts"}}}
    most_missed: list[dict[str, Any]]


def classroom_report(
    classroom: Classroom, *, most_missed: int = 10, min_answers: int = 3
) -> MasteryReport:
    """Return each child's mastery per skill and the questions the class gets wrong most, in a few queries."""
    children = list(class_roster(classroom))
    cells: dict[int, dict[int, dict[str, Any]]] = {}
    for child_id, frame in ai_selectors.mastery_by_child(children).items():
        cells[child_id] = {
            int(row.skill_id): {
                "band": row.band,
                "estimate": float(row.estimate),
                "attempts": int(row.attempts),
            }
            for row in frame.itertuples(index=False)
        }
    skill_ids = sorted({skill for per_child in cells.values() for skill in per_child})
    skills = list(Skill.objects.filter(pk__in=skill_ids).order_by("domain", "code"))
    missed = (
        Answer.objects.filter(attempt__child__in=children)
        .values("question_id", "question__prompt", "question__quiz__title")
        .annotate(answers=Count("id"), wrong=Count("id", filter=Q(correct=False)))
        .filter(answers__gte=min_answers, wrong__gt=0)
        .order_by("-wrong", "question_id")[: most_missed * 3]
    )
    ranked = sorted(
        (
            {
                "question_id": row["question_id"],
                "prompt": row["question__prompt"],
                "quiz": row["question__quiz__title"],
                "answers": row["answers"],
                "wrong": row["wrong"],
                "wrong_rate": round(row["wrong"] / row["answers"], 3),
            }
            for row in missed
        ),
        key=lambda r: (-r["wrong_rate"], -r["answers"], r["question_id"]),
    )[:most_missed]
    return MasteryReport(
        skills=skills,
        rows=[{"child": child, "cells": cells.get(child.pk, {})} for child in children],
        most_missed=ranked,
    )
