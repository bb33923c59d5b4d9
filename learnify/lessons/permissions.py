from __future__ import annotations

from typing import Any

from learnify.accounts.permissions import is_admin, is_teacher
from learnify.lessons.models import Lesson


def can_create_lesson(user: Any) -> bool:
    return is_admin(user) or is_teacher(user)


def can_edit_lesson(user: Any, lesson: Lesson) -> bool:
    """Admins edit every lesson; a teacher edits the lessons they wrote."""
    if is_admin(user):
        return True
    return is_teacher(user) and lesson.author is not None and lesson.author.user_id == user.pk
