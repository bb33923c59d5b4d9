"""Progress through lessons, badges and mastery."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import auto
from strawberry.types import Info

from api.base import (
    MasteryBandEnum,
    NotFound,
    ProgressStatusEnum,
    current_user,
    parse_id,
    require_user,
)
from learnify.lessons import selectors as lesson_selectors
from learnify.progress import selectors as progress_selectors
from learnify.progress.models import Achievement, Badge, Progress
from learnify.progress.services import update_lesson_progress

if TYPE_CHECKING:
    from api.lessons import LessonType, SkillType


@strawberry_django.type(Progress, name="Progress")
class ProgressType:
    id: strawberry.ID
    lesson: Annotated[LessonType, strawberry.lazy("api.lessons")]
    status: ProgressStatusEnum
    percent: int
    seconds_spent: int
    started_at: datetime.datetime | None
    last_accessed_at: datetime.datetime | None
    completed_at: datetime.datetime | None

    @classmethod
    def get_queryset(
        cls, queryset: QuerySet[Progress], info: Info, **kwargs: Any
    ) -> QuerySet[Progress]:
        # Rows of a lesson the caller may not open (unpublished since) are left out, not broken.
        return progress_selectors.progress_visible_to(current_user(info), base=queryset)


@strawberry_django.type(Badge, name="Badge")
class BadgeType:
    id: strawberry.ID
    code: auto
    name: auto
    description: auto
    icon: auto


@strawberry_django.type(Achievement, name="Achievement")
class AchievementType:
    id: strawberry.ID
    badge: BadgeType
    awarded_at: datetime.datetime


@strawberry.type(name="SkillMastery")
class SkillMasteryType:
    skill: Annotated[SkillType, strawberry.lazy("api.lessons")]
    band: MasteryBandEnum
    estimate: float
    attempts: int


@strawberry.type
class ProgressMutation:
    @strawberry.mutation
    def update_lesson_progress(
        self,
        info: Info,
        lesson_id: strawberry.ID,
        percent: int,
        seconds_spent: int,
        child_id: strawberry.ID | None = None,
    ) -> ProgressType:
        """Record how far the child got in a lesson; progress never goes back and time adds up."""
        from api.quizzes import acting_child

        user = require_user(info)
        child = acting_child(info, child_id)
        lesson = (
            lesson_selectors.lessons_visible_to(user)
            .filter(pk=parse_id(lesson_id, what="lessonId"))
            .first()
        )
        if lesson is None:
            raise NotFound("No such lesson.")
        return update_lesson_progress(  # type: ignore[return-value]
            child=child, lesson=lesson, percent=percent, seconds=seconds_spent, actor=user
        )
