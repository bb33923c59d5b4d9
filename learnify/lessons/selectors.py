"""Reads on lessons, scoped to who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from learnify.accounts.models import User
from learnify.lessons.models import Lesson


def lessons_visible_to(user: Any, *, base: QuerySet[Lesson] | None = None) -> QuerySet[Lesson]:
    """Return the lessons `user` may open: published ones for children, also their own drafts for teachers,
    everything for admins, nothing for anonymous users."""
    qs = Lesson.objects.all() if base is None else base
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.role == User.Role.ADMIN:
        return qs
    if user.role == User.Role.TEACHER:
        return qs.filter(Q(is_published=True) | Q(author__user=user))
    return qs.filter(is_published=True)


def get_lesson_for(user: Any, pk: int) -> Lesson:
    """Return the lesson if `user` may open it; raise Lesson.DoesNotExist otherwise."""
    return lessons_visible_to(user).get(pk=pk)
