import base64
import json
import time

import jwt
import pytest
from django.conf import settings

from learnify.accounts import tokens
from learnify.accounts.models import RefreshToken
from learnify.core.models import AuditLog
from tests.factories import TeacherProfileFactory
from tests.schema.conftest import GraphQLClient

pytestmark = pytest.mark.django_db

ME = "{ me { id username } }"


@pytest.fixture
def user():
    return TeacherProfileFactory().user


def _claims(user, **overrides):
    now = time.time()
    claims = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user.pk),
        "iat": now,
        "nbf": int(now),
        "exp": int(now) + 600,
        "jti": "7f1b0c1e-58a4-4c1e-9d55-3f7c0f3c2b11",
        "typ": "access",
    }
    claims.update(overrides)
    return claims


def _me_with(token):
    return GraphQLClient(token=token).query(ME)


def test_valid_access_token_signs_in(user):
    pair = tokens.issue_token_pair(user)

    result = _me_with(pair.access)

    assert result.data == {"me": {"id": str(user.pk), "username": user.username}}


def test_access_token_claims_are_pinned(user):
    pair = tokens.issue_token_pair(user)
    header = jwt.get_unverified_header(pair.access)
    claims = jwt.decode(pair.access, options={"verify_signature": False})

    assert header["alg"] == "HS256"
    assert {"exp", "iat", "jti", "iss", "aud", "sub", "typ"} <= set(claims)
    assert claims["typ"] == "access"
    assert claims["exp"] - int(claims["iat"]) == settings.ACCESS_TOKEN_LIFETIME_SECONDS == 15 * 60


def test_expired_token_is_refused(user):
    token = jwt.encode(
        _claims(
            user, iat=time.time() - 3600, nbf=int(time.time()) - 3600, exp=int(time.time()) - 60
        ),
        settings.JWT_SIGNING_KEY,
    )

    result = _me_with(token)

    assert result.codes == ["UNAUTHENTICATED"]
    assert "expired" in result.errors[0]["message"]


def test_token_signed_with_another_key_is_refused(user):
    token = jwt.encode(_claims(user), "another-key-entirely-another-key-entirely")

    assert _me_with(token).codes == ["UNAUTHENTICATED"]


def test_alg_none_token_is_refused(user):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(
        b"="
    )
    payload = base64.urlsafe_b64encode(json.dumps(_claims(user)).encode()).rstrip(b"=")
    token = f"{header.decode()}.{payload.decode()}."

    assert _me_with(token).codes == ["UNAUTHENTICATED"]


def test_wrong_audience_is_refused(user):
    token = jwt.encode(_claims(user, aud="someone-else"), settings.JWT_SIGNING_KEY)

    assert _me_with(token).codes == ["UNAUTHENTICATED"]


def test_future_nbf_is_refused(user):
    token = jwt.encode(_claims(user, nbf=int(time.time()) + 3600), settings.JWT_SIGNING_KEY)

    assert _me_with(token).codes == ["UNAUTHENTICATED"]


def test_refresh_token_used_as_access_is_refused(user):
    pair = tokens.issue_token_pair(user)

    result = _me_with(pair.refresh)

    assert result.codes == ["UNAUTHENTICATED"]
    assert "not an access token" in result.errors[0]["message"]


def test_tampered_payload_is_refused(user):
    other = TeacherProfileFactory().user
    header, _, signature = tokens.issue_token_pair(user).access.split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(other)).encode()).rstrip(b"=").decode()

    assert _me_with(f"{header}.{forged}.{signature}").codes == ["UNAUTHENTICATED"]


def test_deactivated_user_token_is_refused(user):
    pair = tokens.issue_token_pair(user)
    user.is_active = False
    user.save()

    assert _me_with(pair.access).codes == ["UNAUTHENTICATED"]


def test_jwt_prefix_is_accepted_like_bearer(user):
    pair = tokens.issue_token_pair(user)

    result = GraphQLClient().query(ME, HTTP_AUTHORIZATION=f"JWT {pair.access}")

    assert result.data["me"]["id"] == str(user.pk)


def test_refresh_rotates_and_old_refresh_stops_working(user):
    first = tokens.issue_token_pair(user)

    second = tokens.rotate_refresh_token(first.refresh)

    assert second.refresh != first.refresh
    assert _me_with(second.access).data["me"]["id"] == str(user.pk)
    with pytest.raises(tokens.InvalidTokenError):
        tokens.rotate_refresh_token(first.refresh)


def test_reusing_rotated_refresh_revokes_family_and_is_audited(user):
    first = tokens.issue_token_pair(user)
    second = tokens.rotate_refresh_token(first.refresh)

    with pytest.raises(tokens.InvalidTokenError):
        tokens.rotate_refresh_token(first.refresh)

    with pytest.raises(tokens.InvalidTokenError):
        tokens.rotate_refresh_token(
            second.refresh
        )  # the thief's or the owner's: the whole family is gone
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    entry = AuditLog.objects.get(action="token.reuse_detected")
    assert entry.target_id == str(user.pk)


def test_refresh_tokens_are_stored_hashed(user):
    pair = tokens.issue_token_pair(user)

    stored = RefreshToken.objects.get(user=user)

    assert pair.refresh not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_revoke_all_tokens_refuses_earlier_access_tokens_but_not_later_ones(user):
    before = tokens.issue_token_pair(user)

    tokens.revoke_all_tokens(user, reason=RefreshToken.RevokedReason.PASSWORD_CHANGED)
    after = tokens.issue_token_pair(user)

    assert _me_with(before.access).codes == ["UNAUTHENTICATED"]
    assert _me_with(after.access).data["me"]["id"] == str(user.pk)
    with pytest.raises(tokens.InvalidTokenError):
        tokens.rotate_refresh_token(before.refresh)
