"""Writes on accounts: teachers, classrooms and children.

Every function checks the actor's permission, runs in a transaction and leaves an audit entry.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from functools import partial

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from learnify.accounts import permissions, sign_in, tokens
from learnify.accounts.models import (
    AVATARS,
    PICTURE_CODE_LENGTH,
    PICTURE_ICONS,
    ChildProfile,
    Classroom,
    RefreshToken,
    TeacherProfile,
    User,
    age_on,
    kg_level_for_age,
    validate_picture_code,
)
from learnify.accounts.validators import clean_email
from learnify.ai import services as ai_services
from learnify.core.choices import KgLevel
from learnify.core.services import record_audit_event
from learnify.core.validation import validate_max_lengths

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
    email = clean_email(email)
    validate_max_lengths(User, username=username, email=email)
    validate_max_lengths(TeacherProfile, display_name=display_name, school_name=school_name)
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
    validate_max_lengths(ChildProfile, display_name=display_name)
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


@transaction.atomic
def register_teacher(
    *, username: str, password: str, display_name: str, email: str = "", school_name: str = ""
) -> TeacherProfile:
    """Sign a teacher up; the account stays inactive until an admin approves it.

    Raises ValidationError for a taken username, a weak password or an e-mail that is not an address.
    """
    username = username.strip()
    if not username:
        raise ValidationError({"username": "Choose a username."})
    if not display_name.strip():
        raise ValidationError({"display_name": "Enter your name."})
    email = clean_email(email)
    try:
        validate_password(password, User(username=username, email=email, role=User.Role.TEACHER))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    teacher = create_teacher(
        username=username,
        password=password,
        display_name=display_name.strip(),
        email=email,
        school_name=school_name,
        approved=False,
        actor=None,
    )
    record_audit_event(
        action="teacher.registered",
        actor=None,
        target=teacher,
        metadata={"user_id": teacher.user_id},
    )
    return teacher


@transaction.atomic
def approve_teacher(*, teacher: TeacherProfile, actor: User) -> TeacherProfile:
    """Let a signed-up teacher in. Raises PermissionDenied unless the actor is an admin."""
    if not permissions.is_admin(actor):
        raise PermissionDenied
    teacher.approved_at = timezone.now()
    teacher.approved_by = actor
    teacher.save(update_fields=["approved_at", "approved_by"])
    User.objects.filter(pk=teacher.user_id).update(is_active=True)
    teacher.user.is_active = True
    record_audit_event(action="teacher.approved", actor=actor, target=teacher)
    return teacher


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor: User) -> User:
    """Activate or deactivate an account; deactivation revokes all its tokens. Admins only."""
    if not permissions.is_admin(actor) or user.pk == actor.pk:
        raise PermissionDenied
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        tokens.revoke_all_tokens(user, reason=RefreshToken.RevokedReason.DEACTIVATED)
    record_audit_event(
        action="user.activated" if active else "user.deactivated", actor=actor, target=user
    )
    return user


def check_current_password(*, user: User, current_password: str) -> None:
    """Raise ValidationError unless `current_password` is the user's, counting the check like a sign-in.

    A stolen session must not become an unlimited oracle for the password it does not know, so every check
    of a current password counts against the same limits as signing in. Raises RateLimitedError past them.
    """
    sign_in.count_password_attempt(user.get_username())
    if not user.check_password(current_password):
        raise ValidationError({"current_password": "The current password is not right."})


@transaction.atomic
def store_new_password(*, user: User, new_password: str, actor: User, action: str) -> User:
    """Validate and store a new password, revoke every token issued before it, and audit `action`.

    Callers check who may do this first (change_password, reset_password, the admin site's own form).
    """
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens.revoke_all_tokens(user, reason=RefreshToken.RevokedReason.PASSWORD_CHANGED)
    record_audit_event(action=action, actor=actor, target=user)
    return user


@transaction.atomic
def change_password(*, user: User, current_password: str, new_password: str, actor: User) -> User:
    """Change one's own password; every token issued before is revoked.

    Raises ValidationError for a wrong current password or a weak new one, and RateLimitedError.
    """
    if actor.pk != user.pk or user.role == User.Role.CHILD:
        raise PermissionDenied
    check_current_password(user=user, current_password=current_password)
    return store_new_password(
        user=user, new_password=new_password, actor=actor, action="user.password_changed"
    )


@transaction.atomic
def update_profile(
    *,
    user: User,
    actor: User,
    display_name: str | None = None,
    email: str | None = None,
    school_name: str | None = None,
    avatar: str | None = None,
) -> User:
    """Update the signed-in user's own profile: a teacher's name, email and school, a child's avatar.

    Raises ValidationError for fields the user's role does not have or bad values.
    """
    if actor.pk != user.pk:
        raise PermissionDenied
    changed: list[str] = []
    if user.role == User.Role.CHILD:
        if display_name is not None or email is not None or school_name is not None:
            raise ValidationError("A child can only choose their avatar.")
        if avatar is not None:
            if avatar not in AVATARS:
                raise ValidationError({"avatar": "Choose one of the avatars."})
            ChildProfile.objects.filter(user=user).update(avatar=avatar)
            changed.append("avatar")
    else:
        if avatar is not None:
            raise ValidationError({"avatar": "Only children have avatars."})
        if email is not None:
            email = clean_email(email)
            user.email = email
            user.save(update_fields=["email"])
            changed.append("email")
        profile = getattr(user, "teacher_profile", None)
        if profile is not None and (display_name is not None or school_name is not None):
            if display_name is not None:
                if not display_name.strip():
                    raise ValidationError({"display_name": "Enter your name."})
                profile.display_name = display_name.strip()[:80]
                changed.append("display_name")
            if school_name is not None:
                profile.school_name = school_name.strip()[:120]
                changed.append("school_name")
            profile.save(update_fields=["display_name", "school_name"])
        elif display_name is not None:
            user.first_name = display_name.strip()[:150]
            user.save(update_fields=["first_name"])
            changed.append("display_name")
    if changed:
        record_audit_event(
            action="user.profile_updated", actor=actor, target=user, metadata={"fields": changed}
        )
    return user


@transaction.atomic
def reset_picture_code(*, child: ChildProfile, actor: User) -> ChildProfile:
    """Give a child a new picture code (the old card stops working) and clear any lock."""
    if not permissions.can_manage_child(actor, child):
        raise PermissionDenied
    child.picture_code = ",".join(generate_picture_code())
    child.save(update_fields=["picture_code"])
    transaction.on_commit(partial(sign_in.clear_picture_failures, child))
    record_audit_event(action="child.picture_code_reset", actor=actor, target=child)
    return child


def unlock_picture_sign_in(*, child: ChildProfile, actor: User) -> ChildProfile:
    """Lift a child's picture sign-in lock after too many wrong codes."""
    if not permissions.can_manage_child(actor, child):
        raise PermissionDenied
    sign_in.clear_picture_failures(child)
    record_audit_event(action="child.picture_sign_in_unlocked", actor=actor, target=child)
    return child


@transaction.atomic
def update_classroom(
    *, classroom: Classroom, name: str, kg_level: str, school_year: str, actor: User
) -> Classroom:
    """Rename a classroom or change its level or school year."""
    if not permissions.can_manage_classroom(actor, classroom):
        raise PermissionDenied
    if kg_level not in KgLevel.values:
        raise ValidationError({"kg_level": "Choose KG1, KG2 or KG3."})
    clash = Classroom.objects.filter(name__iexact=name, school_year=school_year).exclude(
        pk=classroom.pk
    )
    if clash.exists():
        raise ValidationError(
            {"name": "A classroom with this name already exists for that school year."}
        )
    changed = [
        f
        for f, v in (("name", name), ("kg_level", kg_level), ("school_year", school_year))
        if getattr(classroom, f) != v
    ]
    classroom.name, classroom.kg_level, classroom.school_year = name, kg_level, school_year
    classroom.save(update_fields=["name", "kg_level", "school_year"])
    record_audit_event(
        action="classroom.updated", actor=actor, target=classroom, metadata={"fields": changed}
    )
    return classroom


@transaction.atomic
def set_classroom_teachers(
    *, classroom: Classroom, teachers: list[TeacherProfile], actor: User
) -> Classroom:
    """Assign the teachers of a classroom (admins only)."""
    if not permissions.is_admin(actor):
        raise PermissionDenied
    classroom.teachers.set(teachers)
    record_audit_event(
        action="classroom.teachers_assigned",
        actor=actor,
        target=classroom,
        metadata={"teacher_ids": sorted(t.pk for t in teachers)},
    )
    return classroom


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
    if not permissions.can_manage_child(actor, child) or not permissions.can_manage_classroom(
        actor, classroom
    ):
        raise PermissionDenied
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError({"display_name": "Enter the child's name."})
    if birth_date > timezone.localdate():
        raise ValidationError({"birth_date": "The birth date is in the future."})
    if not kg_level:
        kg_level = suggest_kg_level(birth_date)
        if kg_level is None:
            raise ValidationError(
                {"kg_level": "This child is not 4, 5 or 6 years old: choose the level yourself."}
            )
    if kg_level not in KgLevel.values:
        raise ValidationError({"kg_level": "Choose KG1, KG2 or KG3."})
    if avatar not in AVATARS:
        raise ValidationError({"avatar": "Choose one of the avatars."})
    moved_from = child.classroom_id if child.classroom_id != classroom.pk else None
    changed = [
        name
        for name, value in (
            ("display_name", display_name),
            ("birth_date", birth_date),
            ("kg_level", kg_level),
            ("avatar", avatar),
            ("classroom_id", classroom.pk),
        )
        if getattr(child, name) != value
    ]
    child.display_name, child.birth_date, child.kg_level, child.avatar = (
        display_name,
        birth_date,
        kg_level,
        avatar,
    )
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
def record_child_viewed(*, child: ChildProfile, viewer: User) -> None:
    """Leave an audit entry when an adult opens one child's record (portal page or API alike).

    A child can only ever read their own record, which is not a disclosure, so it is not logged.
    """
    if viewer.role == User.Role.CHILD:
        return
    record_audit_event(action="child.viewed", actor=viewer, target=child)


def archive_child(*, child: ChildProfile, actor: User) -> ChildProfile:
    """Archive a child who left: hidden from rosters and sign-in, kept until the retention period ends."""
    if not permissions.can_manage_child(actor, child):
        raise PermissionDenied
    child.archived_at = timezone.now()
    child.save(update_fields=["archived_at"])
    User.objects.filter(pk=child.user_id).update(is_active=False)
    tokens.revoke_all_tokens(child.user, reason=RefreshToken.RevokedReason.DEACTIVATED)
    record_audit_event(action="child.archived", actor=actor, target=child)
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
def reset_password(*, user: User, new_password: str, actor: User) -> User:
    """Set a teacher's or admin's password (admins only); all their tokens and sessions stop working."""
    if not permissions.is_admin(actor) or user.role == User.Role.CHILD:
        raise PermissionDenied
    return store_new_password(
        user=user, new_password=new_password, actor=actor, action="user.password_reset"
    )
