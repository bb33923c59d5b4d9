"""Who may do what to accounts, as pure predicates shared by the API, the portal and the services."""

from __future__ import annotations

from typing import Any

from learnify.accounts.models import ChildProfile, Classroom, User


def is_admin(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.role == User.Role.ADMIN
    )


def is_teacher(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == User.Role.TEACHER
    )


def teaches_classroom(user: Any, classroom: Classroom | None) -> bool:
    if classroom is None or not is_teacher(user):
        return False
    return classroom.teachers.filter(user_id=user.pk).exists()


def can_manage_classroom(user: Any, classroom: Classroom) -> bool:
    return is_admin(user) or teaches_classroom(user, classroom)


def can_create_classroom(user: Any) -> bool:
    return is_admin(user) or is_teacher(user)


def can_view_child(user: Any, child: ChildProfile) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == User.Role.CHILD:
        return child.user_id == user.pk
    return is_admin(user) or teaches_classroom(user, child.classroom)


def can_manage_child(user: Any, child: ChildProfile) -> bool:
    """Teachers manage the children of their classrooms; admins manage all."""
    return is_admin(user) or teaches_classroom(user, child.classroom)


def can_see_picture_code(user: Any, child: ChildProfile) -> bool:
    return can_manage_child(user, child)
