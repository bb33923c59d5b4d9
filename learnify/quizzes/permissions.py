from __future__ import annotations

from typing import Any

from learnify.accounts.models import ChildProfile
from learnify.progress.permissions import can_record_progress
from learnify.quizzes.models import Quiz


def can_attempt_quiz(user: Any, child: ChildProfile, quiz: Quiz) -> bool:
    """Whoever may record the child's progress may submit their attempt at a published quiz."""
    return can_record_progress(user, child)


def can_see_correct_answers(user: Any) -> bool:
    """Children never receive which choice is correct; their teachers and admins do."""
    return bool(getattr(user, "is_authenticated", False) and user.role in ("TEACHER", "ADMIN"))
