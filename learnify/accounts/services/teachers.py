"""Teachers: created by an admin, or signing up and waiting for an admin's approval."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from learnify.accounts import access
from learnify.accounts.models import TeacherProfile, User
from learnify.accounts.validators import clean_email
from learnify.core.services import record_audit_event
from learnify.core.validation import validate_max_lengths


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
    if approved and not access.teachers.allows(actor, "create_approved"):
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
    if not access.teachers.allows(actor, "approve"):
        raise PermissionDenied
    teacher.approved_at = timezone.now()
    teacher.approved_by = actor
    teacher.save(update_fields=["approved_at", "approved_by"])
    User.objects.filter(pk=teacher.user_id).update(is_active=True)
    teacher.user.is_active = True
    record_audit_event(action="teacher.approved", actor=actor, target=teacher)
    return teacher
