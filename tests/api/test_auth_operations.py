"""The sign-in mutations of the contract: login, childLogin, refreshToken and logout.

(Token expiry and algorithm attacks are tested elsewhere; these are the operations as the apps call them.)
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from learnify.accounts import services
from learnify.accounts.models import RefreshToken
from learnify.accounts.sign_in import LOGIN_PER_ACCOUNT
from learnify.core import ratelimit
from learnify.core.models import AuditLog
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  token refreshToken expiresAt user { id username role child { displayName } } } }"""
CHILD_LOGIN = """mutation($c: String!, $id: ID!, $p: [String!]!) {
  childLogin(classCode: $c, childId: $id, pictureCode: $p) {
    token refreshToken expiresAt user { id role child { id displayName } } } }"""
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken expiresAt user { id } } }"
LOGOUT = "mutation($r: String!) { logout(refreshToken: $r) }"
ME = "{ me { id role } }"
WRONG = ["moon", "boat", "ball"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _expires_in(payload) -> float:
    expires = datetime.datetime.fromisoformat(payload["expiresAt"].replace("Z", "+00:00"))
    return (expires - timezone.now()).total_seconds()


def _me(gql, token):
    return gql(None, token=token).query(ME)


# --- login --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "other_teacher", "admin"])
def test_login_with_the_right_password_returns_a_working_session(world, gql, role):
    user = {
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]

    result = gql(None).query(LOGIN, {"u": user.username, "p": factories.DEFAULT_PASSWORD})

    assert result.errors == []
    payload = result.data["login"]
    assert payload["user"] == {
        "id": str(user.pk),
        "username": user.username,
        "role": str(user.role),
        "child": None,
    }
    assert 15 * 60 - 5 <= _expires_in(payload) <= 15 * 60 + 1
    assert payload["token"] != payload["refreshToken"]
    assert _me(gql, payload["token"]).data["me"] == {"id": str(user.pk), "role": str(user.role)}
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert AuditLog.objects.filter(action="auth.login", actor_id=user.pk).count() == 1


@pytest.mark.parametrize(
    ("username", "password"),
    [("teacher", "wrong password!"), ("nobody-here", factories.DEFAULT_PASSWORD), ("teacher", "")],
)
def test_login_with_wrong_credentials_is_unauthenticated_without_saying_which(
    world, gql, username, password
):
    username = world.teacher.user.username if username == "teacher" else username

    result = gql(None).query(LOGIN, {"u": username, "p": password})

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.errors[0]["message"] == "Wrong username or password."
    assert result.data is None
    assert not RefreshToken.objects.exists()
    assert (
        AuditLog.objects.filter(action="auth.login_failed", metadata__username=username).count()
        == 1
    )


def test_login_of_a_child_account_is_refused(world, gql):
    # Children have no password to type; their account must not open the password door even with one set.
    result = gql(None).query(
        LOGIN, {"u": world.child.user.username, "p": factories.DEFAULT_PASSWORD}
    )

    assert result.codes == ["UNAUTHENTICATED"]
    assert not RefreshToken.objects.exists()


def test_login_of_an_unapproved_teacher_is_refused_until_approval(db, gql):
    waiting = factories.TeacherProfileFactory(user__is_active=False, approved_at=None)

    result = gql(None).query(LOGIN, {"u": waiting.user.username, "p": factories.DEFAULT_PASSWORD})

    assert result.codes == ["UNAUTHENTICATED"]
    assert "approval" in result.errors[0]["message"]
    assert not RefreshToken.objects.exists()
    # The wrong password does not learn that the account exists and waits.
    wrong = gql(None).query(LOGIN, {"u": waiting.user.username, "p": "not the password"})
    assert wrong.errors[0]["message"] == "Wrong username or password."


def test_login_is_rate_limited_per_account_and_address(world, gql, monkeypatch):
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    username = world.teacher.user.username
    for _ in range(LOGIN_PER_ACCOUNT.limit):
        assert gql(None).query(LOGIN, {"u": username, "p": "guess guess guess"}).codes == [
            "UNAUTHENTICATED"
        ]

    result = gql(None).query(LOGIN, {"u": username, "p": factories.DEFAULT_PASSWORD})

    assert result.codes == ["RATE_LIMITED"]
    assert result.errors[0]["extensions"]["retryAfter"] > 0
    assert not RefreshToken.objects.exists()


# --- childLogin ---------------------------------------------------------------------------------------------


def _child_login(gql, world, child=None, pictures=None, class_code=None):
    child = child or world.child
    return gql(None).query(
        CHILD_LOGIN,
        {
            "c": class_code or world.classroom.class_code,
            "id": str(child.pk),
            "p": child.picture_code_icons if pictures is None else pictures,
        },
    )


@pytest.mark.parametrize("who", ["child", "classmate"])
def test_child_login_with_the_right_pictures_signs_that_child_in(world, gql, who):
    child = getattr(world, who)

    result = _child_login(gql, world, child)

    assert result.errors == []
    payload = result.data["childLogin"]
    assert payload["user"] == {
        "id": str(child.user_id),
        "role": "CHILD",
        "child": {"id": str(child.pk), "displayName": child.display_name},
    }
    assert 15 * 60 - 5 <= _expires_in(payload) <= 15 * 60 + 1
    assert _me(gql, payload["token"]).data["me"] == {"id": str(child.user_id), "role": "CHILD"}
    assert AuditLog.objects.filter(action="auth.child_login", actor_id=child.user_id).count() == 1


def test_child_login_ignores_case_and_spaces_in_code_and_pictures(world, gql):
    result = _child_login(
        gql,
        world,
        pictures=[" Cat", "SUN ", "tree"],
        class_code=f" {world.classroom.class_code.lower()} ",
    )

    assert result.errors == []
    assert result.data["childLogin"]["user"]["child"]["displayName"] == "Sami"


@pytest.mark.parametrize(
    "pictures",
    [WRONG, ["tree", "sun", "cat"], ["cat", "sun"], ["cat", "sun", "tree", "tree"], []],
)
def test_child_login_with_wrong_pictures_is_unauthenticated(world, gql, pictures):
    result = _child_login(gql, world, pictures=pictures)

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data is None
    assert not RefreshToken.objects.exists()


def test_child_login_with_another_classrooms_code_is_unauthenticated(world, gql):
    result = _child_login(gql, world, world.other_child)  # Omar on Sami's class code

    assert result.codes == ["UNAUTHENTICATED"]
    assert not RefreshToken.objects.exists()


def test_child_login_locks_after_five_wrong_codes_even_for_the_right_code(world, gql):
    for attempt in range(5):
        assert _child_login(gql, world, pictures=WRONG).codes == ["UNAUTHENTICATED"], attempt

    locked = _child_login(gql, world)

    assert locked.codes == ["RATE_LIMITED"]
    assert 0 < locked.errors[0]["extensions"]["retryAfter"] <= 15 * 60
    assert locked.data is None
    assert not RefreshToken.objects.exists()
    assert AuditLog.objects.filter(
        action="auth.picture_sign_in_locked", target_id=str(world.child.pk)
    ).exists()
    # The lock is the child's own: a classmate on the same tablet still signs in.
    assert _child_login(gql, world, world.classmate).errors == []


def test_child_login_four_wrong_codes_do_not_lock(world, gql):
    for _ in range(4):
        _child_login(gql, world, pictures=WRONG)

    assert _child_login(gql, world).errors == []
    # A success starts the count again: four more wrong codes still do not lock.
    for _ in range(4):
        _child_login(gql, world, pictures=WRONG)
    assert _child_login(gql, world).errors == []


def test_child_login_lock_is_lifted_by_the_childs_teacher(world, gql):
    for _ in range(5):
        _child_login(gql, world, pictures=WRONG)
    assert _child_login(gql, world).codes == ["RATE_LIMITED"]

    with pytest.raises(PermissionDenied):
        services.unlock_picture_sign_in(child=world.child, actor=world.other_teacher.user)
    assert _child_login(gql, world).codes == ["RATE_LIMITED"]

    services.unlock_picture_sign_in(child=world.child, actor=world.teacher.user)

    result = _child_login(gql, world)
    assert result.errors == []
    assert result.data["childLogin"]["user"]["child"]["displayName"] == "Sami"


def test_child_login_of_an_archived_child_is_unauthenticated(world, gql):
    world.child.archived_at = timezone.now()
    world.child.save()

    assert _child_login(gql, world).codes == ["UNAUTHENTICATED"]


# --- refreshToken -------------------------------------------------------------------------------------------


def _session(gql, world):
    result = gql(None).query(
        LOGIN, {"u": world.teacher.user.username, "p": factories.DEFAULT_PASSWORD}
    )
    return result.data["login"]


def test_refresh_token_rotates_to_a_new_working_pair(world, gql):
    first = _session(gql, world)

    result = gql(None).query(REFRESH, {"r": first["refreshToken"]})

    assert result.errors == []
    second = result.data["refreshToken"]
    assert second["user"] == {"id": str(world.teacher.user_id)}
    assert second["refreshToken"] != first["refreshToken"]
    assert second["token"] != first["token"]
    assert _me(gql, second["token"]).data["me"]["id"] == str(world.teacher.user_id)
    # The old refresh token stops working...
    assert gql(None).query(REFRESH, {"r": first["refreshToken"]}).codes == ["UNAUTHENTICATED"]


def test_refresh_token_reused_revokes_the_new_one_too(world, gql):
    first = _session(gql, world)
    second = gql(None).query(REFRESH, {"r": first["refreshToken"]}).data["refreshToken"]

    reused = gql(None).query(REFRESH, {"r": first["refreshToken"]})
    after = gql(None).query(REFRESH, {"r": second["refreshToken"]})

    assert reused.codes == ["UNAUTHENTICATED"]
    assert after.codes == ["UNAUTHENTICATED"]
    assert not RefreshToken.objects.filter(
        user=world.teacher.user, revoked_at__isnull=True
    ).exists()
    assert (
        AuditLog.objects.filter(
            action="token.reuse_detected", target_id=str(world.teacher.user_id)
        ).count()
        == 1
    )


def test_refresh_token_reuse_leaves_other_sessions_alone(world, gql):
    tablet = _session(gql, world)
    laptop = _session(gql, world)
    gql(None).query(REFRESH, {"r": tablet["refreshToken"]})
    gql(None).query(REFRESH, {"r": tablet["refreshToken"]})  # replayed: the tablet's family goes

    assert gql(None).query(REFRESH, {"r": laptop["refreshToken"]}).errors == []


@pytest.mark.parametrize("which", ["access", "garbage", "empty"])
def test_refresh_token_refuses_what_is_not_a_live_refresh_token(world, gql, which):
    session = _session(gql, world)
    token = {"access": session["token"], "garbage": "not.a.token", "empty": ""}[which]

    result = gql(None).query(REFRESH, {"r": token})

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data is None


def test_refresh_token_works_for_a_child_session(world, gql):
    first = _child_login(gql, world).data["childLogin"]

    second = gql(None).query(REFRESH, {"r": first["refreshToken"]}).data["refreshToken"]

    assert _me(gql, second["token"]).data["me"] == {"id": str(world.child.user_id), "role": "CHILD"}


# --- logout -------------------------------------------------------------------------------------------------


def test_logout_revokes_the_refresh_token(world, gql):
    session = _session(gql, world)

    result = gql(None).query(LOGOUT, {"r": session["refreshToken"]})

    assert result.errors == []
    assert result.data == {"logout": True}
    assert gql(None).query(REFRESH, {"r": session["refreshToken"]}).codes == ["UNAUTHENTICATED"]
    assert gql(None).query(LOGOUT, {"r": session["refreshToken"]}).data == {"logout": False}
    assert (
        AuditLog.objects.filter(action="auth.logout", actor_id=world.teacher.user_id).count() == 1
    )


def test_logout_leaves_the_users_other_sessions_alone(world, gql):
    tablet = _session(gql, world)
    laptop = _session(gql, world)

    gql(None).query(LOGOUT, {"r": tablet["refreshToken"]})

    assert gql(None).query(REFRESH, {"r": laptop["refreshToken"]}).errors == []


@pytest.mark.parametrize("token", ["not.a.token", ""])
def test_logout_of_an_unknown_token_answers_false(world, gql, token):
    result = gql(None).query(LOGOUT, {"r": token})

    assert result.errors == []
    assert result.data == {"logout": False}
    assert not AuditLog.objects.filter(action="auth.logout").exists()


def test_logout_of_an_access_token_answers_false_and_revokes_nothing(world, gql):
    session = _session(gql, world)

    assert gql(None).query(LOGOUT, {"r": session["token"]}).data == {"logout": False}
    assert gql(None).query(REFRESH, {"r": session["refreshToken"]}).errors == []
