"""The policy machinery: one declaration gives the row filter and the object check, and they never disagree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from learnify.accounts.models import ChildProfile, User
from learnify.core.access import NOTHING, Policy, active_role, has_role
from tests import factories

pytestmark = pytest.mark.django_db


def test_active_role_is_none_for_anonymous_and_deactivated_users():
    teacher = factories.TeacherProfileFactory().user
    inactive = factories.UserFactory(role=User.Role.ADMIN, is_active=False)

    assert active_role(teacher) == User.Role.TEACHER
    assert active_role(AnonymousUser()) is None
    assert active_role(None) is None
    assert active_role(inactive) is None
    assert has_role(teacher, User.Role.TEACHER, User.Role.ADMIN)
    assert not has_role(inactive, User.Role.ADMIN)


NAMED = Policy(
    ChildProfile,
    actions={
        "view": {
            User.Role.ADMIN: True,
            User.Role.TEACHER: lambda user: Q(classroom__teachers__user=user),
            User.Role.CHILD: lambda user: Q(user=user) & Q(archived_at__isnull=True),
        }
    },
    role_actions={"read_secret": {User.Role.ADMIN}},
)


@pytest.fixture
def people():
    teacher = factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher])
    child = factories.ChildProfileFactory(classroom=classroom)
    stranger = factories.ChildProfileFactory()
    return teacher.user, child, stranger, factories.AdminUserFactory()


def test_filter_and_can_follow_the_rule_of_each_role(people):
    teacher, child, stranger, admin = people

    assert set(NAMED.filter(teacher)) == {child}
    assert NAMED.can(teacher, "view", child)
    assert not NAMED.can(teacher, "view", stranger)
    assert set(NAMED.filter(child.user)) == {child}
    assert NAMED.can(child.user, "view", child)
    assert not NAMED.can(child.user, "view", stranger)
    assert set(NAMED.filter(admin)) == {child, stranger}
    assert NAMED.filter(AnonymousUser()).count() == 0
    assert not NAMED.can(AnonymousUser(), "view", child)


def test_a_rule_on_the_objects_own_columns_is_decided_without_a_query(
    people, django_assert_num_queries
):
    _, child, stranger, _ = people

    with django_assert_num_queries(0):
        assert NAMED.can(child.user, "view", child)
        assert not NAMED.can(child.user, "view", stranger)


def test_a_rule_through_a_relation_asks_the_database_once(people, django_assert_num_queries):
    teacher, child, _, _ = people

    with django_assert_num_queries(1):
        assert NAMED.can(teacher, "view", child)


def test_a_deferred_column_is_asked_of_the_database(people, django_assert_num_queries):
    _, child, _, _ = people
    deferred = ChildProfile.objects.defer("archived_at").get(pk=child.pk)

    with django_assert_num_queries(1):
        assert NAMED.can(child.user, "view", deferred)


def test_q_through_a_relation_reaches_the_same_rows(people):
    teacher, child, stranger, _ = people
    mine = factories.ProgressFactory(child=child)
    factories.ProgressFactory(child=stranger)

    from learnify.progress.models import Progress

    assert list(Progress.objects.filter(NAMED.q(teacher, through="child"))) == [mine]
    assert NAMED.q(AnonymousUser()) == NOTHING


def test_role_actions_are_answered_by_allows_and_refused_by_can(people):
    teacher, child, _, admin = people

    assert NAMED.allows(admin, "read_secret")
    assert not NAMED.allows(teacher, "read_secret")
    assert NAMED.allows(teacher, "view")
    assert not NAMED.allows(AnonymousUser(), "view")
    with pytest.raises(LookupError):
        NAMED.can(admin, "read_secret", child)


def test_an_unknown_action_is_a_mistake_not_a_refusal(people):
    teacher, child, _, _ = people

    with pytest.raises(LookupError):
        NAMED.filter(teacher, "vieww")
    with pytest.raises(LookupError):
        NAMED.can(teacher, "vieww", child)


# --- every policy the project declares -------------------------------------------------------------------


def _declared_policies() -> list[tuple[str, Policy]]:
    import importlib

    found = []
    for app in ("accounts", "lessons", "quizzes", "progress", "ai"):
        module = importlib.import_module(f"learnify.{app}.access")
        found += [
            (f"{app}.{name}", value)
            for name, value in vars(module).items()
            if isinstance(value, Policy) and value.model.__module__.startswith("learnify.")
        ]
    return found


POLICIES = _declared_policies()


@pytest.fixture
def crowd():
    """Every role, and rows of every model a policy covers, in states the rules tell apart."""
    teacher = factories.TeacherProfileFactory()
    other_teacher = factories.TeacherProfileFactory()
    classroom = factories.ClassroomFactory(teachers=[teacher], kg_level="KG1")
    other_classroom = factories.ClassroomFactory(teachers=[other_teacher], kg_level="KG3")
    child = factories.ChildProfileFactory(classroom=classroom)
    archived = factories.ChildProfileFactory(classroom=classroom)
    other_child = factories.ChildProfileFactory(classroom=other_classroom, kg_level="KG3")
    lessons = [
        factories.LessonFactory(kg_level="KG1"),
        factories.LessonFactory(kg_level="KG3"),
        factories.LessonFactory(kg_level="MIXED"),
        factories.LessonFactory(kg_level="KG1", is_published=False, author=teacher),
    ]
    for lesson in lessons:
        quiz = factories.make_quiz(lesson=lesson, questions=1)
        for someone in (child, archived, other_child):
            factories.QuizAttemptFactory(child=someone, quiz=quiz)
            factories.ProgressFactory(child=someone, lesson=lesson)
            factories.RecommendationFactory(child=someone, lesson=lesson)
    factories.QuizFactory(is_published=False)
    factories.RecommendationFactory(child=child, lesson=lessons[0], is_active=False)
    archived.archived_at = archived.enrolled_at
    archived.save()
    admin = factories.AdminUserFactory()
    from learnify.core.services import record_audit_event

    record_audit_event(action="test.seen", actor=admin)
    return [
        AnonymousUser(),
        child.user,
        other_child.user,
        teacher.user,
        other_teacher.user,
        admin,
        factories.UserFactory(role=User.Role.TEACHER, is_active=False),
    ]


@pytest.mark.parametrize(("name", "policy"), POLICIES, ids=[name for name, _ in POLICIES])
def test_the_object_check_never_disagrees_with_the_row_filter(crowd, name, policy):
    rows = list(policy.model._default_manager.all())
    assert rows, f"the crowd has no {policy.model.__name__} to check {name} against"
    for user in crowd:
        for action in policy.actions:
            allowed = set(policy.filter(user, action).values_list("pk", flat=True))
            for row in rows:
                assert policy.can(user, action, row) == (row.pk in allowed), (
                    f"{name}: {action} by {user} on {row}"
                )


def test_every_app_declares_its_policies_in_its_access_module():
    covered = {policy.model._meta.label for _, policy in POLICIES}

    assert {
        "accounts.ChildProfile",
        "accounts.Classroom",
        "accounts.TeacherProfile",
        "accounts.User",
        "core.AuditLog",
        "lessons.Lesson",
        "quizzes.Quiz",
        "quizzes.QuizAttempt",
        "quizzes.Choice",
        "progress.Progress",
        "ai.Recommendation",
    } <= covered
