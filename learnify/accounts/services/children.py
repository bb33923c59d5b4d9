"""Children: enrolled (one by one or from a CSV), edited or moved, archived, and their picture codes."""

from __future__ import annotations

import datetime
import secrets
import uuid
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from learnify.accounts import access, sign_in, tokens
from learnify.accounts.models import (
    AVATARS,
    PICTURE_CODE_LENGTH,
    PICTURE_ICONS,
    ChildProfile,
    Classroom,
    RefreshToken,
    User,
    age_on,
    kg_level_for_age,
    validate_picture_code,
)
from learnify.accounts.validators import validate_child
from learnify.ai import services as ai_services
from learnify.core.choices import KgLevel
from learnify.core.services import record_audit_event


def generate_picture_code() -> list[str]:
    """Return 3 distinct random icons: easier for a child to remember than repeats."""
    icons = list(PICTURE_ICONS)
    return [icons.pop(secrets.randbelow(len(icons))) for _ in range(PICTURE_CODE_LENGTH)]


def suggest_kg_level(
    birth_date: datetime.date, *, on: datetime.date | None = None
) -> KgLevel | None:
    """Return the class a child born on `birth_date` belongs in when enrolled `on` (default today)."""
    return kg_level_for_age(age_on(birth_date, on or timezone.localdate()))


def _child_username() -> str:
    # Children never type a username: it only has to be unique and say nothing about the child.
    return f"child-{uuid.uuid4().hex[:12]}"


def _check_avatar(avatar: str) -> None:
    if avatar not in AVATARS:
        raise ValidationError({"avatar": "Choose one of the avatars."})


@transaction.atomic
def enrol_child(
    *,
    display_name: str,
    birth_date: datetime.date,
    classroom: Classroom,
    actor: User,
    kg_level: str | None = None,
    avatar: str | None = None,
    picture_code: list[str] | None = None,
    enrolled_at: datetime.datetime | None = None,
) -> ChildProfile:
    """Enrol a child in a classroom: their account, profile, picture code and pseudonymous ML id.

    The KG level follows the child's age (4 -> KG1, 5 -> KG2, 6 -> KG3) unless the teacher chose one.
    Raises PermissionDenied unless the actor teaches the classroom or is an admin, ValidationError on bad input.
    """
    if not access.classrooms.can(actor, "manage", classroom):
        raise PermissionDenied
    enrolled_at = enrolled_at or timezone.now()
    fields = validate_child(
        display_name=display_name,
        birth_date=birth_date,
        kg_level=kg_level,
        on=timezone.localdate(enrolled_at),
    )
    if avatar is None:
        avatar = secrets.choice(AVATARS)
    _check_avatar(avatar)
    if picture_code is None:
        picture_code = generate_picture_code()
    else:
        validate_picture_code(picture_code)

    user = User(username=_child_username(), role=User.Role.CHILD)
    user.set_unusable_password()  # children sign in with their class code and picture code
    user.save()
    child = ChildProfile.objects.create(
        user=user,
        display_name=fields.display_name,
        birth_date=fields.birth_date,
        kg_level=fields.kg_level,
        avatar=avatar,
        classroom=classroom,
        picture_code=",".join(picture_code),
        enrolled_at=enrolled_at,
    )
    ai_services.create_ml_student_map(child=child)
    record_audit_event(
        action="child.enrolled",
        actor=actor,
        target=child,
        metadata={"classroom_id": classroom.pk, "kg_level": fields.kg_level},
    )
    return child


@transaction.atomic
def enrol_children(
    *, rows: list[tuple[str, datetime.date]], classroom: Classroom, actor: User
) -> list[ChildProfile]:
    """Enrol several children at once (a CSV upload): all of them, or none if one is refused."""
    return [
        enrol_child(display_name=name, birth_date=born, classroom=classroom, actor=actor)
        for name, born in rows
    ]


@transaction.atomic
def update_child(
    *,
    child: ChildProfile,
    actor: User,
    display_name: str,
    birth_date: datetime.date,
    kg_level: str | None,
    avatar: str,
    classroom: Classroom,
) -> ChildProfile:
    """Edit a child, or move them to another classroom the actor teaches.

    Raises PermissionDenied unless the actor manages both the child and the target classroom.
    """
    if not access.children.can(actor, "manage", child) or not access.classrooms.can(
        actor, "manage", classroom
    ):
        raise PermissionDenied
    fields = validate_child(
        display_name=display_name,
        birth_date=birth_date,
        kg_level=kg_level,
        on=timezone.localdate(),
    )
    _check_avatar(avatar)
    moved_from = child.classroom_id if child.classroom_id != classroom.pk else None
    changed = [
        name
        for name, value in (
            ("display_name", fields.display_name),
            ("birth_date", fields.birth_date),
            ("kg_level", fields.kg_level),
            ("avatar", avatar),
            ("classroom_id", classroom.pk),
        )
        if getattr(child, name) != value
    ]
    child.display_name, child.birth_date, child.kg_level = (
        fields.display_name,
        fields.birth_date,
        fields.kg_level,
    )
    child.avatar = avatar
    child.classroom = classroom
    child.save()
    record_audit_event(
        action="child.moved" if moved_from else "child.updated",
        actor=actor,
        target=child,
        metadata={
            "fields": changed,
            **(
                {"from_classroom_id": moved_from, "to_classroom_id": classroom.pk}
                if moved_from
                else {}
            ),
        },
    )
    return child


@transaction.atomic
def archive_child(*, child: ChildProfile, actor: User) -> ChildProfile:
    """Archive a child who left: hidden from rosters and sign-in, kept until the retention period ends."""
    if not access.children.can(actor, "manage", child):
        raise PermissionDenied
    child.archived_at = timezone.now()
    child.save(update_fields=["archived_at"])
    User.objects.filter(pk=child.user_id).update(is_active=False)
    tokens.revoke_all_tokens(child.user, reason=RefreshToken.RevokedReason.DEACTIVATED)
    record_audit_event(action="child.archived", actor=actor, target=child)
    return child


@transaction.atomic
def reset_picture_code(*, child: ChildProfile, actor: User) -> ChildProfile:
    """Give a child a new picture code (the old card stops working) and clear any lock."""
    if not access.children.can(actor, "manage", child):
        raise PermissionDenied
    child.picture_code = ",".join(generate_picture_code())
    child.save(update_fields=["picture_code"])
    transaction.on_commit(partial(sign_in.clear_picture_failures, child))
    record_audit_event(action="child.picture_code_reset", actor=actor, target=child)
    return child


def unlock_picture_sign_in(*, child: ChildProfile, actor: User) -> ChildProfile:
    """Lift a child's picture sign-in lock after too many wrong codes."""
    if not access.children.can(actor, "manage", child):
        raise PermissionDenied
    sign_in.clear_picture_failures(child)
    record_audit_event(action="child.picture_sign_in_unlocked", actor=actor, target=child)
    return child


@transaction.atomic
def record_child_viewed(*, child: ChildProfile, viewer: User) -> None:
    """Leave an audit entry when an adult opens one child's record (portal page or API alike).

    A child can only ever read their own record, which is not a disclosure, so it is not logged.
    """
    if access.active_role(viewer) == access.Role.CHILD:
        return
    record_audit_event(action="child.viewed", actor=viewer, target=child)
