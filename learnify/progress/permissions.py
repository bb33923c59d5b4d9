from __future__ import annotations

from typing import Any

from learnify.accounts.models import ChildProfile, User
from learnify.accounts.permissions import can_manage_child


def can_record_progress(user: Any, child: ChildProfile) -> bool:
    """A child records their own progress; their teachers (a shared tablet) and admins may too."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or child.is_archived:
        return False
    if user.role == User.Role.CHILD:
        return child.user_id == user.pk
    return can_manage_child(user, child)
