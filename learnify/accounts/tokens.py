"""Access and refresh tokens for the apps, on PyJWT.

Access tokens live 15 minutes and are checked on every request against the user (active, not revoked since the
token was issued). Refresh tokens are JWTs too, but also stored as a SHA-256 hash: each use rotates them, and a
rotated token presented again means it was stolen or replayed, so its whole family is revoked and audited.
Both carry `typ`, so neither can stand in for the other. Only HS256 is accepted: `alg: none` and algorithm
confusion are refused by PyJWT because the accepted algorithms are pinned.
"""

from __future__ import annotations

import datetime
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from learnify.accounts.models import RefreshToken, User
from learnify.core.services import record_audit_event

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
_REQUIRED_CLAIMS = ["exp", "iat", "jti", "iss", "aud", "sub", "typ"]


class InvalidTokenError(Exception):
    """The token cannot be used: malformed, expired, revoked, of the wrong type or for an inactive user."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_at: datetime.datetime
    user: User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _encode(
    *, user: User, typ: str, lifetime: int, jti: uuid.UUID, extra: dict[str, Any]
) -> tuple[str, float]:
    # Fractional `iat` (allowed by RFC 7519) so a token issued just after a revocation is not mistaken for
    # one issued just before it.
    issued = time.time()
    payload = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user.pk),
        "iat": issued,
        "nbf": int(issued),
        "exp": int(issued) + lifetime,
        "jti": str(jti),
        "typ": typ,
        **extra,
    }
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM), issued


def decode(token: str, *, typ: str) -> dict[str, Any]:
    """Return the verified claims of `token`; raise InvalidTokenError unless it is a valid token of `typ`."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": _REQUIRED_CLAIMS},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("The token is not valid.") from exc
    if claims.get("typ") != typ:
        raise InvalidTokenError(
            f"This is not an {typ} token." if typ == ACCESS else f"This is not a {typ} token."
        )
    return claims


def _user_for(claims: dict[str, Any]) -> User:
    try:
        # With the child's profile: a child's every request reads their class level (lesson visibility).
        user = User.objects.select_related("child_profile").get(pk=int(claims["sub"]))
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise InvalidTokenError("The token is not valid.") from exc
    if not user.is_active:
        raise InvalidTokenError("This account is not active.")
    valid_after = user.tokens_valid_after
    if valid_after is not None and float(claims["iat"]) < valid_after.timestamp():
        raise InvalidTokenError("The token has been revoked. Please sign in again.")
    return user


def authenticate_access_token(token: str) -> User:
    """Return the user an access token belongs to; raise InvalidTokenError if it cannot be used."""
    return _user_for(decode(token, typ=ACCESS))


def _issue(user: User, family: uuid.UUID) -> TokenPair:
    access, issued = _encode(
        user=user,
        typ=ACCESS,
        lifetime=settings.ACCESS_TOKEN_LIFETIME_SECONDS,
        jti=uuid.uuid4(),
        extra={"role": user.role},
    )
    refresh_jti = uuid.uuid4()
    refresh, _ = _encode(
        user=user,
        typ=REFRESH,
        lifetime=settings.REFRESH_TOKEN_LIFETIME_SECONDS,
        jti=refresh_jti,
        extra={"fam": str(family)},
    )
    issued_at = datetime.datetime.fromtimestamp(issued, tz=datetime.UTC)
    RefreshToken.objects.create(
        user=user,
        family=family,
        jti=refresh_jti,
        token_hash=_hash(refresh),
        issued_at=issued_at,
        expires_at=issued_at + datetime.timedelta(seconds=settings.REFRESH_TOKEN_LIFETIME_SECONDS),
    )
    expires_at = datetime.datetime.fromtimestamp(
        int(issued) + settings.ACCESS_TOKEN_LIFETIME_SECONDS, tz=datetime.UTC
    )
    return TokenPair(access=access, refresh=refresh, expires_at=expires_at, user=user)


@transaction.atomic
def issue_token_pair(user: User) -> TokenPair:
    """Start a new token family for a user who just signed in."""
    return _issue(user, uuid.uuid4())


def rotate_refresh_token(token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one stops working.

    A token that was already rotated and is presented again revokes its whole family (audited): that
    revocation commits even though the call fails. Raises InvalidTokenError.
    """
    claims = decode(token, typ=REFRESH)
    with transaction.atomic():
        stored = RefreshToken.objects.select_for_update().filter(token_hash=_hash(token)).first()
        if stored is None:
            raise InvalidTokenError("The token is not valid.")
        if stored.revoked_at is None:
            user = _user_for(claims)
            # Conditional UPDATE: only the request that flips the row from live to rotated gets a new pair,
            # even where the row lock above is a no-op (SQLite) or a second request slipped in after the read.
            won = RefreshToken.objects.filter(pk=stored.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_reason=RefreshToken.RevokedReason.ROTATED
            )
            if won:
                return _issue(user, stored.family)
            stored.refresh_from_db(fields=["revoked_at", "revoked_reason"])
        if stored.revoked_reason == RefreshToken.RevokedReason.ROTATED:
            _revoke_family(stored)
    raise InvalidTokenError("The token has been revoked. Please sign in again.")


def _revoke_family(stored: RefreshToken) -> None:
    revoked = RefreshToken.objects.filter(family=stored.family, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=RefreshToken.RevokedReason.REUSE
    )
    record_audit_event(
        action="token.reuse_detected",
        actor=None,
        target=stored.user,
        metadata={"family": str(stored.family), "revoked": revoked, "jti": str(stored.jti)},
    )


@transaction.atomic
def revoke_refresh_token(
    token: str, *, reason: str = RefreshToken.RevokedReason.LOGOUT
) -> User | None:
    """Revoke one refresh token (sign-out) and return its user, or None if it was not a live token."""
    try:
        decode(token, typ=REFRESH)
    except InvalidTokenError:
        return None
    stored = RefreshToken.objects.select_for_update().filter(token_hash=_hash(token)).first()
    if stored is None or stored.revoked_at is not None:
        return None
    stored.revoked_at = timezone.now()
    stored.revoked_reason = reason
    stored.save(update_fields=["revoked_at", "revoked_reason"])
    return stored.user


def revoke_all_tokens(user: User, *, reason: str) -> None:
    """Refuse every token issued to `user` until now (password change, deactivation, erasure)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(tokens_valid_after=now)
    user.tokens_valid_after = now
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
