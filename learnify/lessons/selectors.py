"""Reads on lessons, scoped to who is asking (the rules are in learnify/lessons/access.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from learnify.lessons import access
from learnify.lessons.models import Lesson, LessonMedia


def lessons_visible_to(
    user: Any, *, base: QuerySet[Lesson] | None = None, action: str = "view"
) -> QuerySet[Lesson]:
    """Return the lessons `user` may open (or take `action` on): for children the published lessons their class
    level opens, for teachers also their own drafts, everything for admins, nothing for anonymous users."""
    return access.lessons.filter(user, action, base=base)


def get_lesson_for(user: Any, pk: int, *, action: str = "view") -> Lesson:
    """Return the lesson if `user` may open it (or take `action` on it); raise Lesson.DoesNotExist otherwise."""
    return lessons_visible_to(user, action=action).get(pk=pk)


def get_media_of(lesson: Lesson, pk: int) -> LessonMedia:
    """Return one media file of the lesson; raise LessonMedia.DoesNotExist for another lesson's."""
    return LessonMedia.objects.get(pk=pk, lesson=lesson)
