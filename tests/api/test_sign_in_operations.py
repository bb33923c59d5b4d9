import pytest
from django.core.cache import cache

from learnify.accounts import services
from learnify.accounts.sign_in import PICTURE_FAILURES_ALLOWED
from learnify.core.models import AuditLog
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token refreshToken expiresAt user { username role } } }"
CHILD_LOGIN = "mutation($c: String!, $id: ID!, $p: [String!]!) { childLogin(classCode: $c, childId: $id, pictureCode: $p) { token user { role child { displayName } } } }"
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken } }"
LOGOUT = "mutation($r: String!) { logout(refreshToken: $r) }"
ME = "{ me { username } }"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _login(username, password):
    return GraphQLClient().query(LOGIN, {"u": username, "p": password})


def test_login_with_the_right_password_returns_tokens_and_is_audited(world):
    result = _login(world.teacher.user.username, factories.DEFAULT_PASSWORD)

    payload = result.data["login"]
    assert payload["user"] == {"username": world.teacher.user.username, "role": "TEACHER"}
    assert (
        GraphQLClient(token=payload["token"]).query(ME).data["me"]["username"]
        == world.teacher.user.username
    )
    assert AuditLog.objects.filter(action="auth.login", actor_id=world.teacher.user_id).exists()


def test_login_with_a_wrong_password_is_refused_and_audited(world):
    result = _login(world.teacher.user.username, "not it")

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.errors[0]["message"] == "Wrong username or password."
    assert AuditLog.objects.filter(action="auth.login_failed").exists()


def test_unapproved_teacher_is_told_to_wait(db):
    services.register_teacher(
        username="ms.new", password="violet tractor harbour 91", display_name="Ms. New"
    )

    result = _login("ms.new", "violet tractor harbour 91")

    assert result.codes == ["UNAUTHENTICATED"]
    assert "waiting for an admin" in result.errors[0]["message"]


def test_children_cannot_use_password_login(world):
    assert _login(world.child.user.username, "").codes == ["UNAUTHENTICATED"]


def _child_login(world, pictures):
    return GraphQLClient().query(
        CHILD_LOGIN,
        {"c": world.classroom.class_code.lower(), "id": str(world.child.pk), "p": pictures},
    )


def test_child_signs_in_with_class_code_tile_and_pictures(world):
    result = _child_login(world, world.child.picture_code_icons)

    assert result.data["childLogin"]["user"] == {"role": "CHILD", "child": {"displayName": "Sami"}}


def test_wrong_pictures_are_refused(world):
    result = _child_login(world, ["moon", "moon", "moon"])

    assert result.codes == ["UNAUTHENTICATED"]


def test_a_child_of_another_class_cannot_sign_in_with_this_class_code(world):
    result = GraphQLClient().query(
        CHILD_LOGIN,
        {
            "c": world.classroom.class_code,
            "id": str(world.other_child.pk),
            "p": world.other_child.picture_code_icons,
        },
    )

    assert result.codes == ["UNAUTHENTICATED"]


def test_five_wrong_picture_codes_lock_the_child_until_a_teacher_unlocks(world):
    for _ in range(PICTURE_FAILURES_ALLOWED):
        _child_login(world, ["moon", "moon", "moon"])

    locked = _child_login(world, world.child.picture_code_icons)
    assert locked.codes == ["RATE_LIMITED"]
    assert locked.errors[0]["extensions"]["retryAfter"] > 0

    services.unlock_picture_sign_in(child=world.child, actor=world.teacher.user)

    assert _child_login(world, world.child.picture_code_icons).errors == []


def test_refresh_rotates_and_reuse_revokes_the_family(world):
    first = _login(world.teacher.user.username, factories.DEFAULT_PASSWORD).data["login"]

    second = GraphQLClient().query(REFRESH, {"r": first["refreshToken"]}).data["refreshToken"]
    reused = GraphQLClient().query(REFRESH, {"r": first["refreshToken"]})
    after_reuse = GraphQLClient().query(REFRESH, {"r": second["refreshToken"]})

    assert second["refreshToken"] != first["refreshToken"]
    assert reused.codes == ["UNAUTHENTICATED"]
    assert after_reuse.codes == ["UNAUTHENTICATED"]
    assert AuditLog.objects.filter(action="token.reuse_detected").exists()


def test_logout_revokes_the_refresh_token(world):
    tokens = _login(world.teacher.user.username, factories.DEFAULT_PASSWORD).data["login"]

    assert GraphQLClient().query(LOGOUT, {"r": tokens["refreshToken"]}).data == {"logout": True}
    assert GraphQLClient().query(REFRESH, {"r": tokens["refreshToken"]}).codes == [
        "UNAUTHENTICATED"
    ]
    assert GraphQLClient().query(LOGOUT, {"r": tokens["refreshToken"]}).data == {"logout": False}


def test_teacher_sign_up_is_inactive_until_approved(db):
    result = GraphQLClient().query(
        'mutation { register(input: {role: TEACHER, username: "mr.kay", password: "violet tractor harbour 91", displayName: "Mr. Kay"}) { username role } }'
    )

    assert result.data["register"] == {"username": "mr.kay", "role": "TEACHER"}
    assert _login("mr.kay", "violet tractor harbour 91").codes == ["UNAUTHENTICATED"]


def test_password_change_revokes_earlier_tokens(world):
    old = _login(world.teacher.user.username, factories.DEFAULT_PASSWORD).data["login"]["token"]

    changed = GraphQLClient(token=old).query(
        'mutation($c: String!) { updateProfile(input: {currentPassword: $c, newPassword: "a brand new long passphrase"}) { username } }',
        {"c": factories.DEFAULT_PASSWORD},
    )

    assert changed.errors == []
    assert GraphQLClient(token=old).query(ME).codes == ["UNAUTHENTICATED"]
    assert _login(world.teacher.user.username, "a brand new long passphrase").errors == []
