"""Reads on accounts, scoped to who is asking (the rules themselves are in learnify/accounts/access.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from learnify.accounts import access
from learnify.accounts.models import ChildProfile, Classroom


def children_visible_to(
    user: Any, *, base: QuerySet[ChildProfile] | None = None, action: str = "view"
) -> QuerySet[ChildProfile]:
    """Return the children `user` may see (or take `action` on): a child themself, a teacher the children of
    their classrooms, an admin everyone. Archived children are left out except for admins."""
    return access.children.filter(user, action, base=base)


def classrooms_visible_to(
    user: Any, *, base: QuerySet[Classroom] | None = None, action: str = "view"
) -> QuerySet[Classroom]:
    """Return the classrooms `user` may see (or take `action` on): a teacher their own, an admin all, a child
    their own class."""
    return access.classrooms.filter(user, action, base=base)


def get_child_for(user: Any, pk: int | str, *, action: str = "view") -> ChildProfile:
    """Return the child with `pk` if `user` may see them (or take `action` on them).

    Raises ObjectDoesNotExist both for a missing child and one the user may not see, so ids cannot be probed.
    """
    try:
        return children_visible_to(user, action=action).get(pk=int(pk))
    except (ValueError, TypeError) as exc:
        raise ChildProfile.DoesNotExist from exc


def get_classroom_for(user: Any, pk: int | str, *, action: str = "view") -> Classroom:
    """Return the classroom with `pk` if `user` may see it (or take `action` on it); raise
    ObjectDoesNotExist otherwise."""
    try:
        return classrooms_visible_to(user, action=action).get(pk=int(pk))
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


def sign_in_roster(class_code: str) -> list[ChildProfile]:
    """Return the children on the sign-in screen of the class with this code (ids, names, avatars).

    Raises Classroom.DoesNotExist when no active class has the code.
    """
    classroom_for_class_code(class_code)
    return list(roster_for_class_code(class_code))


def class_roster(classroom: Classroom) -> QuerySet[ChildProfile]:
    """Return the children of a classroom who have not left it, by name (the teacher's roster and cards)."""
    return ChildProfile.objects.filter(classroom=classroom, archived_at__isnull=True).order_by(
        "display_name", "id"
    )


__all__ = [
    "ObjectDoesNotExist",
    "children_visible_to",
    "class_roster",
    "classroom_for_class_code",
    "classrooms_visible_to",
    "get_child_for",
    "get_classroom_for",
    "roster_for_class_code",
    "sign_in_roster",
]
