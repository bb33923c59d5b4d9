"""The recommendation refresh after a quiz attempt, as production runs it: after the commit, on the refresh
threads (RECOMMENDATION_REFRESH_THREADS > 0), one refresh per waiting child, and on record until done."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learnify.ai import refresh, services
from learnify.ai.models import PendingRecommendationRefresh, Recommendation
from learnify.core import events
from learnify.quizzes.models import QuizAttempt
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _refresh_threads(settings):
    settings.RECOMMENDATION_REFRESH_THREADS = 1
    yield
    assert refresh.wait_until_idle(timeout=30)


@pytest.fixture
def world():
    classroom = factories.ClassroomFactory(teachers=[factories.TeacherProfileFactory()])
    children = [factories.ChildProfileFactory(classroom=classroom) for _ in range(2)]
    lessons = [factories.LessonFactory(kg_level=children[0].kg_level) for _ in range(4)]
    quiz = factories.make_quiz(lesson=lessons[0], questions=2)
    return {"children": children, "quiz": quiz}


def _submit(child, quiz, attempt_id: str):
    answers = [
        AnswerSubmission(question_id=q.pk, choice_ids=[q.choices.order_by("order")[0].pk])
        for q in quiz.questions.order_by("order")
    ]
    return submit_quiz_attempt(
        child=child, quiz=quiz, answers=answers, client_attempt_id=attempt_id, actor=child.user
    )


class _Gate:
    """Holds every refresh on the refresh thread until opened, counting them per child."""

    def __init__(self, monkeypatch) -> None:
        self.open_event = threading.Event()
        self.started = threading.Event()
        self.calls: list[int] = []
        original = services.refresh_pending_recommendations

        def gated(*, child_id: int) -> bool:
            self.started.set()
            assert self.open_event.wait(timeout=30)
            self.calls.append(child_id)
            return original(child_id=child_id)

        monkeypatch.setattr(services, "refresh_pending_recommendations", gated)

    def open(self) -> None:
        self.open_event.set()


def test_the_answer_does_not_wait_for_the_refresh_and_the_refresh_follows(world, monkeypatch):
    child, quiz = world["children"][0], world["quiz"]
    published = []
    monkeypatch.setattr(events, "publish_child_event", lambda **message: published.append(message))
    gate = _Gate(monkeypatch)

    outcome = _submit(child, quiz, "a1")

    # The attempt is committed and answered while its refresh is still held on the refresh thread.
    assert QuizAttempt.objects.filter(pk=outcome.attempt.pk).exists()
    assert outcome.recommendations == []
    assert gate.started.wait(timeout=10)
    assert PendingRecommendationRefresh.objects.filter(child=child).exists()
    assert not Recommendation.objects.filter(child=child, is_active=True).exists()

    gate.open()
    assert refresh.wait_until_idle(timeout=30)

    assert gate.calls == [child.pk]
    assert not PendingRecommendationRefresh.objects.filter(child=child).exists()
    active = list(Recommendation.objects.filter(child=child, is_active=True))
    assert active
    assert quiz.lesson_id not in {rec.lesson_id for rec in active}  # the lesson just passed is done
    assert any(
        m["kind"] == events.RECOMMENDATIONS_UPDATED and m["child_id"] == child.pk for m in published
    )
    # The next answer carries the refreshed set.
    assert {r.pk for r in _submit(child, quiz, "a2").recommendations} == {r.pk for r in active}


def test_a_child_waiting_for_a_refresh_is_refreshed_once_however_many_attempts(world, monkeypatch):
    first, second = world["children"]
    quiz = world["quiz"]
    gate = _Gate(monkeypatch)

    _submit(first, quiz, "busy")  # holds the one refresh thread
    assert gate.started.wait(timeout=10)
    for n in range(3):
        _submit(second, quiz, f"burst-{n}")
    gate.open()
    assert refresh.wait_until_idle(timeout=30)

    assert gate.calls == [first.pk, second.pk]
    assert not PendingRecommendationRefresh.objects.exists()
    assert Recommendation.objects.filter(child=second, is_active=True).exists()


def test_an_attempt_committed_during_a_refresh_keeps_its_mark(world, monkeypatch):
    child = world["children"][0]
    seen = timezone.now() - datetime.timedelta(seconds=5)
    PendingRecommendationRefresh.objects.create(child=child, requested_at=seen)
    newer = timezone.now()
    original = services.refresh_recommendations

    def refresh_while_another_attempt_commits(**kwargs):
        PendingRecommendationRefresh.objects.filter(child=child).update(requested_at=newer)
        return original(**kwargs)

    monkeypatch.setattr(services, "refresh_recommendations", refresh_while_another_attempt_commits)

    assert services.refresh_pending_recommendations(child_id=child.pk)

    assert PendingRecommendationRefresh.objects.get(child=child).requested_at == newer


def test_a_failed_refresh_stays_pending_and_the_sweep_catches_up(world, monkeypatch):
    child, quiz = world["children"][0], world["quiz"]
    original = services.refresh_recommendations

    def broken(**kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(services, "refresh_recommendations", broken)
    outcome = _submit(child, quiz, "a1")
    assert refresh.wait_until_idle(timeout=30)

    assert QuizAttempt.objects.filter(pk=outcome.attempt.pk).exists()  # the attempt is safe
    assert PendingRecommendationRefresh.objects.filter(child=child).exists()
    assert not Recommendation.objects.filter(child=child, is_active=True).exists()

    monkeypatch.setattr(services, "refresh_recommendations", original)
    out = io.StringIO()
    call_command("refresh_pending_recommendations", stdout=out)
    assert "1 refreshed, 0 failed" in out.getvalue()

    assert not PendingRecommendationRefresh.objects.exists()
    assert Recommendation.objects.filter(child=child, is_active=True).exists()


def test_an_attempt_rolled_back_leaves_no_mark_and_no_refresh(world, monkeypatch):
    child, quiz = world["children"][0], world["quiz"]
    gate = _Gate(monkeypatch)
    gate.open()

    def submit_then_fail() -> None:
        with transaction.atomic():
            _submit(child, quiz, "a1")
            raise RuntimeError("the caller's transaction fails after the submit")

    with pytest.raises(RuntimeError):
        submit_then_fail()
    assert refresh.wait_until_idle(timeout=30)

    assert gate.calls == []
    assert not PendingRecommendationRefresh.objects.exists()
    assert not QuizAttempt.objects.exists()


@pytest.mark.postgres
def test_a_refresh_locks_the_recommendation_rows_and_never_the_child(world):
    # Regression: the recommendations' default ordering joined the child, so the refresh's FOR UPDATE locked
    # the child's row too, and deadlocked with the child's next attempt (its foreign keys take a share lock on
    # that row): the attempt failed with 503. Found by `make bench`.
    child = world["children"][0]
    services.refresh_recommendations(child=child)  # something to lock on the next refresh

    with CaptureQueriesContext(connection) as captured:
        services.refresh_recommendations(child=child)

    locking = [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locking
    for sql in locking:
        assert "accounts_childprofile" not in sql, sql
