"""Brute force against every sign-in door: the API's login, childLogin, classroomRoster and refreshToken, the
portal's login form and the Django admin's login page.

Each door is limited per address (and login per username and address too), the cool-off ends when the window
the error announces ends, aliases in one request count one attempt each, and a spoofed X-Forwarded-For only
moves a counter when a trusted proxy wrote it. The clock of the limiter is frozen, so no test straddles a
window boundary by accident and the expiry can be stepped over exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client

from api.schema import MAX_ALIASES
from learnify.accounts import sign_in
from learnify.accounts.tokens import issue_token_pair
from learnify.core import ratelimit
from learnify.core.models import AuditLog
from tests import factories
from tests.api.conftest import GraphQLClient

pytestmark = [pytest.mark.django_db, pytest.mark.security]

LIMITED, PASSED = "limited", "passed"
ADDRESS = "10.1.2.3"
# Well inside a 60 s and a 300 s window, so every window starts 1 s before the frozen instant.
FROZEN = 1_800_000_001.0


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The limiter's clock, frozen; `clock.advance(seconds)` moves it on."""
    state = SimpleNamespace(now=FROZEN)
    state.advance = lambda seconds: setattr(state, "now", state.now + seconds)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: state.now))
    return state


@pytest.fixture
def teacher():
    return factories.TeacherProfileFactory().user


def _api(query: str, variables: dict, headers: dict[str, str]) -> str:
    result = GraphQLClient().query(query, variables, **headers)
    assert result.status == 200, result.body
    if result.codes == ["RATE_LIMITED"]:
        return LIMITED
    assert "RATE_LIMITED" not in result.codes, result.body
    return PASSED


def _form_login(path: str, username: str, password: str, headers: dict[str, str]) -> str:
    response = Client(REMOTE_ADDR=ADDRESS).post(
        path, {"username": username, "password": password}, **headers
    )
    limited = "Too many attempts" in response.content.decode()
    return LIMITED if limited else PASSED


LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"


@dataclass(frozen=True)
class Door:
    limit: ratelimit.Limit
    # attempt number i, extra request headers -> LIMITED or PASSED
    attempt: Callable[[int, dict[str, str]], str]


DOORS = {
    "api login per address": Door(
        sign_in.LOGIN_PER_IP,
        lambda i, h: _api(LOGIN, {"u": f"nobody{i}", "p": "wrong"}, h),
    ),
    "api login per username and address": Door(
        sign_in.LOGIN_PER_ACCOUNT,
        lambda i, h: _api(LOGIN, {"u": "victim", "p": f"guess{i}"}, h),
    ),
    "portal login per address": Door(
        sign_in.LOGIN_PER_IP,
        lambda i, h: _form_login("/portal/login/", f"nobody{i}", "wrong", h),
    ),
    "portal login per username and address": Door(
        sign_in.LOGIN_PER_ACCOUNT,
        lambda i, h: _form_login("/portal/login/", "victim", f"guess{i}", h),
    ),
    "admin login per username and address": Door(
        sign_in.LOGIN_PER_ACCOUNT,
        lambda i, h: _form_login("/admin/login/", "victim", f"guess{i}", h),
    ),
    "childLogin per address": Door(
        sign_in.CHILD_LOGIN_PER_IP,
        lambda i, h: _api(
            "mutation($c: String!) { childLogin(classCode: $c, childId: 1, pictureCode: [] ) { token } }",
            {"c": f"NOPE{i}"},
            h,
        ),
    ),
    "classroomRoster per address": Door(
        sign_in.ROSTER_PER_IP,
        lambda i, h: _api(
            "query($c: String!) { classroomRoster(classCode: $c) { id } }", {"c": f"NOPE{i}"}, h
        ),
    ),
    "refreshToken per address": Door(
        sign_in.REFRESH_PER_IP,
        lambda i, h: _api(
            "mutation($r: String!) { refreshToken(refreshToken: $r) { token } }",
            {"r": f"not-a-token-{i}"},
            h,
        ),
    ),
}


def _exhaust(door: Door, headers: Callable[[int], dict[str, str]] = lambda i: {}) -> list[str]:
    return [door.attempt(i, headers(i)) for i in range(door.limit.limit + 1)]


@pytest.mark.parametrize("name", sorted(DOORS))
def test_each_door_refuses_the_attempt_past_its_limit(name):
    door = DOORS[name]

    outcomes = _exhaust(door)

    assert outcomes == [PASSED] * door.limit.limit + [LIMITED]


@pytest.mark.parametrize("name", sorted(DOORS))
def test_the_cool_off_ends_exactly_when_its_window_ends(name, clock):
    door = DOORS[name]
    _exhaust(door)
    retry_after = door.limit.window_seconds - 1  # what the error announces at the frozen instant

    clock.advance(retry_after - 1)
    still_limited = door.attempt(10_000, {})
    clock.advance(1)
    after_cool_off = door.attempt(10_001, {})

    assert (still_limited, after_cool_off) == (LIMITED, PASSED)


def test_the_announced_retry_after_is_the_real_cool_off(clock):
    client = GraphQLClient()
    for i in range(sign_in.LOGIN_PER_IP.limit):
        client.query(LOGIN, {"u": f"nobody{i}", "p": "wrong"})

    refused = client.query(LOGIN, {"u": "one-more", "p": "wrong"})
    clock.advance(refused.errors[0]["extensions"]["retryAfter"])

    assert refused.codes == ["RATE_LIMITED"]
    assert client.query(LOGIN, {"u": "one-more", "p": "wrong"}).codes == ["UNAUTHENTICATED"]


def test_api_portal_and_admin_share_one_counter_per_username_and_address(teacher):
    half = sign_in.LOGIN_PER_ACCOUNT.limit // 2
    for i in range(half):
        _form_login("/portal/login/", teacher.username, f"guess{i}", {})
    for i in range(sign_in.LOGIN_PER_ACCOUNT.limit - half - 1):
        _api(LOGIN, {"u": teacher.username, "p": f"guess-api{i}"}, {})
    _form_login("/admin/login/", teacher.username, "guess-admin", {})

    # The right password is refused too while the username is limited at this address.
    assert _api(LOGIN, {"u": teacher.username, "p": factories.DEFAULT_PASSWORD}, {}) == LIMITED
    assert (
        _form_login("/portal/login/", teacher.username, factories.DEFAULT_PASSWORD, {}) == LIMITED
    )


def test_admin_login_page_guesses_are_audited_and_limited_like_the_others():
    admin = factories.AdminUserFactory()
    outcomes = [
        _form_login("/admin/login/", admin.username, f"guess{i}", {})
        for i in range(sign_in.LOGIN_PER_ACCOUNT.limit + 1)
    ]
    right_password = Client(REMOTE_ADDR=ADDRESS).post(
        "/admin/login/", {"username": admin.username, "password": factories.DEFAULT_PASSWORD}
    )

    assert outcomes[-1] == LIMITED
    assert right_password.status_code != 302  # no session while limited
    assert AuditLog.objects.filter(
        action="auth.login_failed", metadata__channel="admin"
    ).count() == (sign_in.LOGIN_PER_ACCOUNT.limit)


def test_admin_login_page_still_signs_an_admin_in():
    admin = factories.AdminUserFactory()
    client = Client(REMOTE_ADDR=ADDRESS)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin.username, "password": factories.DEFAULT_PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert AuditLog.objects.filter(action="auth.login", metadata__channel="admin").exists()


def test_admin_login_page_refuses_a_teacher_with_the_right_password(teacher):
    client = Client(REMOTE_ADDR=ADDRESS)

    response = client.post(
        "/admin/login/", {"username": teacher.username, "password": factories.DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(
        action="auth.login_failed", metadata__reason="not staff"
    ).exists()


# --- aliases: one request, many guesses ---------------------------------------------------------------------


def _aliased_logins(username: str | None, count: int) -> str:
    fields = " ".join(
        f'a{i}: login(username: "{username or f"nobody{i}"}", password: "guess{i}") {{ token }}'
        for i in range(count)
    )
    return "mutation { " + fields + " }"


def _codes_by_alias(result) -> dict[str, str]:
    return {e["path"][0]: e["extensions"]["code"] for e in result.errors if e.get("path")}


def test_aliased_logins_in_one_request_are_counted_one_by_one_and_refused_past_the_limit(teacher):
    """Right-password aliases all run (none fails), so they show each alias is counted: the one past the
    per-username limit is refused inside the same request."""
    aliases = sign_in.LOGIN_PER_ACCOUNT.limit + 1
    assert aliases <= MAX_ALIASES  # otherwise the request is refused whole (see below)
    query = (
        "mutation { "
        + " ".join(
            f'a{i}: login(username: "{teacher.username}", password: "{factories.DEFAULT_PASSWORD}") {{ token }}'
            for i in range(aliases)
        )
        + " }"
    )

    result = GraphQLClient().query(query)

    assert _codes_by_alias(result) == {f"a{aliases - 1}": "RATE_LIMITED"}
    assert AuditLog.objects.filter(action="auth.login").count() == aliases - 1


def test_aliased_wrong_guesses_never_get_more_password_checks_than_the_limit(teacher):
    """However a request's aliases are run (a failed non-null mutation ends the rest today), the password of
    one username is checked at most `limit` times per window from one address."""
    requests = sign_in.LOGIN_PER_ACCOUNT.limit + 1
    last = None
    for _ in range(requests):
        last = GraphQLClient().query(_aliased_logins(teacher.username, MAX_ALIASES))

    checked = AuditLog.objects.filter(
        action="auth.login_failed", metadata__username=teacher.username
    ).count()
    assert checked == sign_in.LOGIN_PER_ACCOUNT.limit
    assert "RATE_LIMITED" in last.codes
    assert "UNAUTHENTICATED" not in last.codes


def test_each_alias_counts_as_one_attempt_against_the_address():
    classroom = factories.ClassroomFactory()
    roster = (
        "{ "
        + " ".join(
            f'a{i}: classroomRoster(classCode: "{classroom.class_code}") {{ id }}'
            for i in range(MAX_ALIASES)
        )
        + " }"
    )
    first = GraphQLClient().query(roster)

    singles = [
        _api(
            "query($c: String!) { classroomRoster(classCode: $c) { id } }",
            {"c": classroom.class_code},
            {},
        )
        for _ in range(sign_in.ROSTER_PER_IP.limit - MAX_ALIASES + 1)
    ]

    assert first.errors == []
    assert len(first.data) == MAX_ALIASES
    assert singles == [PASSED] * (sign_in.ROSTER_PER_IP.limit - MAX_ALIASES) + [LIMITED]


def test_fifty_aliased_guesses_are_refused_without_trying_one(teacher):
    result = GraphQLClient().query(_aliased_logins(teacher.username, 50))

    assert result.codes
    assert set(result.codes) == {"BAD_USER_INPUT"}
    assert "aliases" in result.errors[0]["message"].lower()
    assert not AuditLog.objects.filter(action="auth.login_failed").exists()
    assert _api(LOGIN, {"u": teacher.username, "p": factories.DEFAULT_PASSWORD}, {}) == PASSED


# --- X-Forwarded-For ---------------------------------------------------------------------------------------

ADDRESS_DOORS = sorted(name for name in DOORS if "username" not in name)


@pytest.mark.parametrize("name", ADDRESS_DOORS)
def test_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(name, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    outcomes = _exhaust(DOORS[name], lambda i: {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i % 250}"})

    assert outcomes[-1] == LIMITED


@pytest.mark.parametrize("name", ADDRESS_DOORS)
def test_spoofed_hops_before_the_trusted_proxys_are_ignored(name, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote the first address; our proxy appended the one it saw.
    outcomes = _exhaust(
        DOORS[name], lambda i: {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i % 250}, 198.51.100.7"}
    )

    assert outcomes[-1] == LIMITED


@pytest.mark.parametrize("name", ADDRESS_DOORS)
def test_a_trusted_proxy_keeps_separate_counters_for_its_clients(name, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    door = DOORS[name]
    _exhaust(door, lambda i: {"HTTP_X_FORWARDED_FOR": "198.51.100.7"})

    other_client = door.attempt(10_000, {"HTTP_X_FORWARDED_FOR": "198.51.100.8"})
    same_client = door.attempt(10_001, {"HTTP_X_FORWARDED_FOR": "198.51.100.7"})

    assert (other_client, same_client) == (PASSED, LIMITED)


@pytest.mark.parametrize("name", ADDRESS_DOORS)
def test_without_a_trusted_proxy_every_client_behind_one_address_shares_a_counter(name, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    door = DOORS[name]
    _exhaust(door, lambda i: {"HTTP_X_FORWARDED_FOR": "198.51.100.7"})

    assert door.attempt(10_000, {"HTTP_X_FORWARDED_FOR": "198.51.100.8"}) == LIMITED


# --- childLogin's per-child limit is the picture lock ---------------------------------------------------------

CHILD_LOGIN = """mutation($c: String!, $id: ID!, $p: [String!]!) {
  childLogin(classCode: $c, childId: $id, pictureCode: $p) { token } }"""


def test_the_picture_lock_holds_from_every_address_and_expires(monkeypatch, settings):
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("Redis expires the lock on its own clock, which a test cannot move")
    child = factories.ChildProfileFactory()
    right = {"c": child.classroom.class_code, "id": str(child.pk), "p": child.picture_code_icons}
    wrong = {**right, "p": ["zz", "zz", "zz"]}
    for _ in range(sign_in.PICTURE_FAILURES_ALLOWED):
        GraphQLClient().query(CHILD_LOGIN, wrong)
    elsewhere = GraphQLClient()
    elsewhere.client.defaults["REMOTE_ADDR"] = "10.9.9.9"

    locked = elsewhere.query(CHILD_LOGIN, right)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + sign_in.PICTURE_LOCK_SECONDS + 1)
    after_cool_off = elsewhere.query(CHILD_LOGIN, right)

    assert locked.codes == ["RATE_LIMITED"]
    assert after_cool_off.errors == []
    assert after_cool_off.data["childLogin"]["token"]


# --- the current password asked for by a password change is a guessing door too --------------------------------

CHANGE_PASSWORD = """mutation($c: String!) {
  updateProfile(input: {currentPassword: $c, newPassword: "a brand new long passphrase 42"}) { id } }"""


def test_current_password_guesses_through_a_stolen_session_are_limited(teacher, clock):
    thief = GraphQLClient(teacher)

    codes = [
        thief.query(CHANGE_PASSWORD, {"c": f"guess{i}"}).codes
        for i in range(sign_in.LOGIN_PER_ACCOUNT.limit + 1)
    ]
    right_while_limited = thief.query(CHANGE_PASSWORD, {"c": factories.DEFAULT_PASSWORD}).codes
    clock.advance(sign_in.LOGIN_PER_ACCOUNT.window_seconds)
    right_after_cool_off = thief.query(CHANGE_PASSWORD, {"c": factories.DEFAULT_PASSWORD})

    assert codes[:-1] == [["BAD_USER_INPUT"]] * sign_in.LOGIN_PER_ACCOUNT.limit
    assert codes[-1] == ["RATE_LIMITED"]
    assert right_while_limited == ["RATE_LIMITED"]
    assert right_after_cool_off.errors == []


def test_password_change_guesses_and_login_guesses_share_one_counter(teacher):
    for i in range(sign_in.LOGIN_PER_ACCOUNT.limit):
        _api(LOGIN, {"u": teacher.username, "p": f"guess{i}"}, {})

    result = GraphQLClient(teacher).query(CHANGE_PASSWORD, {"c": factories.DEFAULT_PASSWORD})

    assert result.codes == ["RATE_LIMITED"]
    teacher.refresh_from_db()
    assert teacher.check_password(factories.DEFAULT_PASSWORD)


# --- the admin site's password forms go through the same rules ----------------------------------------------

NEW_PASSWORD = "a brand new long passphrase 42"


def _admin_session(admin):
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(admin)
    return client


def test_admin_site_password_change_guesses_of_the_old_password_are_limited():
    admin = factories.AdminUserFactory()
    client = _admin_session(admin)

    outcomes = [
        "Too many attempts"
        in client.post(
            "/admin/password_change/",
            {
                "old_password": f"guess{i}",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        ).content.decode()
        for i in range(sign_in.LOGIN_PER_ACCOUNT.limit + 1)
    ]

    assert outcomes == [False] * sign_in.LOGIN_PER_ACCOUNT.limit + [True]
    admin.refresh_from_db()
    assert admin.check_password(factories.DEFAULT_PASSWORD)


def test_admin_site_password_change_revokes_earlier_tokens_and_is_audited():
    admin = factories.AdminUserFactory()
    earlier = issue_token_pair(admin)
    client = _admin_session(admin)
    page = client.get("/admin/password_change/")

    response = client.post(
        "/admin/password_change/",
        {
            "old_password": factories.DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password(NEW_PASSWORD)
    assert GraphQLClient(token=earlier.access).query("{ me { id } }").codes == ["UNAUTHENTICATED"]
    assert AuditLog.objects.filter(action="user.password_changed", target_id=str(admin.pk)).exists()


def test_admin_site_password_reset_of_a_teacher_revokes_the_teachers_tokens(teacher):
    admin = factories.AdminUserFactory()
    stolen = issue_token_pair(teacher)

    response = _admin_session(admin).post(
        f"/admin/accounts/user/{teacher.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    assert GraphQLClient(token=stolen.access).query("{ me { id } }").codes == ["UNAUTHENTICATED"]
    refreshed = GraphQLClient().query(
        "mutation($r: String!) { refreshToken(refreshToken: $r) { token } }", {"r": stolen.refresh}
    )
    assert refreshed.codes == ["UNAUTHENTICATED"]
    assert AuditLog.objects.filter(
        action="admin.changed", actor=admin, target_id=str(teacher.pk)
    ).exists()


def test_admin_site_password_change_still_needs_a_staff_session(teacher):
    anonymous = Client().get("/admin/password_change/")
    not_staff = _admin_session(teacher).get("/admin/password_change/")

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert not_staff.status_code == 302
    assert not_staff["Location"].startswith("/admin/login/")
