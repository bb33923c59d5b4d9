"""Reads on quizzes and attempts, scoped to who is asking."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet

from learnify.accounts.models import User
from learnify.accounts.selectors import children_visible_to
from learnify.lessons.selectors import lessons_visible_to
from learnify.quizzes.models import Choice, Quiz, QuizAttempt


def quizzes_visible_to(user: Any, *, base: QuerySet[Quiz] | None = None) -> QuerySet[Quiz]:
    """Return the quizzes `user` may open: published quizzes of visible lessons; teachers and admins also see
    unpublished quizzes of lessons they can see."""
    qs = Quiz.objects.all() if base is None else base
    qs = qs.filter(lesson__in=lessons_visible_to(user))
    if getattr(user, "role", None) in (User.Role.TEACHER, User.Role.ADMIN):
        return qs
    return qs.filter(is_published=True)


def attempts_visible_to(
    user: Any, *, base: QuerySet[QuizAttempt] | None = None
) -> QuerySet[QuizAttempt]:
    qs = QuizAttempt.objects.all() if base is None else base
    return qs.filter(child__in=children_visible_to(user))


def choices_as_child_sees_them(choices: list[Choice], question_id: int) -> list[Choice]:
    """Return an ordering question's choices scrambled, the same way every time."""

    # An ordering question's choices are stored in the right order; the child must not receive them so.
    # The scramble is stable (the same every time) so a tablet that reloads shows the same puzzle.
    def key(choice: Choice) -> str:
        return hashlib.sha256(f"{question_id}:{choice.pk}".encode()).hexdigest()

    scrambled = sorted(choices, key=key)
    if len(scrambled) > 1 and [c.pk for c in scrambled] == [c.pk for c in choices]:
        scrambled = scrambled[1:] + scrambled[:1]
    return scrambled
