"""Signing in and out: teachers and admins by password, children by class code and picture code.

Every outcome is audited; guesses are rate-limited per address and per account, counted in the cache (Redis in
production, shared by all processes).
"""

from __future__ import annotations

import logging

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from learnify.accounts import selectors
from learnify.accounts.access import PASSWORD_ROLES
from learnify.accounts.models import ChildProfile, RefreshToken, User
from learnify.accounts.tokens import (
    InvalidTokenError,
    TokenPair,
    issue_token_pair,
    revoke_refresh_token,
    rotate_refresh_token,
)
from learnify.core import ratelimit
from learnify.core.cache import cache_get
from learnify.core.exceptions import RateLimitedError
from learnify.core.middleware import current_request_context
from learnify.core.services import record_audit_event

logger = logging.getLogger(__name__)

LOGIN_PER_ACCOUNT = ratelimit.Limit("login-account", limit=10, window_seconds=300)
LOGIN_PER_IP = ratelimit.Limit("login-ip", limit=30, window_seconds=60)
CHILD_LOGIN_PER_IP = ratelimit.Limit("child-login-ip", limit=60, window_seconds=60)
ROSTER_PER_IP = ratelimit.Limit("roster-ip", limit=30, window_seconds=60)
REFRESH_PER_IP = ratelimit.Limit("refresh-ip", limit=60, window_seconds=60)
PICTURE_FAILURES_ALLOWED = 5
PICTURE_LOCK_SECONDS = 15 * 60


class SignInError(Exception):
    """Wrong credentials, an inactive account or a locked picture sign-in; the message is safe to show."""


def _ip() -> str:
    return current_request_context().ip or "unknown"


def check_roster_rate() -> None:
    """Count a roster look-up from this address; raise RateLimitedError past the limit."""
    ratelimit.hit(ROSTER_PER_IP, _ip())


def count_password_attempt(username: str) -> None:
    """Count one check of `username`'s password from this address; raise RateLimitedError past the limits.

    Every place that checks a password it was sent (the API's and portal's and admin site's sign-in, and the
    current password a password change asks for) counts here, so they all share one pair of counters.
    """
    ip = _ip()
    ratelimit.hit(LOGIN_PER_IP, ip)
    ratelimit.hit(LOGIN_PER_ACCOUNT, f"{username.strip().lower()}|{ip}")


def authenticate_with_password(*, username: str, password: str, channel: str = "api") -> User:
    """Check a teacher's or admin's password, counting the attempt against this address and account.

    The API, the portal and the admin site sign in through here, so all share the same limits and audit
    entries. Raises SignInError on wrong credentials (without saying which part was wrong) and RateLimitedError.
    """
    count_password_attempt(username)
    user = authenticate(username=username, password=password)
    if user is None or user.role not in PASSWORD_ROLES:
        waiting = User.objects.filter(
            username=username, is_active=False, role=User.Role.TEACHER
        ).first()
        approved_later = waiting is not None and waiting.check_password(password)
        record_audit_event(
            action="auth.login_failed",
            metadata={
                "username": username[:150],
                "channel": channel,
                "reason": "awaiting approval" if approved_later else "credentials",
            },
        )
        if approved_later:
            raise SignInError("Your account is waiting for an admin's approval.")
        raise SignInError("Wrong username or password.")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    record_audit_event(action="auth.login", actor=user, target=user, metadata={"channel": channel})
    return user


def sign_in(*, username: str, password: str) -> TokenPair:
    """Sign a teacher or admin in to the apps: check the password and start a token family."""
    return issue_token_pair(
        authenticate_with_password(username=username, password=password, channel="api")
    )


def _lock_key(child_id: int) -> str:
    return f"picture-lock:{child_id}"


def _failures_key(child_id: int) -> str:
    return f"picture-failures:{child_id}"


def picture_sign_in_locked_until(child: ChildProfile) -> float | None:
    """Return when the child's picture sign-in unlocks (a timestamp), or None when it is not locked."""
    return cache_get(_lock_key(child.pk))


def _record_picture_failure(child: ChildProfile) -> bool:
    """Count a wrong picture code; return True when this failure locks the child's picture sign-in."""
    try:
        cache.add(_failures_key(child.pk), 0, timeout=PICTURE_LOCK_SECONDS)
        failures = cache.incr(_failures_key(child.pk))
        if failures >= PICTURE_FAILURES_ALLOWED:
            cache.set(
                _lock_key(child.pk),
                timezone.now().timestamp() + PICTURE_LOCK_SECONDS,
                PICTURE_LOCK_SECONDS,
            )
            cache.delete(_failures_key(child.pk))
            return True
    except Exception as exc:
        raise RateLimitedError(
            "Sign-in is paused for a moment. Please try again soon.", retry_after=30
        ) from exc
    return False


def clear_picture_failures(child: ChildProfile) -> None:
    try:
        cache.delete_many([_lock_key(child.pk), _failures_key(child.pk)])
    except (
        Exception
    ):  # a cache that is down holds no lock to clear; the sign-in itself must not fail
        logger.warning(
            "picture sign-in counters of child %s could not be cleared", child.pk, exc_info=True
        )


def sign_in_child(*, class_code: str, child_id: int | str, picture_code: list[str]) -> TokenPair:
    """Sign a child in with their class code, their tile on the roster and their 3-picture code.

    Five wrong picture codes lock the child's picture sign-in for 15 minutes (their teacher can unlock it).
    Raises SignInError and RateLimitedError.
    """
    ratelimit.hit(CHILD_LOGIN_PER_IP, _ip())
    try:
        classroom = selectors.classroom_for_class_code(class_code)
        child = ChildProfile.objects.select_related("user").get(
            pk=int(child_id), classroom=classroom, archived_at__isnull=True
        )
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        record_audit_event(
            action="auth.child_login_failed", metadata={"reason": "unknown class or child"}
        )
        raise SignInError("That class code and child do not match.") from exc
    locked_until = picture_sign_in_locked_until(child)
    if locked_until is not None:
        record_audit_event(
            action="auth.child_login_failed", target=child, metadata={"reason": "locked"}
        )
        raise RateLimitedError(
            "Too many wrong pictures. Ask your teacher, or try again later.",
            retry_after=max(1, int(locked_until - timezone.now().timestamp())),
        )
    if [
        icon.strip().lower() for icon in picture_code
    ] != child.picture_code_icons or not child.user.is_active:
        locked = _record_picture_failure(child)
        record_audit_event(
            action="auth.child_login_failed",
            target=child,
            metadata={"reason": "picture code", "locked": locked},
        )
        if locked:
            record_audit_event(action="auth.picture_sign_in_locked", target=child)
        raise SignInError("Those pictures are not right. Try again!")
    clear_picture_failures(child)
    User.objects.filter(pk=child.user_id).update(last_login=timezone.now())
    record_audit_event(action="auth.child_login", actor=child.user, target=child)
    return issue_token_pair(child.user)


def refresh_session(*, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair (rotation). Raises InvalidTokenError and RateLimitedError."""
    ratelimit.hit(REFRESH_PER_IP, _ip())
    return rotate_refresh_token(refresh_token)


def sign_out(*, refresh_token: str) -> bool:
    """Revoke a refresh token; return whether it was live."""
    user = revoke_refresh_token(refresh_token, reason=RefreshToken.RevokedReason.LOGOUT)
    if user is None:
        return False
    record_audit_event(action="auth.logout", actor=user, target=user)
    return True


__all__ = [
    "InvalidTokenError",
    "SignInError",
    "check_roster_rate",
    "count_password_attempt",
    "refresh_session",
    "sign_in",
    "sign_in_child",
    "sign_out",
]
