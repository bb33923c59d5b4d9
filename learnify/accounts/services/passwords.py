"""Passwords: a teacher or admin changes their own, an admin resets a teacher's. Each revokes older tokens."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from learnify.accounts import access, sign_in, tokens
from learnify.accounts.models import RefreshToken, User
from learnify.core.services import record_audit_event


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
    if not access.users.can(actor, "change_password", user):
        raise PermissionDenied
    check_current_password(user=user, current_password=current_password)
    return store_new_password(
        user=user, new_password=new_password, actor=actor, action="user.password_changed"
    )


@transaction.atomic
def reset_password(*, user: User, new_password: str, actor: User) -> User:
    """Set a teacher's or admin's password (admins only); all their tokens and sessions stop working."""
    if not access.users.can(actor, "reset_password", user):
        raise PermissionDenied
    return store_new_password(
        user=user, new_password=new_password, actor=actor, action="user.password_reset"
    )
