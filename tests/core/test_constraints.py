import pytest
from django.db import IntegrityError, transaction

from learnify.progress.models import Progress
from learnify.quizzes.models import QuizAttempt
from tests.factories import (
    AchievementFactory,
    ChildProfileFactory,
    LessonFactory,
    ProgressFactory,
    QuizAttemptFactory,
    QuizFactory,
)

pytestmark = pytest.mark.django_db


def test_second_progress_for_same_child_and_lesson_is_refused():
    first = ProgressFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Progress.objects.create(child=first.child, lesson=first.lesson, percent=10)
    assert Progress.objects.filter(child=first.child, lesson=first.lesson).count() == 1


def test_progress_for_another_lesson_is_allowed():
    first = ProgressFactory()

    Progress.objects.create(child=first.child, lesson=LessonFactory(), percent=10)

    assert Progress.objects.filter(child=first.child).count() == 2


def test_second_attempt_with_same_client_attempt_id_is_refused():
    first = QuizAttemptFactory(client_attempt_id="tablet-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        QuizAttempt.objects.create(
            child=first.child, quiz=QuizFactory(), client_attempt_id="tablet-1", question_count=1
        )
    assert QuizAttempt.objects.filter(client_attempt_id="tablet-1").count() == 1


def test_same_client_attempt_id_for_another_child_is_allowed():
    QuizAttemptFactory(client_attempt_id="tablet-1")

    QuizAttemptFactory(client_attempt_id="tablet-1", child=ChildProfileFactory())

    assert QuizAttempt.objects.filter(client_attempt_id="tablet-1").count() == 2


def test_progress_percent_above_100_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressFactory(percent=101)


def test_completed_progress_without_completion_time_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressFactory(status=Progress.Status.COMPLETED, completed_at=None)


def test_same_badge_twice_for_a_child_is_refused():
    first = AchievementFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AchievementFactory(child=first.child, badge=first.badge)


def test_image_media_without_alt_text_is_refused():
    from tests.factories import LessonMediaFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        LessonMediaFactory(alt_text="")


def test_two_active_models_are_refused():
    from django.utils import timezone

    from learnify.ai.models import MLModel

    MLModel.objects.create(
        name="m", version="1", trained_at=timezone.now(), artifact_path="a", is_active=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MLModel.objects.create(
            name="m", version="2", trained_at=timezone.now(), artifact_path="b", is_active=True
        )
