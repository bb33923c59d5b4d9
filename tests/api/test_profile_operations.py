"""The account mutations of the contract that create or change profiles: register and updateProfile, by role."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from learnify.accounts import services
from learnify.accounts.models import PICTURE_ICONS, ChildProfile, TeacherProfile, User
from learnify.core.models import AuditLog
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet tractor harbour 91"

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  token refreshToken user { username role } } }"""
CHILD_LOGIN = """mutation($c: String!, $id: ID!, $p: [String!]!) {
  childLogin(classCode: $c, childId: $id, pictureCode: $p) { token user { child { displayName } } } }"""
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { token } }"
ME = "{ me { username role } }"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _user(world, role):
    return {
        "anonymous": None,
        "child": world.child.user,
        "other_child": world.other_child.user,
        "teacher": world.teacher.user,
        "other_teacher": world.other_teacher.user,
        "admin": world.admin,
    }[role]


@pytest.fixture
def as_role(world, gql):
    return lambda role: gql(_user(world, role))


def _refused(result, code):
    assert result.codes == [code], result.body
    assert result.data is None or not any(result.data.values()), result.data


def _years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=30)


# --- register: a teacher signs up ---------------------------------------------------------------------------

REGISTER_TEACHER = """mutation($u: String, $p: String, $role: Role! = TEACHER) {
  register(input: {role: $role, displayName: "Rana Haddad", username: $u, password: $p,
                   email: "rana@example.com", schoolName: "Sunny KG"}) {
    id username role teacher { displayName } } }"""


def test_register_teacher_is_inactive_until_an_admin_approves(db, gql):
    result = gql(None).query(REGISTER_TEACHER, {"u": "rana", "p": NEW_PASSWORD})

    assert result.errors == []
    user = User.objects.get(username="rana")
    assert result.data["register"] == {
        "id": str(user.pk),
        "username": "rana",
        "role": "TEACHER",
        "teacher": {"displayName": "Rana Haddad"},
    }
    assert not user.is_active
    assert user.email == "rana@example.com"
    assert user.teacher_profile.approved_at is None
    assert user.teacher_profile.school_name == "Sunny KG"
    assert AuditLog.objects.filter(
        action="teacher.registered", target_id=str(user.teacher_profile.pk)
    ).exists()

    waiting = gql(None).query(LOGIN, {"u": "rana", "p": NEW_PASSWORD})
    assert waiting.codes == ["UNAUTHENTICATED"]
    assert "approval" in waiting.errors[0]["message"]

    services.approve_teacher(teacher=user.teacher_profile, actor=factories.AdminUserFactory())
    approved = gql(None).query(LOGIN, {"u": "rana", "p": NEW_PASSWORD})
    assert approved.errors == []
    token = approved.data["login"]["token"]
    assert gql(None, token=token).query(ME).data["me"] == {"username": "rana", "role": "TEACHER"}


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("taken", NEW_PASSWORD),  # the username exists already
        ("rana", "short"),  # too short for staff, and common
        ("rana", "12345678901234"),  # numeric only
        ("rana", None),
        (None, NEW_PASSWORD),
    ],
)
def test_register_teacher_with_bad_input_creates_nothing(db, gql, username, password):
    factories.TeacherProfileFactory(user__username="taken")
    before = (User.objects.count(), TeacherProfile.objects.count())

    result = gql(None).query(REGISTER_TEACHER, {"u": username, "p": password})

    _refused(result, "BAD_USER_INPUT")
    assert (User.objects.count(), TeacherProfile.objects.count()) == before


def test_register_as_admin_is_forbidden(db, gql):
    result = gql(None).query(REGISTER_TEACHER, {"u": "boss", "p": NEW_PASSWORD, "role": "ADMIN"})

    _refused(result, "FORBIDDEN")
    assert not User.objects.filter(username="boss").exists()


# --- register: a teacher enrols a child ---------------------------------------------------------------------

ENROL = """mutation($c: ID, $born: Date) {
  register(input: {role: CHILD, displayName: "Noor", birthDate: $born, classroomId: $c}) {
    id role child { id displayName kgLevel age avatar pictureCode classroom { id } } } }"""


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_register_child_enrols_them_in_the_classroom(world, as_role, role):
    result = as_role(role).query(
        ENROL, {"c": str(world.classroom.pk), "born": _years_ago(5).isoformat()}
    )

    assert result.errors == []
    noor = ChildProfile.objects.get(display_name="Noor")
    assert noor.classroom_id == world.classroom.pk
    assert result.data["register"] == {
        "id": str(noor.user_id),
        "role": "CHILD",
        "child": {
            "id": str(noor.pk),
            "displayName": "Noor",
            "kgLevel": "KG2",  # follows the age (5), not the classroom's level
            "age": 5,
            "avatar": noor.avatar,
            "pictureCode": noor.picture_code_icons,
            "classroom": {"id": str(world.classroom.pk)},
        },
    }
    assert len(noor.picture_code_icons) == 3
    assert set(noor.picture_code_icons) <= set(PICTURE_ICONS)
    assert AuditLog.objects.filter(action="child.enrolled", target_id=str(noor.pk)).exists()


def test_an_enrolled_child_signs_in_with_the_picture_code_their_teacher_received(
    world, as_role, gql
):
    enrolled = as_role("teacher").query(
        ENROL, {"c": str(world.classroom.pk), "born": _years_ago(4).isoformat()}
    )
    child = enrolled.data["register"]["child"]

    result = gql(None).query(
        CHILD_LOGIN,
        {"c": world.classroom.class_code, "id": child["id"], "p": child["pictureCode"]},
    )

    assert result.errors == []
    assert result.data["childLogin"]["user"]["child"] == {"displayName": "Noor"}


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("child", "FORBIDDEN"),
        ("other_child", "FORBIDDEN"),
        ("other_teacher", "NOT_FOUND"),
    ],
)
def test_register_child_is_refused_to_everyone_else(world, as_role, role, code):
    result = as_role(role).query(
        ENROL, {"c": str(world.classroom.pk), "born": _years_ago(5).isoformat()}
    )

    _refused(result, code)
    assert not ChildProfile.objects.filter(display_name="Noor").exists()


@pytest.mark.parametrize(
    "variables",
    [
        {"born": None},  # no birth date
        {"c": None},  # no classroom
        {
            "born": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
        },  # born in the future
    ],
)
def test_register_child_with_bad_input_enrols_nothing(world, as_role, variables):
    given = {"c": str(world.classroom.pk), "born": _years_ago(5).isoformat(), **variables}

    result = as_role("teacher").query(ENROL, given)

    _refused(result, "BAD_USER_INPUT")
    assert not ChildProfile.objects.filter(display_name="Noor").exists()


# --- updateProfile ------------------------------------------------------------------------------------------

UPDATE = """mutation($input: UpdateProfileInput!) { updateProfile(input: $input) {
  id username teacher { displayName } child { displayName avatar } } }"""


def test_update_profile_changes_a_teachers_display_name(world, as_role):
    result = as_role("teacher").query(UPDATE, {"input": {"displayName": "  Ms Rana  "}})

    assert result.errors == []
    assert result.data["updateProfile"]["teacher"] == {"displayName": "Ms Rana"}
    world.teacher.refresh_from_db()
    assert world.teacher.display_name == "Ms Rana"
    assert AuditLog.objects.filter(
        action="user.profile_updated", actor_id=world.teacher.user_id
    ).exists()


@pytest.mark.parametrize("role", ["child", "other_child"])
def test_update_profile_changes_a_childs_own_avatar(world, as_role, role):
    user = _user(world, role)

    result = as_role(role).query(UPDATE, {"input": {"avatar": "owl"}})

    assert result.errors == []
    assert result.data["updateProfile"]["id"] == str(user.pk)
    assert result.data["updateProfile"]["child"] == {
        "displayName": user.child_profile.display_name,
        "avatar": "owl",
    }
    assert ChildProfile.objects.get(user=user).avatar == "owl"
    # The other children keep theirs.
    assert ChildProfile.objects.get(pk=world.classmate.pk).avatar == world.classmate.avatar


@pytest.mark.parametrize(
    ("role", "given"),
    [
        ("child", {"displayName": "Queen Sami"}),  # a child can only choose their avatar
        ("child", {"avatar": "dragon"}),  # not one of the avatars
        ("teacher", {"avatar": "owl"}),  # teachers have no avatar
        ("teacher", {"displayName": "   "}),
        ("teacher", {"email": "not an email"}),
    ],
)
def test_update_profile_with_bad_input_changes_nothing(world, as_role, role, given):
    result = as_role(role).query(UPDATE, {"input": given})

    _refused(result, "BAD_USER_INPUT")
    world.child.refresh_from_db()
    world.teacher.refresh_from_db()
    world.teacher.user.refresh_from_db()
    assert (world.child.display_name, world.child.avatar) == ("Sami", "fox")
    assert world.teacher.display_name.startswith("Teacher ")
    assert world.teacher.user.email == ""


def test_update_profile_for_anonymous_is_unauthenticated(world, as_role):
    _refused(as_role("anonymous").query(UPDATE, {"input": {"avatar": "owl"}}), "UNAUTHENTICATED")


def _login(gql, user, password=factories.DEFAULT_PASSWORD):
    return gql(None).query(LOGIN, {"u": user.username, "p": password})


def test_update_profile_password_change_revokes_earlier_tokens(world, gql):
    user = world.teacher.user
    session = _login(gql, user).data["login"]
    client = gql(None, token=session["token"])

    result = client.query(
        UPDATE,
        {"input": {"currentPassword": factories.DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD}},
    )

    assert result.errors == []
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.query(ME).codes == ["UNAUTHENTICATED"]
    assert gql(None).query(REFRESH, {"r": session["refreshToken"]}).codes == ["UNAUTHENTICATED"]
    assert _login(gql, user).codes == ["UNAUTHENTICATED"]
    fresh = _login(gql, user, NEW_PASSWORD)
    assert fresh.errors == []
    assert (
        gql(None, token=fresh.data["login"]["token"]).query(ME).data["me"]["username"]
        == user.username
    )
    assert AuditLog.objects.filter(action="user.password_changed", target_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    "given",
    [
        {"currentPassword": "not my password", "newPassword": NEW_PASSWORD},
        {"currentPassword": factories.DEFAULT_PASSWORD, "newPassword": "short"},
        # A good password with a refused name: the whole update is refused, the password too.
        {
            "currentPassword": factories.DEFAULT_PASSWORD,
            "newPassword": NEW_PASSWORD,
            "displayName": " ",
        },
    ],
)
def test_update_profile_refused_password_change_keeps_password_and_tokens(world, as_role, given):
    client = as_role("teacher")

    result = client.query(UPDATE, {"input": given})

    _refused(result, "BAD_USER_INPUT")
    user = User.objects.get(pk=world.teacher.user_id)
    assert user.check_password(factories.DEFAULT_PASSWORD)
    assert user.tokens_valid_after is None
    assert client.query(ME).errors == []


def test_update_profile_password_change_is_forbidden_for_children(world, as_role):
    result = as_role("child").query(
        UPDATE, {"input": {"currentPassword": "", "newPassword": NEW_PASSWORD}}
    )

    _refused(result, "FORBIDDEN")
    assert not User.objects.get(pk=world.child.user_id).check_password(NEW_PASSWORD)


REGISTER_WITH_EMAIL = """mutation($e: String, $p: String) {
  register(input: {role: TEACHER, displayName: "Rana", username: "rana", password: $p, email: $e}) { id } }"""


@pytest.mark.parametrize("email", ["not-an-address", "rana@", "@example.com", "rana example.com"])
def test_register_teacher_with_an_email_that_is_not_an_address_creates_nothing(db, gql, email):
    before = (User.objects.count(), TeacherProfile.objects.count())

    result = gql(None).query(REGISTER_WITH_EMAIL, {"e": email, "p": NEW_PASSWORD})

    _refused(result, "BAD_USER_INPUT")
    assert "email" in result.errors[0]["message"].lower()
    assert (User.objects.count(), TeacherProfile.objects.count()) == before


def test_register_teacher_keeps_a_trimmed_email(db, gql):
    result = gql(None).query(REGISTER_WITH_EMAIL, {"e": "  rana@example.com ", "p": NEW_PASSWORD})

    assert result.errors == []
    assert User.objects.get(username="rana").email == "rana@example.com"
