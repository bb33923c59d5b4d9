import base64
import json
import threading
import time
import uuid

import jwt
import pytest
from django.conf import settings
from django.db import connection

from learnify.accounts import tokens
from learnify.accounts.models import RefreshToken
from learnify.core.models import AuditLog
from tests.api.conftest import GraphQLClient
from tests.factories import TeacherProfileFactory

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


# --- two refreshes of one token at once ------------------------------------------------------------------


def _refresh_outcome(token):
    try:
        return tokens.rotate_refresh_token(token)
    except tokens.InvalidTokenError as exc:
        return exc


@pytest.mark.security
def test_a_refresh_that_loses_the_race_is_refused_and_revokes_the_family(user, monkeypatch):
    """Interleave two refreshes of one token deterministically: the second rotates it after the first read it.

    Row locks normally keep this from happening; the rotation must not depend on them to stay single-use.
    """
    pair = tokens.issue_token_pair(user)
    original_user_for = tokens._user_for
    raced = []

    def user_for_then_race(claims):
        found = original_user_for(claims)
        if not raced:  # the other request wins between this request's read and its write
            raced.append(None)
            raced[0] = _refresh_outcome(pair.refresh)
        return found

    monkeypatch.setattr(tokens, "_user_for", user_for_then_race)

    loser = _refresh_outcome(pair.refresh)

    assert isinstance(raced[0], tokens.TokenPair)
    assert isinstance(loser, tokens.InvalidTokenError)
    # Per the reuse rule a rotated token presented again revokes the family, the winner's new pair included.
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert RefreshToken.objects.filter(user=user).count() == 2
    assert AuditLog.objects.filter(action="token.reuse_detected").count() == 1


CONCURRENT_REFRESHES = 2


@pytest.mark.security
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_let_exactly_one_through():
    user = TeacherProfileFactory().user
    pair = tokens.issue_token_pair(user)
    barrier = threading.Barrier(CONCURRENT_REFRESHES)
    outcomes = []

    def refresh():
        try:
            barrier.wait(timeout=10)
            outcomes.append(_refresh_outcome(pair.refresh))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(CONCURRENT_REFRESHES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [o for o in outcomes if isinstance(o, tokens.TokenPair)]
    losers = [o for o in outcomes if isinstance(o, tokens.InvalidTokenError)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert winners[0].refresh != pair.refresh
    # Exactly one new token was issued, and the loser's reuse revoked the family (audited once).
    assert RefreshToken.objects.filter(user=user).count() == 2
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert AuditLog.objects.filter(action="token.reuse_detected").count() == 1


@pytest.mark.security
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refresh_requests_over_the_api_let_exactly_one_through():
    user = TeacherProfileFactory().user
    pair = tokens.issue_token_pair(user)
    barrier = threading.Barrier(CONCURRENT_REFRESHES)
    codes = []

    def refresh():
        try:
            client = GraphQLClient()
            barrier.wait(timeout=10)
            result = client.query(
                "mutation($r: String!) { refreshToken(refreshToken: $r) { token } }",
                {"r": pair.refresh},
            )
            codes.append(tuple(result.codes))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(CONCURRENT_REFRESHES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(codes) == [(), ("UNAUTHENTICATED",)]
    assert RefreshToken.objects.filter(user=user).count() == 2


# --- every token attack over the API: the access variant on a query, the refresh variant on refreshToken -----

REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken } }"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forge(user, typ, **overrides):
    return jwt.encode(
        _claims(user, typ=typ, fam=str(uuid.uuid4()), **overrides), settings.JWT_SIGNING_KEY
    )


def _attack_alg_none(user, typ):
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user, typ=typ))}."


def _attack_wrong_key(user, typ):
    return jwt.encode(_claims(user, typ=typ), "another-key-entirely-another-key-entirely")


def _attack_wrong_audience(user, typ):
    return _forge(user, typ, aud="someone-else")


def _attack_expired(user, typ):
    now = time.time()
    return _forge(user, typ, iat=now - 3600, nbf=int(now) - 3600, exp=int(now) - 60)


def _attack_future_nbf(user, typ):
    return _forge(user, typ, nbf=int(time.time()) + 3600)


def _attack_wrong_type(user, typ):
    # The other half of a real pair: a refresh token sent as access, an access token sent as refresh.
    pair = tokens.issue_token_pair(user)
    return pair.refresh if typ == "access" else pair.access


def _attack_tampered(user, typ):
    pair = tokens.issue_token_pair(user)
    genuine = pair.access if typ == "access" else pair.refresh
    header, _, signature = genuine.split(".")
    other = TeacherProfileFactory().user
    return f"{header}.{_b64(_claims(other, typ=typ))}.{signature}"


def _attack_deactivated(user, typ):
    pair = tokens.issue_token_pair(user)
    user.is_active = False
    user.save()
    return pair.access if typ == "access" else pair.refresh


def _attack_revoked(user, typ):
    # Access: issued before a password change; refresh: already rotated (its reuse revokes the family).
    pair = tokens.issue_token_pair(user)
    if typ == "access":
        tokens.revoke_all_tokens(user, reason=RefreshToken.RevokedReason.PASSWORD_CHANGED)
    else:
        tokens.rotate_refresh_token(pair.refresh)
    return pair.access if typ == "access" else pair.refresh


ATTACKS = {
    name.removeprefix("_attack_"): attack
    for name, attack in dict(globals()).items()
    if name.startswith("_attack_")
}


@pytest.mark.security
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_token_attack_as_access_token_is_unauthenticated_over_the_api(user, attack):
    token = ATTACKS[attack](user, "access")

    result = _me_with(token)

    assert result.codes == ["UNAUTHENTICATED"], result.body
    assert result.data is None or result.data.get("me") is None


@pytest.mark.security
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_token_attack_as_refresh_token_is_unauthenticated_over_the_api(user, attack):
    token = ATTACKS[attack](user, "refresh")
    stored_before = RefreshToken.objects.count()

    result = GraphQLClient().query(REFRESH, {"r": token})

    assert result.codes == ["UNAUTHENTICATED"], result.body
    assert result.data is None or result.data.get("refreshToken") is None
    assert RefreshToken.objects.count() <= stored_before  # no new pair was issued
