"""Writes on accounts: teachers, classrooms and children.

Every function checks the actor's permission, runs in a transaction and leaves an audit entry.
"""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from learnify.accounts import permissions
from learnify.accounts.models import (
    AVATARS,
    PICTURE_CODE_LENGTH,
    PICTURE_ICONS,
    ChildProfile,
    Classroom,
    TeacherProfile,
    User,
    age_on,
    kg_level_for_age,
    validate_picture_code,
)
from learnify.ai import services as ai_services
from learnify.core.choices import KgLevel
from learnify.core.services import record_audit_event

# No 0/O, 1/I/L: a class code is read aloud and typed by parents of four-year-olds.
CLASS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLASS_CODE_LENGTH = 6


def generate_class_code() -> str:
    return "".join(secrets.choice(CLASS_CODE_ALPHABET) for _ in range(CLASS_CODE_LENGTH))


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


@transaction.atomic
def create_teacher(
    *,
    username: str,
    password: str | None,
    display_name: str,
    email: str = "",
    school_name: str = "",
    approved: bool,
    actor: User | None,
) -> TeacherProfile:
    """Create a teacher account; unapproved teachers stay inactive until an admin approves them.

    Raises ValidationError when the username is taken.
    """
    if approved and not permissions.is_admin(actor):
        raise PermissionDenied("Only an admin can create an approved teacher.")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is already taken."})
    user = User(username=username, email=email, role=User.Role.TEACHER, is_active=approved)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    teacher = TeacherProfile.objects.create(
        user=user,
        display_name=display_name,
        school_name=school_name,
        approved_at=timezone.now() if approved else None,
        approved_by=actor if approved else None,
    )
    record_audit_event(
        action="teacher.created",
        actor=actor,
        target=teacher,
        metadata={"user_id": user.pk, "approved": approved},
    )
    return teacher


@transaction.atomic
def create_classroom(
    *,
    name: str,
    kg_level: str,
    school_year: str,
    teachers: list[TeacherProfile],
    actor: User,
) -> Classroom:
    """Create a classroom with a fresh, unique class code."""
    if not permissions.can_create_classroom(actor):
        raise PermissionDenied
    if kg_level not in KgLevel.values:
        raise ValidationError({"kg_level": "Choose KG1, KG2 or KG3."})
    if Classroom.objects.filter(name__iexact=name, school_year=school_year).exists():
        raise ValidationError(
            {"name": "A classroom with this name already exists for that school year."}
        )
    for _ in range(10):
        code = generate_class_code()
        try:
            with transaction.atomic():
                classroom = Classroom.objects.create(
                    name=name, kg_level=kg_level, school_year=school_year, class_code=code
                )
            break
        except IntegrityError:
            continue  # the code was taken: draw again
    else:  # pragma: no cover - 31**6 codes make ten collisions in a row practically impossible
        raise ValidationError("Could not find a free class code; try again.")
    if permissions.is_teacher(actor) and actor.teacher_profile not in teachers:
        teachers = [*teachers, actor.teacher_profile]
    classroom.teachers.set(teachers)
    record_audit_event(
        action="classroom.created",
        actor=actor,
        target=classroom,
        metadata={"teacher_ids": [t.pk for t in teachers], "kg_level": kg_level},
    )
    return classroom


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
    if not permissions.can_manage_classroom(actor, classroom):
        raise PermissionDenied
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError({"display_name": "Enter the child's name."})
    enrolled_at = enrolled_at or timezone.now()
    today = timezone.localdate(enrolled_at)
    if birth_date > today:
        raise ValidationError({"birth_date": "The birth date is in the future."})
    if kg_level is None:
        kg_level = kg_level_for_age(age_on(birth_date, today))
        if kg_level is None:
            raise ValidationError(
                {
                    "kg_level": "This child is not 4, 5 or 6 years old: choose the class level yourself."
                }
            )
    elif kg_level not in KgLevel.values:
        raise ValidationError({"kg_level": "Choose KG1, KG2 or KG3."})
    if avatar is None:
        avatar = secrets.choice(AVATARS)
    elif avatar not in AVATARS:
        raise ValidationError({"avatar": "Choose one of the avatars."})
    if picture_code is None:
        picture_code = generate_picture_code()
    else:
        validate_picture_code(picture_code)

    user = User(username=_child_username(), role=User.Role.CHILD)
    user.set_unusable_password()  # children sign in with their class code and picture code
    user.save()
    child = ChildProfile.objects.create(
        user=user,
        display_name=display_name,
        birth_date=birth_date,
        kg_level=kg_level,
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
        metadata={"classroom_id": classroom.pk, "kg_level": kg_level},
    )
    return child
