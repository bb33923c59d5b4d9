import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from learnify.ai.models import LessonInteractionRaw
from learnify.progress.models import Achievement, Progress
from learnify.progress.services import update_lesson_progress
from tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def test_update_lesson_progress_moves_forward_and_adds_time(child):
    lesson = LessonFactory()

    update_lesson_progress(child=child, lesson=lesson, percent=60, seconds=30, actor=child.user)
    progress = update_lesson_progress(
        child=child, lesson=lesson, percent=20, seconds=10, actor=child.user
    )

    assert (progress.status, progress.percent, progress.seconds_spent) == ("IN_PROGRESS", 60, 40)
    assert LessonInteractionRaw.objects.filter(lesson_id=lesson.pk).count() == 2


def test_update_lesson_progress_to_100_completes_and_awards_first_lesson(child):
    lesson = LessonFactory()

    progress = update_lesson_progress(
        child=child, lesson=lesson, percent=100, seconds=30, actor=child.user
    )

    assert progress.status == Progress.Status.COMPLETED
    assert progress.completed_at is not None
    assert Achievement.objects.filter(child=child, badge__code="FIRST-LESSON").exists()


@pytest.mark.parametrize(("percent", "seconds"), [(-1, 10), (101, 10), (50, -5), (50, 10**7)])
def test_update_lesson_progress_rejects_impossible_numbers(child, percent, seconds):
    with pytest.raises(ValidationError):
        update_lesson_progress(
            child=child, lesson=LessonFactory(), percent=percent, seconds=seconds, actor=child.user
        )
    assert not Progress.objects.exists()
    assert not LessonInteractionRaw.objects.exists()


def test_update_lesson_progress_for_another_child_is_denied(child, other_child):
    with pytest.raises(PermissionDenied):
        update_lesson_progress(
            child=other_child, lesson=LessonFactory(), percent=10, seconds=1, actor=child.user
        )


def test_update_lesson_progress_by_another_teacher_is_denied(child, other_teacher):
    with pytest.raises(PermissionDenied):
        update_lesson_progress(
            child=child, lesson=LessonFactory(), percent=10, seconds=1, actor=other_teacher.user
        )
