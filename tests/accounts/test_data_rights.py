import datetime
import json

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from learnify.accounts import data_rights
from learnify.accounts.models import ChildProfile, User
from learnify.ai.models import LessonInteractionRaw, MLStudentMap, QuizAttemptRaw
from learnify.core.models import AuditLog
from learnify.progress.services import update_lesson_progress
from learnify.quizzes.services import AnswerSubmission, submit_quiz_attempt
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_child(child):
    lesson = factories.LessonFactory()
    quiz = factories.make_quiz(lesson=lesson)
    update_lesson_progress(child=child, lesson=lesson, percent=50, seconds=30, actor=child.user)
    answers = [
        AnswerSubmission(q.pk, [q.choices.order_by("order").first().pk], 3)
        for q in quiz.questions.all()
    ]
    submit_quiz_attempt(
        child=child, quiz=quiz, answers=answers, client_attempt_id="d1", actor=child.user
    )
    factories.RecommendationFactory(child=child)
    return child


def _models_referring_to_children():
    """Every project model with a relation to ChildProfile, or keyed by ml_student_id."""
    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts",
            "lessons",
            "quizzes",
            "progress",
            "ai",
            "core",
        }:
            continue
        for field in model._meta.get_fields():
            if getattr(field, "related_model", None) is ChildProfile and field.concrete:
                found.add(model._meta.db_table)
            if field.name == "ml_student_id" and model is not MLStudentMap:
                found.add(model._meta.db_table)
    return found


def test_export_covers_every_table_that_refers_to_the_child(active_child, admin_user):
    document = data_rights.export_child_data(child=active_child, actor=admin_user)
    json.dumps(document)  # the whole document is JSON

    assert document["child"]["display_name"] == active_child.display_name
    assert len(document["progress"]) == 1
    assert len(document["quiz_attempts"]) == 1
    assert len(document["answers"]) == 3
    assert document["achievements"]
    assert document["recommendations"]
    assert len(document["ml_tables"]["ai_quiz_attempts_raw"]) == 3
    # Every column of the raw rows, the quiz's pass mark included.
    raw_columns = {field.attname for field in QuizAttemptRaw._meta.concrete_fields}
    assert all(set(row) == raw_columns for row in document["ml_tables"]["ai_quiz_attempts_raw"])
    assert "pass_mark" in raw_columns
    assert len(document["ml_tables"]["ai_lesson_interactions_raw"]) == 1
    covered = {
        "ai_ml_student_map",
        "progress_progress",
        "quizzes_quizattempt",
        "progress_achievement",
        "ai_recommendations",
        "ai_pending_recommendation_refresh",
        *document["ml_tables"],
    }
    assert _models_referring_to_children() <= covered
    assert AuditLog.objects.filter(
        action="child.data_exported", target_id=str(active_child.pk)
    ).exists()


def test_export_and_erase_are_for_admins_only(active_child, teacher):
    with pytest.raises(PermissionDenied):
        data_rights.export_child_data(child=active_child, actor=teacher.user)
    with pytest.raises(PermissionDenied):
        data_rights.erase_child(child=active_child, actor=teacher.user)


def test_erase_leaves_nothing_about_the_child_and_audits_by_id(active_child, admin_user):
    child_id, user_id, ml_id = (
        active_child.pk,
        active_child.user_id,
        active_child.ml_map.ml_student_id,
    )
    name = active_child.display_name

    data_rights.erase_child(child=active_child, actor=admin_user)

    assert not ChildProfile.objects.filter(pk=child_id).exists()
    assert not User.objects.filter(pk=user_id).exists()
    assert not QuizAttemptRaw.objects.filter(ml_student_id=ml_id).exists()
    assert not LessonInteractionRaw.objects.filter(ml_student_id=ml_id).exists()
    entry = AuditLog.objects.get(action="child.erased")
    assert entry.target_id == str(child_id)
    assert name not in json.dumps(list(AuditLog.objects.values("metadata", "target_id", "action")))


def test_purge_expired_erases_only_children_archived_past_retention_and_is_idempotent(
    settings, child, other_child
):
    settings.CHILD_RETENTION_DAYS = 30
    ChildProfile.objects.filter(pk=child.pk).update(
        archived_at=timezone.now() - datetime.timedelta(days=31)
    )
    ChildProfile.objects.filter(pk=other_child.pk).update(
        archived_at=timezone.now() - datetime.timedelta(days=5)
    )

    call_command("purge_expired", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("purge_expired", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert not ChildProfile.objects.filter(pk=child.pk).exists()
    assert ChildProfile.objects.filter(pk=other_child.pk).exists()
    assert AuditLog.objects.filter(action="child.erased", metadata__reason="retention").count() == 1
