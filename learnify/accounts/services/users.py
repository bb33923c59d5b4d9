"""Accounts as a whole: switching one on or off, and a person's own profile."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from learnify.accounts import access, tokens
from learnify.accounts.models import AVATARS, ChildProfile, RefreshToken, TeacherProfile, User
from learnify.accounts.services.passwords import change_password
from learnify.accounts.validators import clean_email
from learnify.core.services import record_audit_event
from learnify.core.validation import validate_max_lengths


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor: User) -> User:
    """Activate or deactivate an account; deactivation revokes all its tokens. Admins only, never themself."""
    if not access.users.can(actor, "set_active", user):
        raise PermissionDenied
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        tokens.revoke_all_tokens(user, reason=RefreshToken.RevokedReason.DEACTIVATED)
    record_audit_event(
        action="user.activated" if active else "user.deactivated", actor=actor, target=user
    )
    return user


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
    if not access.users.can(actor, "update_profile", user):
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
        if display_name is not None:
            display_name = display_name.strip()
            if not display_name:
                raise ValidationError({"display_name": "Enter your name."})
        if school_name is not None:
            school_name = school_name.strip()
        if email is not None:
            email = clean_email(email)
            validate_max_lengths(User, email=email)
        profile = getattr(user, "teacher_profile", None)
        if profile is not None:
            validate_max_lengths(TeacherProfile, display_name=display_name, school_name=school_name)
        else:
            validate_max_lengths(User, first_name=display_name)
            if school_name is not None:
                raise ValidationError({"school_name": "Only teachers have a school."})
        if email is not None:
            user.email = email
            user.save(update_fields=["email"])
            changed.append("email")
        if profile is not None and (display_name is not None or school_name is not None):
            if display_name is not None:
                profile.display_name = display_name
                changed.append("display_name")
            if school_name is not None:
                profile.school_name = school_name
                changed.append("school_name")
            profile.save(update_fields=["display_name", "school_name"])
        elif display_name is not None:
            user.first_name = display_name
            user.save(update_fields=["first_name"])
            changed.append("display_name")
    if changed:
        record_audit_event(
            action="user.profile_updated", actor=actor, target=user, metadata={"fields": changed}
        )
    return user


@transaction.atomic
def update_own_account(
    *,
    user: User,
    current_password: str | None = None,
    new_password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    school_name: str | None = None,
    avatar: str | None = None,
) -> User:
    """Change one's own profile and, with `new_password`, password: all of it, or nothing when a part is refused.

    A new password revokes every token issued before it. Raises ValidationError, RateLimitedError.
    """
    if new_password is not None:
        change_password(
            user=user,
            current_password=current_password or "",
            new_password=new_password,
            actor=user,
        )
    return update_profile(
        user=user,
        actor=user,
        display_name=display_name,
        email=email,
        school_name=school_name,
        avatar=avatar,
    )
