"""The admin-only queries of the contract, by role: platformAnalytics and auditLogs."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from learnify.core.services import record_audit_event
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]
REFUSED = [
    ("anonymous", "UNAUTHENTICATED"),
    ("child", "FORBIDDEN"),
    ("other_child", "FORBIDDEN"),
    ("teacher", "FORBIDDEN"),
    ("other_teacher", "FORBIDDEN"),
]


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


# --- platformAnalytics --------------------------------------------------------------------------------------

ANALYTICS = """query($since: DateTime, $until: DateTime) { platformAnalytics(since: $since, until: $until) {
  activeChildren lessonsCompleted secondsSpent quizAttempts averageScore recommendationsCreated
  recommendationsShown recommendationsClicked recommendationsDismissed clickThroughRate
  recommendedLessonsCompleted } }"""


@pytest.fixture
def activity(world):
    now = timezone.now()
    factories.QuizAttemptFactory(child=world.child, quiz=world.quiz, score=1.0)
    factories.QuizAttemptFactory(child=world.classmate, quiz=world.quiz, score=0.5)
    # Forty days ago: outside the default 30-day period.
    factories.QuizAttemptFactory(
        child=world.other_child,
        quiz=world.quiz,
        score=0.0,
        finished_at=now - datetime.timedelta(days=40),
    )
    shapes = factories.LessonFactory(title="Shapes")
    factories.RecommendationFactory(
        child=world.child, lesson=world.lesson, shown_at=now, clicked_at=now
    )
    factories.RecommendationFactory(
        child=world.classmate, lesson=shapes, shown_at=now, dismissed_at=now
    )
    factories.RecommendationFactory(child=world.other_child, lesson=world.lesson)
    # Omar completes the lesson recommended to him, after it was recommended.
    factories.ProgressFactory(
        child=world.other_child,
        lesson=world.lesson,
        status="COMPLETED",
        percent=100,
        seconds_spent=300,
        completed_at=timezone.now(),
    )
    factories.ProgressFactory(child=world.child, lesson=shapes, seconds_spent=120)
    return world


def test_platform_analytics_for_admins_sums_the_last_30_days(activity, as_role):
    result = as_role("admin").query(ANALYTICS)

    assert result.errors == []
    assert result.data["platformAnalytics"] == {
        "activeChildren": 3,  # Sami and Lina took quizzes, Omar and Sami made progress
        "lessonsCompleted": 1,
        "secondsSpent": 300 + 120,
        "quizAttempts": 2,
        "averageScore": pytest.approx((1.0 + 0.5) / 2),
        "recommendationsCreated": 3,
        "recommendationsShown": 2,
        "recommendationsClicked": 1,
        "recommendationsDismissed": 1,
        "clickThroughRate": pytest.approx(1 / 2),
        "recommendedLessonsCompleted": 1,
    }


def test_platform_analytics_over_a_chosen_period(activity, as_role):
    now = timezone.now()
    since = (now - datetime.timedelta(days=45)).isoformat()
    until = (now - datetime.timedelta(days=35)).isoformat()

    data = (
        as_role("admin")
        .query(ANALYTICS, {"since": since, "until": until})
        .data["platformAnalytics"]
    )

    assert (data["quizAttempts"], data["averageScore"], data["activeChildren"]) == (1, 0.0, 1)
    assert (data["recommendationsCreated"], data["clickThroughRate"], data["secondsSpent"]) == (
        0,
        None,
        0,
    )


def test_platform_analytics_with_since_after_until_is_bad_user_input(world, as_role):
    now = timezone.now()
    result = as_role("admin").query(
        ANALYTICS,
        {"since": now.isoformat(), "until": (now - datetime.timedelta(days=1)).isoformat()},
    )

    _refused(result, "BAD_USER_INPUT")


@pytest.mark.parametrize(("role", "code"), REFUSED)
def test_platform_analytics_is_for_admins_only(activity, as_role, role, code):
    _refused(as_role(role).query(ANALYTICS), code)


# --- auditLogs ----------------------------------------------------------------------------------------------

AUDIT = """query($f: AuditLogFilter, $first: Int, $after: String) { auditLogs(filters: $f, first: $first, after: $after) {
  edges { cursor node { id actorId actorRole action targetType targetId ip metadata } }
  pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
def entries(world):
    """Seven entries of one action, oldest first."""
    return [
        record_audit_event(
            action="test.page", target_type="lesson", target_id=str(i), metadata={"n": i}
        )
        for i in range(7)
    ]


def _page(client, first, after=None, filters=None):
    result = client.query(
        AUDIT, {"f": filters or {"action": "test.page"}, "first": first, "after": after}
    )
    assert result.errors == [], result.errors
    return result.data["auditLogs"]


def _ids(page):
    return [edge["node"]["id"] for edge in page["edges"]]


def test_audit_logs_pages_follow_each_other_without_overlap(entries, as_role):
    client = as_role("admin")
    newest_first = [str(e.pk) for e in reversed(entries)]

    first = _page(client, 3)
    second = _page(client, 3, first["pageInfo"]["endCursor"])
    last = _page(client, 3, second["pageInfo"]["endCursor"])

    assert _ids(first) == newest_first[:3]
    assert _ids(second) == newest_first[3:6]
    assert _ids(last) == newest_first[6:]
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, last)] == [True, True, False]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    assert last["pageInfo"]["endCursor"] == last["edges"][-1]["cursor"]


def test_audit_logs_after_an_edge_cursor_continues_after_that_entry(entries, as_role):
    client = as_role("admin")
    first = _page(client, 4)

    resumed = _page(client, 2, first["edges"][1]["cursor"])

    assert _ids(resumed) == _ids(first)[2:4]


def test_audit_logs_page_past_the_end_is_empty(entries, as_role):
    client = as_role("admin")
    everything = _page(client, 100)

    after = _page(client, 5, everything["pageInfo"]["endCursor"])

    assert len(everything["edges"]) == 7
    assert after == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


def test_audit_logs_entry_says_who_did_what_to_which_object(world, as_role):
    entry = record_audit_event(
        action="child.updated",
        actor=world.teacher.user,
        target=world.child,
        metadata={"fields": ["avatar"]},
    )

    page = _page(as_role("admin"), 10, filters={"actorId": str(world.teacher.user_id)})

    assert [edge["node"] for edge in page["edges"]] == [
        {
            "id": str(entry.pk),
            "actorId": str(world.teacher.user_id),
            "actorRole": "TEACHER",
            "action": "child.updated",
            "targetType": "accounts.childprofile",
            "targetId": str(world.child.pk),
            "ip": None,
            "metadata": {"fields": ["avatar"]},
        }
    ]


def test_audit_logs_record_a_sign_in_through_the_api(world, as_role, gql):
    gql(None).query(
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
        {"u": world.teacher.user.username, "p": factories.DEFAULT_PASSWORD},
    )

    page = _page(as_role("admin"), 10, filters={"action": "auth"})

    assert [
        (e["node"]["action"], e["node"]["actorId"], e["node"]["ip"]) for e in page["edges"]
    ] == [("auth.login", str(world.teacher.user_id), "10.1.2.3")]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": "test"}, [6, 5, 4, 3, 2, 1, 0]),  # no dot: a prefix
        ({"action": "test.pag"}, []),  # with a dot: the exact action
        ({"targetType": "lesson", "targetId": "3"}, [3]),
        ({"search": "4"}, [4]),  # the target id 4, not every entry without an address
        ({"search": "PAGE"}, [6, 5, 4, 3, 2, 1, 0]),
    ],
    ids=["action-prefix", "action-exact", "target", "search-target-id", "search-action"],
)
def test_audit_logs_filters(entries, as_role, filters, expected):
    page = _page(as_role("admin"), 50, filters=filters)

    assert _ids(page) == [str(entries[i].pk) for i in expected]


def _b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        _b64("hello"),
        _b64("2026-01-01T00:00:00+00:00|seven"),
        _b64("yesterday|12"),
    ],
)
def test_audit_logs_with_a_bad_cursor_is_bad_user_input(entries, as_role, cursor):
    result = as_role("admin").query(AUDIT, {"first": 2, "after": cursor})

    _refused(result, "BAD_USER_INPUT")


@pytest.mark.parametrize("first", [0, -1, 101])
def test_audit_logs_page_size_outside_1_to_100_is_bad_user_input(entries, as_role, first):
    _refused(as_role("admin").query(AUDIT, {"first": first}), "BAD_USER_INPUT")


@pytest.mark.parametrize(("role", "code"), REFUSED)
def test_audit_logs_are_for_admins_only(entries, as_role, role, code):
    result = as_role(role).query(AUDIT, {"first": 5})

    _refused(result, code)
    assert "test.page" not in str(result.body)
