"""The account queries of the contract, by role: me, pictureIcons, classroomRoster and child
(children, classrooms and classroom are in test_classroom_operations.py).

Roles: anonymous, the child (Sami), another child (Omar, of another class), the child's teacher, a teacher of
another classroom, an admin. Allowed roles are checked on the data, refused ones on the exact error code.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from learnify.accounts.models import PICTURE_ICONS
from learnify.accounts.sign_in import ROSTER_PER_IP
from learnify.core import ratelimit
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "child", "other_child", "teacher", "other_teacher", "admin"]


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


def _age(birth_date: datetime.date) -> int:
    today = timezone.localdate()
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


# --- me -----------------------------------------------------------------------------------------------------

ME = "{ me { id username role child { displayName } teacher { displayName } } }"


@pytest.mark.parametrize("role", ROLES[1:])
def test_me_returns_the_signed_in_user(world, as_role, role):
    user = _user(world, role)
    child = {"child": world.child, "other_child": world.other_child}.get(role)
    teacher = {"teacher": world.teacher, "other_teacher": world.other_teacher}.get(role)

    result = as_role(role).query(ME)

    assert result.errors == []
    assert result.data["me"] == {
        "id": str(user.pk),
        "username": user.username,
        "role": str(user.role),
        "child": {"displayName": child.display_name} if child else None,
        "teacher": {"displayName": teacher.display_name} if teacher else None,
    }


def test_me_for_anonymous_is_unauthenticated(as_role):
    result = as_role("anonymous").query(ME)

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data is None


# --- pictureIcons -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_picture_icons_are_the_twelve_icons_for_everyone(world, as_role, role):
    result = as_role(role).query("{ pictureIcons }")

    icons = result.data["pictureIcons"]
    assert len(icons) == 12
    assert len(set(icons)) == 12
    assert icons == list(PICTURE_ICONS)
    assert set(world.child.picture_code_icons) <= set(icons)


# --- classroomRoster ----------------------------------------------------------------------------------------

ROSTER = "query($code: String!) { classroomRoster(classCode: $code) { id displayName avatar } }"


@pytest.mark.parametrize("role", ROLES)
def test_classroom_roster_is_public_with_ids_names_and_avatars(world, as_role, role):
    result = as_role(role).query(ROSTER, {"code": world.classroom.class_code})

    assert result.errors == []
    assert result.data["classroomRoster"] == [
        {"id": str(c.pk), "displayName": c.display_name, "avatar": c.avatar}
        for c in (world.classmate, world.child)  # Lina, Sami: by name
    ]


def test_classroom_roster_accepts_the_code_in_lower_case_with_spaces(world, gql):
    result = gql(None).query(ROSTER, {"code": f" {world.classroom.class_code.lower()} "})

    assert [e["displayName"] for e in result.data["classroomRoster"]] == ["Lina", "Sami"]


def test_classroom_roster_leaves_out_archived_children(world, gql):
    factories.ChildProfileFactory(
        classroom=world.classroom, display_name="Gone", archived_at=timezone.now()
    )

    result = gql(None).query(ROSTER, {"code": world.classroom.class_code})

    assert [e["displayName"] for e in result.data["classroomRoster"]] == ["Lina", "Sami"]


@pytest.mark.parametrize("code", ["NOPE99", "ZZZZZZZZ"])
def test_classroom_roster_for_an_unknown_code_is_not_found(world, gql, code):
    _refused(gql(None).query(ROSTER, {"code": code}), "NOT_FOUND")


def test_classroom_roster_of_an_archived_classroom_is_not_found(world, gql):
    world.other_classroom.archived_at = timezone.now()
    world.other_classroom.save()

    _refused(gql(None).query(ROSTER, {"code": world.other_classroom.class_code}), "NOT_FOUND")


def test_classroom_roster_does_not_offer_the_picture_code(world, gql):
    result = gql(None).query(
        "query($code: String!) { classroomRoster(classCode: $code) { id pictureCode } }",
        {"code": world.classroom.class_code},
    )

    assert result.codes == ["BAD_USER_INPUT"]
    assert "pictureCode" in result.errors[0]["message"]
    assert result.data is None


def test_classroom_roster_is_rate_limited_per_address(world, gql, monkeypatch):
    # One fixed moment, so the limit's window cannot roll over in the middle of the test.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    client = gql(None)
    for _ in range(ROSTER_PER_IP.limit):
        assert client.query(ROSTER, {"code": world.classroom.class_code}).errors == []

    result = client.query(ROSTER, {"code": world.classroom.class_code})

    assert result.codes == ["RATE_LIMITED"]
    assert result.errors[0]["extensions"]["retryAfter"] > 0


# --- child --------------------------------------------------------------------------------------------------

CHILD = """query($id: ID!) { child(id: $id) {
  id displayName kgLevel age avatar pictureCode classroom { name children { displayName } } } }"""


@pytest.mark.parametrize(
    ("role", "sees_code", "classmates"),
    [
        ("child", False, ["Sami"]),
        ("teacher", True, ["Lina", "Sami"]),
        ("admin", True, ["Lina", "Sami"]),
    ],
)
def test_child_is_visible_to_themself_their_teacher_and_admins(
    world, as_role, role, sees_code, classmates
):
    result = as_role(role).query(CHILD, {"id": str(world.child.pk)})

    assert result.errors == []
    child = result.data["child"]
    assert child["id"] == str(world.child.pk)
    assert child["displayName"] == "Sami"
    assert child["kgLevel"] == "KG1"
    assert child["age"] == _age(world.child.birth_date)
    assert child["avatar"] == world.child.avatar
    assert child["pictureCode"] == (["cat", "sun", "tree"] if sees_code else None)
    assert child["classroom"]["name"] == world.classroom.name
    assert sorted(c["displayName"] for c in child["classroom"]["children"]) == classmates


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("other_child", "NOT_FOUND"),
        ("other_teacher", "NOT_FOUND"),
    ],
)
def test_child_is_refused_to_everyone_else(world, as_role, role, code):
    result = as_role(role).query(CHILD, {"id": str(world.child.pk)})

    _refused(result, code)
    assert "Sami" not in str(result.body)


def test_a_child_cannot_read_their_classmate(world, as_role):
    result = as_role("child").query(CHILD, {"id": str(world.classmate.pk)})

    _refused(result, "NOT_FOUND")
    assert "Lina" not in str(result.body)


@pytest.mark.parametrize(("child_id", "code"), [("999999", "NOT_FOUND"), ("abc", "BAD_USER_INPUT")])
def test_child_with_an_unknown_or_malformed_id(world, as_role, child_id, code):
    _refused(as_role("admin").query(CHILD, {"id": child_id}), code)


@pytest.mark.parametrize(("role", "audited"), [("teacher", 1), ("admin", 1), ("child", 0)])
def test_an_adult_reading_a_child_record_is_audited(world, as_role, role, audited):
    from learnify.core.models import AuditLog

    as_role(role).query(CHILD, {"id": str(world.child.pk)})

    entries = AuditLog.objects.filter(action="child.viewed", target_id=str(world.child.pk))
    assert entries.count() == audited
    if audited:
        assert entries.get().actor == _user(world, role)


def test_an_archived_child_is_hidden_from_their_teacher_but_not_from_admins(world, as_role):
    world.classmate.archived_at = timezone.now()
    world.classmate.save()

    _refused(as_role("teacher").query(CHILD, {"id": str(world.classmate.pk)}), "NOT_FOUND")
    admin = as_role("admin").query(CHILD, {"id": str(world.classmate.pk)})
    assert admin.data["child"]["displayName"] == "Lina"


CHILD_RECORDS = """query($id: ID!, $limit: Int) { child(id: $id) {
  progress { lesson { title } percent secondsSpent status }
  quizAttempts { id score correctCount questionCount quiz { title } }
  recommendations(limit: $limit) { id reasonCode lesson { title } }
  achievements { badge { name } } } }"""


@pytest.mark.parametrize("role", ["child", "teacher", "admin"])
def test_child_lists_only_their_own_records(world, as_role, role):
    factories.ProgressFactory(child=world.child, lesson=world.lesson, percent=60, seconds_spent=90)
    attempt = factories.QuizAttemptFactory(
        child=world.child, quiz=world.quiz, score=2 / 3, correct_count=2, question_count=3
    )
    later = factories.LessonFactory(title="Count the pears")
    recs = [
        factories.RecommendationFactory(
            child=world.child, lesson=lesson, rank=rank, reason_code=code
        )
        for rank, (lesson, code) in enumerate([(later, "NEXT_STEP"), (world.lesson, "PRACTICE")])
    ]
    factories.AchievementFactory(child=world.child, badge=factories.BadgeFactory(name="Counter"))
    # The classmate's rows must not show up under Sami.
    factories.ProgressFactory(child=world.classmate, lesson=later, percent=10)
    factories.QuizAttemptFactory(child=world.classmate, quiz=world.quiz)
    factories.RecommendationFactory(child=world.classmate, lesson=world.lesson)

    result = as_role(role).query(CHILD_RECORDS, {"id": str(world.child.pk), "limit": 5})

    assert result.errors == []
    child = result.data["child"]
    assert child["progress"] == [
        {
            "lesson": {"title": "Count the apples"},
            "percent": 60,
            "secondsSpent": 90,
            "status": "IN_PROGRESS",
        }
    ]
    assert child["quizAttempts"] == [
        {
            "id": str(attempt.pk),
            "score": pytest.approx(2 / 3),
            "correctCount": 2,
            "questionCount": 3,
            "quiz": {"title": world.quiz.title},
        }
    ]
    assert child["recommendations"] == [
        {"id": str(r.pk), "reasonCode": r.reason_code, "lesson": {"title": r.lesson.title}}
        for r in recs
    ]
    assert child["achievements"] == [{"badge": {"name": "Counter"}}]


def test_child_recommendations_limit_keeps_the_best_ranked(world, as_role):
    recs = [
        factories.RecommendationFactory(child=world.child, lesson=factories.LessonFactory(), rank=r)
        for r in (2, 0, 1)
    ]

    result = as_role("child").query(CHILD_RECORDS, {"id": str(world.child.pk), "limit": 2})

    assert [r["id"] for r in result.data["child"]["recommendations"]] == [
        str(recs[1].pk),
        str(recs[2].pk),
    ]
