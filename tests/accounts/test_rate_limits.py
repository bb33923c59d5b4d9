import pytest
from django.core.cache import cache

from learnify.accounts import sign_in
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = pytest.mark.django_db

LOGIN = 'mutation { login(username: "%s", password: "wrong password") { token } }'
ROSTER = '{ classroomRoster(classCode: "%s") { id } }'
CHILD_LOGIN = 'mutation { childLogin(classCode: "%s", childId: "%s", pictureCode: ["moon","moon","moon"]) { token } }'


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_login_guesses_for_one_account_are_limited_per_address():
    teacher = factories.TeacherProfileFactory()
    client = GraphQLClient()

    codes = [
        client.query(LOGIN % teacher.user.username).codes
        for _ in range(sign_in.LOGIN_PER_ACCOUNT.limit + 1)
    ]

    assert (
        codes[: sign_in.LOGIN_PER_ACCOUNT.limit]
        == [["UNAUTHENTICATED"]] * sign_in.LOGIN_PER_ACCOUNT.limit
    )
    assert codes[-1] == ["RATE_LIMITED"]


def test_limited_account_still_signs_in_from_another_address():
    teacher = factories.TeacherProfileFactory()
    attacker = GraphQLClient()
    for _ in range(sign_in.LOGIN_PER_ACCOUNT.limit + 1):
        attacker.query(LOGIN % teacher.user.username)
    owner = GraphQLClient()
    owner.client.defaults["REMOTE_ADDR"] = "10.9.9.9"

    result = owner.query(
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { id } } }",
        {"u": teacher.user.username, "p": factories.DEFAULT_PASSWORD},
    )

    assert result.data["login"]["user"]["id"] == str(teacher.user.pk)


def test_login_spraying_many_accounts_is_limited_per_address():
    client = GraphQLClient()

    codes = [
        client.query(LOGIN % f"nobody{i}").codes for i in range(sign_in.LOGIN_PER_IP.limit + 1)
    ]

    assert codes[-1] == ["RATE_LIMITED"]


def test_spoofed_forwarded_for_does_not_reset_the_counter():
    client = GraphQLClient()
    codes = []
    for i in range(sign_in.LOGIN_PER_IP.limit + 1):
        codes.append(
            client.query(LOGIN % f"nobody{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").codes
        )

    assert codes[-1] == ["RATE_LIMITED"]


def test_roster_lookups_are_limited_per_address():
    classroom = factories.ClassroomFactory()
    client = GraphQLClient()

    codes = [
        client.query(ROSTER % classroom.class_code).codes
        for _ in range(sign_in.ROSTER_PER_IP.limit + 1)
    ]

    assert codes[0] == []
    assert codes[-1] == ["RATE_LIMITED"]


def test_child_login_attempts_are_limited_per_address():
    children = [factories.ChildProfileFactory() for _ in range(3)]
    client = GraphQLClient()
    codes = []
    for i in range(sign_in.CHILD_LOGIN_PER_IP.limit + 1):
        child = children[i % 3]
        codes.append(client.query(CHILD_LOGIN % (child.classroom.class_code, child.pk)).codes)

    assert codes[-1] == ["RATE_LIMITED"]


def test_rate_limited_error_says_when_to_retry():
    client = GraphQLClient()
    for i in range(sign_in.LOGIN_PER_IP.limit):
        client.query(LOGIN % f"nobody{i}")

    result = client.query(LOGIN % "one-more")

    assert result.codes == ["RATE_LIMITED"]
    assert 0 < result.errors[0]["extensions"]["retryAfter"] <= sign_in.LOGIN_PER_IP.window_seconds
