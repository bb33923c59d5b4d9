"""Children's data rights (COPPA, GDPR Art. 8): export everything stored about a child, erase a child, and
purge archived children once the retention period has passed.

An erased child leaves no personal data: their account, profile, progress, attempts, answers, badges,
recommendations and ML map are deleted; the pseudonymous ML rows keyed by their `ml_student_id` are deleted too,
so nothing can be joined back; audit entries keep ids only (they never held names).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from learnify.accounts import access
from learnify.accounts.models import ChildProfile, RefreshToken, User
from learnify.accounts.tokens import revoke_all_tokens
from learnify.ai.models import (
    LessonInteractionClean,
    LessonInteractionRaw,
    MLStudentMap,
    PendingRecommendationRefresh,
    QuizAttemptClean,
    QuizAttemptRaw,
    Recommendation,
    StudentFeatures,
    StudentMLDataset,
)
from learnify.core.services import record_audit_event
from learnify.progress.models import Achievement, Progress
from learnify.quizzes.models import Answer, QuizAttempt

EXPORT_FORMAT_VERSION = 1
ML_TABLES_BY_STUDENT: list[Any] = [
    LessonInteractionRaw,
    QuizAttemptRaw,
    LessonInteractionClean,
    QuizAttemptClean,
    StudentFeatures,
    StudentMLDataset,
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | type(None) | dict | list):
        return value
    return str(value)  # UUIDs and the like


def _rows(queryset) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in queryset.values()]


def child_data(child: ChildProfile) -> dict[str, Any]:
    """Return every row of every table that refers to the child, as plain JSON-able data."""
    ml_map = MLStudentMap.objects.filter(child=child).first()
    ml_id = ml_map.ml_student_id if ml_map else None
    user = child.user
    document: dict[str, Any] = {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "child": {
            **{k: _plain(v) for k, v in model_to_dict(child).items()},
            "enrolled_at": _plain(child.enrolled_at),
            "archived_at": _plain(child.archived_at),
        },
        "account": {
            "id": user.pk,
            "username": user.username,
            "role": user.role,
            "is_active": user.is_active,
            "date_joined": _plain(user.date_joined),
            "last_login": _plain(user.last_login),
        },
        "classroom": {
            "id": child.classroom_id,
            "name": child.classroom.name if child.classroom else None,
        },
        "progress": _rows(Progress.objects.filter(child=child)),
        "quiz_attempts": _rows(QuizAttempt.objects.filter(child=child)),
        "answers": [
            {**row, "chosen_choice_ids": chosen}
            for row, chosen in (
                (
                    row,
                    list(
                        Answer.chosen_choices.through.objects.filter(
                            answer_id=row["id"]
                        ).values_list("choice_id", flat=True)
                    ),
                )
                for row in _rows(Answer.objects.filter(attempt__child=child))
            )
        ],
        "achievements": _rows(Achievement.objects.filter(child=child)),
        "recommendations": _rows(Recommendation.objects.filter(child=child)),
        "pending_recommendation_refresh": _rows(
            PendingRecommendationRefresh.objects.filter(child=child)
        ),
        "refresh_tokens": [
            {k: v for k, v in row.items() if k != "token_hash"}
            for row in _rows(RefreshToken.objects.filter(user=user))
        ],
        "ml_student_id": str(ml_id) if ml_id else None,
        "ml_tables": {
            model._meta.db_table: _rows(model.objects.filter(ml_student_id=ml_id)) if ml_id else []
            for model in ML_TABLES_BY_STUDENT
        },
    }
    return document


def export_child_data(*, child: ChildProfile, actor: User) -> dict[str, Any]:
    """Return the child's data for a subject access request. Admins only; audited."""
    if not access.children.can(actor, "export", child):
        raise PermissionDenied
    document = child_data(child)
    record_audit_event(action="child.data_exported", actor=actor, target=child)
    return document


def _erase(child: ChildProfile) -> dict[str, int]:
    counts: dict[str, int] = {}
    ml_map = MLStudentMap.objects.filter(child=child).first()
    if ml_map is not None:
        for model in ML_TABLES_BY_STUDENT:
            counts[model._meta.db_table] = model.objects.filter(
                ml_student_id=ml_map.ml_student_id
            ).delete()[0]
    user = child.user
    revoke_all_tokens(user, reason=RefreshToken.RevokedReason.ERASED)
    # Deleting the account cascades to the profile, progress, attempts, answers, badges, recommendations and the
    # ML map. Children upload no files, so there is no media of theirs to remove.
    counts["rows"] = user.delete()[0]
    return counts


@transaction.atomic
def erase_child(
    *, child: ChildProfile, actor: User | None, reason: str = "request"
) -> dict[str, int]:
    """Delete everything stored about a child. Admins only (or the retention purge, actor None); audited by id."""
    if actor is not None and not access.children.can(actor, "erase", child):
        raise PermissionDenied
    child_id, classroom_id = child.pk, child.classroom_id
    counts = _erase(child)
    record_audit_event(
        action="child.erased",
        actor=actor,
        target_type="accounts.childprofile",
        target_id=child_id,
        metadata={"reason": reason, "classroom_id": classroom_id, "deleted": counts},
    )
    return counts


def purge_expired(*, now: datetime.datetime | None = None) -> list[int]:
    """Erase archived children whose archive date is older than CHILD_RETENTION_DAYS; return their ids.

    Idempotent: a second run finds nothing left to erase.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CHILD_RETENTION_DAYS)
    erased = []
    for child in ChildProfile.objects.filter(archived_at__lt=cutoff).select_related(
        "user", "classroom"
    ):
        erase_child(child=child, actor=None, reason="retention")
        erased.append(child.pk)
    return erased
