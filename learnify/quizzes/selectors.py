"""Reads on quizzes and attempts, scoped to who is asking."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet

from learnify.quizzes import access
from learnify.quizzes.models import Choice, Quiz, QuizAttempt


def quizzes_visible_to(user: Any, *, base: QuerySet[Quiz] | None = None) -> QuerySet[Quiz]:
    """Return the quizzes `user` may open: published quizzes of visible lessons; teachers and admins also see
    unpublished quizzes of lessons they can see."""
    return access.quizzes.filter(user, "view", base=base)


def attempts_visible_to(
    user: Any, *, base: QuerySet[QuizAttempt] | None = None
) -> QuerySet[QuizAttempt]:
    """Return the attempts of children `user` may see, at quizzes `user` may see."""
    return access.attempts.filter(user, "view", base=base)


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
