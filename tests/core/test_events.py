"""Publishing: every delivery of a write goes out in order, in one hop from the request's thread."""

import pytest

from learnify.core import events
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests import factories


class _RecordingLayer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append((group, message["kind"]))


@pytest.mark.django_db(transaction=True)
def test_a_quiz_attempt_announces_its_events_in_order_in_one_hop(monkeypatch):
    layer = _RecordingLayer()
    hops: list[list[tuple[str, str]]] = []  # what each async_to_sync call delivered
    real_async_to_sync = events.async_to_sync

    def counting_async_to_sync(coroutine_function):
        def run():
            before = len(layer.sent)
            real_async_to_sync(coroutine_function)()
            hops.append(layer.sent[before:])

        return run

    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(events, "async_to_sync", counting_async_to_sync)
    child = factories.ChildProfileFactory()
    quiz = factories.make_quiz(questions=1)
    question = quiz.questions.get()

    submit_quiz_attempt(
        child=child,
        quiz=quiz,
        answers=[
            AnswerSubmission(question_id=question.pk, choice_ids=[question.choices.first().pk])
        ],
        client_attempt_id="a1",
        actor=child.user,
    )

    child_group, class_group = f"child.{child.pk}", f"classroom.{child.classroom_id}"
    # The refresh (inside the attempt in tests) announces new recommendations in a hop of its own; the
    # attempt's own events all go in the last one.
    *refresh_hops, attempt_hop = hops
    assert attempt_hop[:4] == [
        (child_group, events.QUIZ_ATTEMPTED),
        (class_group, events.QUIZ_ATTEMPTED),
        (child_group, events.PROGRESS_UPDATED),
        (class_group, events.PROGRESS_UPDATED),
    ]
    assert {kind for _, kind in attempt_hop[4:]} <= {events.ACHIEVEMENT_AWARDED}
    assert all(kind == events.RECOMMENDATIONS_UPDATED for hop in refresh_hops for _, kind in hop)
    assert len(refresh_hops) <= 1
