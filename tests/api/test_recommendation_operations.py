"""The recordRecommendationEvent mutation of the contract, by role, and recommendations as a child reads them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from learnify.ai.models import Recommendation
from learnify.core.models import AuditLog
from tests import factories

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def recommendation(world):
    return factories.RecommendationFactory(
        child=world.child,
        lesson=world.lesson,
        score=0.8,
        reason_code="PRACTICE",
        reason="Practise counting.",
    )


EVENT = """mutation($r: ID!, $e: RecommendationEvent!) { recordRecommendationEvent(recommendationId: $r, event: $e) {
  id status score reasonCode reason source lesson { title } } }"""


def _record(client, recommendation, event="CLICKED"):
    return client.query(EVENT, {"r": str(recommendation.pk), "e": event})


@pytest.mark.parametrize("role", ["child", "teacher", "admin"])
@pytest.mark.parametrize("event", ["SHOWN", "CLICKED", "DISMISSED"])
def test_record_recommendation_event_changes_the_status(
    world, as_role, recommendation, role, event
):
    result = _record(as_role(role), recommendation, event)

    assert result.errors == []
    assert result.data["recordRecommendationEvent"] == {
        "id": str(recommendation.pk),
        "status": event,
        "score": 0.8,
        "reasonCode": "PRACTICE",
        "reason": "Practise counting.",
        "source": Recommendation.RULES_SOURCE,
        "lesson": {"title": "Count the apples"},
    }
    stored = Recommendation.objects.get(pk=recommendation.pk)
    assert stored.status == event
    assert stored.shown_at is not None  # clicking or dismissing means it was on screen
    assert (stored.clicked_at is not None) == (event == "CLICKED")
    assert (stored.dismissed_at is not None) == (event == "DISMISSED")
    assert stored.is_active == (event != "DISMISSED")
    assert AuditLog.objects.filter(
        action=f"recommendation.{event.lower()}",
        target_id=str(recommendation.pk),
        actor_id=_user(world, role).pk,
    ).exists()


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("other_child", "NOT_FOUND"),
        ("other_teacher", "NOT_FOUND"),
    ],
)
def test_record_recommendation_event_is_refused_to_everyone_else(
    world, as_role, recommendation, role, code
):
    result = _record(as_role(role), recommendation)

    _refused(result, code)
    stored = Recommendation.objects.get(pk=recommendation.pk)
    assert (stored.status, stored.shown_at, stored.clicked_at) == ("NEW", None, None)
    assert not AuditLog.objects.filter(action__startswith="recommendation.").exists()


def test_record_recommendation_event_on_a_classmates_recommendation_is_not_found(world, as_role):
    theirs = factories.RecommendationFactory(child=world.classmate, lesson=world.lesson)

    result = _record(as_role("child"), theirs)

    _refused(result, "NOT_FOUND")
    assert Recommendation.objects.get(pk=theirs.pk).status == "NEW"


def test_record_recommendation_event_status_does_not_go_back(world, as_role, recommendation):
    client = as_role("child")
    _record(client, recommendation, "CLICKED")

    result = _record(client, recommendation, "SHOWN")

    assert result.data["recordRecommendationEvent"]["status"] == "CLICKED"
    assert Recommendation.objects.get(pk=recommendation.pk).status == "CLICKED"


def test_dismissed_recommendation_leaves_the_childs_list(world, as_role, recommendation):
    kept = factories.RecommendationFactory(
        child=world.child, lesson=factories.LessonFactory(), rank=1
    )
    query = "query($id: ID!) { child(id: $id) { recommendations { id status } } }"
    client = as_role("child")
    before = client.query(query, {"id": str(world.child.pk)}).data["child"]["recommendations"]

    _record(client, recommendation, "DISMISSED")

    after = client.query(query, {"id": str(world.child.pk)}).data["child"]["recommendations"]
    assert [r["id"] for r in before] == [str(recommendation.pk), str(kept.pk)]
    assert after == [{"id": str(kept.pk), "status": "NEW"}]


@pytest.mark.parametrize(("rec_id", "code"), [("999999", "NOT_FOUND"), ("rec", "BAD_USER_INPUT")])
def test_record_recommendation_event_for_an_unknown_recommendation(world, as_role, rec_id, code):
    _refused(as_role("admin").query(EVENT, {"r": rec_id, "e": "SHOWN"}), code)


def test_record_recommendation_event_refuses_an_unknown_event(world, as_role, recommendation):
    result = as_role("child").query(
        "mutation($r: ID!) { recordRecommendationEvent(recommendationId: $r, event: LIKED) { status } }",
        {"r": str(recommendation.pk)},
    )

    _refused(result, "BAD_USER_INPUT")
    assert Recommendation.objects.get(pk=recommendation.pk).status == "NEW"


def test_record_recommendation_event_for_an_archived_child_is_refused(
    world, as_role, recommendation
):
    world.child.archived_at = timezone.now()
    world.child.save()

    # Admins still see archived children, but nobody records for a child who left.
    result = _record(as_role("admin"), recommendation)

    _refused(result, "FORBIDDEN")
    assert Recommendation.objects.get(pk=recommendation.pk).status == "NEW"
