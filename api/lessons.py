"""Lessons, skills and media."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import Prefetch, Q, QuerySet
from strawberry import auto
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.unset import UNSET
from strawberry_django.optimizer import optimize
from strawberry_django.pagination import OffsetPaginationInput

from api.base import (
    BadUserInput,
    KgLevelEnum,
    MediaKindEnum,
    NotFound,
    SkillDomainEnum,
    current_user,
    file_url,
    parse_id,
    require_user,
)
from learnify.lessons import selectors
from learnify.lessons.models import Lesson, LessonMedia, Skill
from learnify.progress import selectors as progress_selectors
from learnify.progress.models import Progress

MAX_PAGE = 100

if TYPE_CHECKING:
    from api.progress import ProgressType
    from api.quizzes import QuizType


@strawberry_django.type(Skill, name="Skill")
class SkillType:
    id: strawberry.ID
    code: auto
    name: auto
    description: auto
    domain: SkillDomainEnum
    kg_level: KgLevelEnum


@strawberry_django.type(LessonMedia, name="Media")
class MediaType:
    id: strawberry.ID
    kind: MediaKindEnum
    alt_text: auto
    content_type: auto

    @strawberry_django.field(only=["file"])
    def url(self, root: LessonMedia, info: Info) -> str | None:
        return file_url(info, root.file)


@strawberry_django.filter_type(Lesson, name="LessonFilter")
class LessonFilter:
    @strawberry_django.filter_field
    def kg_level(self, queryset: QuerySet, value: KgLevelEnum, prefix: str) -> tuple[QuerySet, Q]:
        return queryset, Q(**{f"{prefix}kg_level": value.value})

    @strawberry_django.filter_field
    def skill(self, queryset: QuerySet, value: str, prefix: str) -> tuple[QuerySet, Q]:
        """Lessons that teach the skill with this code."""
        matching = Skill.objects.filter(code__iexact=value.strip()).values("lessons")
        return queryset, Q(**{f"{prefix}pk__in": matching})

    @strawberry_django.filter_field
    def domain(self, queryset: QuerySet, value: SkillDomainEnum, prefix: str) -> tuple[QuerySet, Q]:
        matching = Skill.objects.filter(domain=value.value).values("lessons")
        return queryset, Q(**{f"{prefix}pk__in": matching})


def _my_progress(info: Info) -> QuerySet[Progress]:
    return progress_selectors.own_progress(current_user(info))


def _my_progress_prefetch(info: Info) -> Prefetch:
    return Prefetch("progress", queryset=_my_progress(info), to_attr="my_progress")


@strawberry_django.type(Lesson, name="Lesson")
class LessonType:
    id: strawberry.ID
    title: auto
    description: auto
    kg_level: KgLevelEnum
    estimated_minutes: int
    order: int
    is_published: bool
    skills: list[SkillType]
    media: list[MediaType]
    quiz: Annotated[QuizType, strawberry.lazy("api.quizzes")] | None

    @strawberry_django.field(prefetch_related=[_my_progress_prefetch])
    def my_progress(
        self, root: Lesson, info: Info
    ) -> Annotated[ProgressType, strawberry.lazy("api.progress")] | None:
        """The signed-in child's progress in this lesson (null for teachers and admins)."""
        rows = getattr(root, "my_progress", None)
        if rows is None:
            rows = list(_my_progress(info).filter(lesson=root))
        return rows[0] if rows else None

    @classmethod
    def get_queryset(
        cls, queryset: QuerySet[Lesson], info: Info, **kwargs: Any
    ) -> QuerySet[Lesson]:
        # Anonymous callers get an error rather than an empty list: the app should sign in, not show nothing.
        return selectors.lessons_visible_to(require_user(info), base=queryset)


class DefaultPage(FieldExtension):
    """Give a list without `pagination` the first page, and refuse a negative offset or limit.

    strawberry-django only caps pages it is asked for, slices a negative offset into a crash, and reads a
    negative limit as "everything".
    """

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        page = kwargs.get("pagination")
        if page in (None, UNSET):
            kwargs["pagination"] = OffsetPaginationInput(offset=0, limit=MAX_PAGE)
        else:
            if page.offset is not None and page.offset < 0:
                raise BadUserInput("offset must not be negative.")
            if page.limit not in (None, UNSET) and page.limit < 0:
                raise BadUserInput("limit must not be negative.")
        return next_(source, info, **kwargs)


@strawberry.type
class LessonQuery:
    lessons: list[LessonType] = strawberry_django.field(
        filters=LessonFilter,
        pagination=True,
        extensions=[DefaultPage()],
        description="Lessons the caller may open, in curriculum order; at most 100 a page.",
    )

    @strawberry_django.field
    def lesson(self, info: Info, id: strawberry.ID) -> LessonType | None:
        user = require_user(info)
        found = optimize(
            selectors.lessons_visible_to(user).filter(pk=parse_id(id, what="id")), info
        ).first()
        if found is None:
            raise NotFound("No such lesson.")
        return found  # type: ignore[return-value]
