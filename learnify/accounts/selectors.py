"""Reads on accounts, scoped to who is asking. Who may see which child is decided here, once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from learnify.accounts.models import ChildProfile, Classroom, User


def _role(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def children_visible_to(
    user: Any, *, base: QuerySet[ChildProfile] | None = None
) -> QuerySet[ChildProfile]:
    """Return the children `user` may see: a child themself, a teacher the children of their classrooms, an
    admin everyone. Archived children are left out except for admins."""
    qs = ChildProfile.objects.all() if base is None else base
    role = _role(user)
    if role == User.Role.ADMIN:
        return qs
    if role == User.Role.TEACHER:
        return qs.filter(classroom__teachers__user=user, archived_at__isnull=True)
    if role == User.Role.CHILD:
        return qs.filter(user=user, archived_at__isnull=True)
    return qs.none()


def classrooms_visible_to(
    user: Any, *, base: QuerySet[Classroom] | None = None
) -> QuerySet[Classroom]:
    """Return the classrooms `user` may see: a teacher their own, an admin all, a child their own class."""
    qs = Classroom.objects.all() if base is None else base
    role = _role(user)
    if role == User.Role.ADMIN:
        return qs
    if role == User.Role.TEACHER:
        return qs.filter(teachers__user=user)
    if role == User.Role.CHILD:
        return qs.filter(children__user=user)
    return qs.none()


def get_child_for(user: Any, pk: int | str) -> ChildProfile:
    """Return the child with `pk` if `user` may see them.

    Raises ObjectDoesNotExist both for a missing child and one the user may not see, so ids cannot be probed.
    """
    try:
        return children_visible_to(user).get(pk=int(pk))
    except (ValueError, TypeError) as exc:
        raise ChildProfile.DoesNotExist from exc


def get_classroom_for(user: Any, pk: int | str) -> Classroom:
    """Return the classroom with `pk` if `user` may see it; raise ObjectDoesNotExist otherwise."""
    try:
        return classrooms_visible_to(user).get(pk=int(pk))
    except (ValueError, TypeError) as exc:
        raise Classroom.DoesNotExist from exc


def roster_for_class_code(class_code: str) -> QuerySet[ChildProfile]:
    """Return the children shown on a classroom's sign-in screen (public: ids, names and avatars only)."""
    code = (class_code or "").strip().upper()
    return (
        ChildProfile.objects.filter(
            classroom__class_code=code,
            classroom__archived_at__isnull=True,
            archived_at__isnull=True,
        )
        .only("id", "display_name", "avatar")
        .order_by("display_name", "id")
    )


def classroom_for_class_code(class_code: str) -> Classroom:
    """Return the active classroom with this code; raise ObjectDoesNotExist."""
    return Classroom.objects.get(
        class_code=(class_code or "").strip().upper(), archived_at__isnull=True
    )


__all__ = [
    "ObjectDoesNotExist",
    "children_visible_to",
    "classroom_for_class_code",
    "classrooms_visible_to",
    "get_child_for",
    "get_classroom_for",
    "roster_for_class_code",
]
