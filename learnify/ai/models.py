"""The recommender's tables.

Raw tables are written by the backend's services in the same transaction as the change they record; the clean,
feature, dataset, recommendation and model tables are written by the pipeline (ours, or an outside ML team's).
Pipeline tables key children by `ml_student_id` and lessons, quizzes and questions by bare ids: no names, no
foreign keys into accounts, so a database role limited to `ai_*` tables sees nothing personal.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from learnify.accounts.models import ChildProfile
from learnify.lessons.models import Lesson


class MLStudentMap(models.Model):
    """The only link between a child and their pseudonymous id in the pipeline tables."""

    child = models.OneToOneField(ChildProfile, on_delete=models.CASCADE, related_name="ml_map")
    ml_student_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_ml_student_map"
        verbose_name = "ML student map"

    def __str__(self) -> str:
        return f"{self.ml_student_id} -> child {self.child_id}"


class PipelineRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    # Rows read, kept and dropped per stage, with the reasons rows were dropped.
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "ai_pipeline_runs"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"pipeline run {self.pk} ({self.status})"


class LessonInteractionRaw(models.Model):
    # Set by the writer; the same event written twice (a retried request) is one row.
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    ml_student_id = models.UUIDField()
    lesson_id = models.BigIntegerField()
    kg_level = models.CharField(max_length=8)
    status = models.CharField(max_length=12)
    percent = models.SmallIntegerField()
    seconds_spent = models.IntegerField(help_text=_("Seconds reported by this event."))
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_lesson_interactions_raw"
        indexes = [
            models.Index(fields=["ml_student_id", "occurred_at"], name="lir_student_time"),
            models.Index(fields=["recorded_at"], name="lir_recorded"),
        ]

    def __str__(self) -> str:
        return f"lesson {self.lesson_id} {self.status} {self.percent}% by {self.ml_student_id}"


class QuizAttemptRaw(models.Model):
    """One row per answered question of a quiz attempt."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    ml_student_id = models.UUIDField()
    attempt_id = models.BigIntegerField()
    client_attempt_id = models.CharField(max_length=64)
    quiz_id = models.BigIntegerField()
    pass_mark = models.FloatField(
        help_text=_(
            "The quiz's pass mark when it was attempted: the share of questions right that passes."
        )
    )
    lesson_id = models.BigIntegerField()
    question_id = models.BigIntegerField()
    skill_id = models.BigIntegerField(null=True, blank=True)
    kg_level = models.CharField(max_length=8)
    correct = models.BooleanField()
    seconds = models.IntegerField(null=True, blank=True)
    answered_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_quiz_attempts_raw"
        indexes = [
            models.Index(fields=["ml_student_id", "answered_at"], name="qar_student_time"),
            models.Index(fields=["attempt_id"], name="qar_attempt"),
            models.Index(fields=["recorded_at"], name="qar_recorded"),
        ]

    def __str__(self) -> str:
        return f"question {self.question_id} {'right' if self.correct else 'wrong'} by {self.ml_student_id}"


class LessonInteractionClean(models.Model):
    raw_id = models.BigIntegerField(unique=True)
    ml_student_id = models.UUIDField()
    lesson_id = models.BigIntegerField()
    kg_level = models.CharField(max_length=8)
    percent = models.SmallIntegerField()
    seconds_spent = models.IntegerField()
    completed = models.BooleanField(default=False)
    occurred_at = models.DateTimeField()
    pipeline_run = models.ForeignKey(PipelineRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "ai_lesson_interactions_clean"
        ordering = ["occurred_at", "raw_id"]
        indexes = [models.Index(fields=["ml_student_id", "occurred_at"], name="lic_student_time")]

    def __str__(self) -> str:
        return f"clean lesson interaction {self.raw_id}"


class QuizAttemptClean(models.Model):
    raw_id = models.BigIntegerField(unique=True)
    ml_student_id = models.UUIDField()
    attempt_id = models.BigIntegerField()
    quiz_id = models.BigIntegerField()
    pass_mark = models.FloatField()
    lesson_id = models.BigIntegerField()
    question_id = models.BigIntegerField()
    skill_id = models.BigIntegerField(null=True, blank=True)
    kg_level = models.CharField(max_length=8)
    correct = models.BooleanField()
    seconds = models.IntegerField(null=True, blank=True)
    answered_at = models.DateTimeField()
    pipeline_run = models.ForeignKey(PipelineRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "ai_quiz_attempts_clean"
        ordering = ["answered_at", "raw_id"]
        indexes = [models.Index(fields=["ml_student_id", "answered_at"], name="qac_student_time")]

    def __str__(self) -> str:
        return f"clean quiz answer {self.raw_id}"


class StudentFeatures(models.Model):
    """A child's standing in one skill as of one moment, computed only from what happened before it."""

    ml_student_id = models.UUIDField()
    skill_id = models.BigIntegerField()
    as_of = models.DateTimeField()
    attempts = models.IntegerField(default=0)
    accuracy = models.FloatField(null=True, blank=True)
    accuracy_last_k = models.FloatField(null=True, blank=True)
    seconds_since_last_practice = models.FloatField(null=True, blank=True)
    relative_answer_time = models.FloatField(null=True, blank=True)
    lesson_completion_rate = models.FloatField(null=True, blank=True)
    mean_seconds_per_lesson = models.FloatField(null=True, blank=True)
    ability = models.FloatField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    pipeline_run = models.ForeignKey(PipelineRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "ai_student_features"
        verbose_name_plural = "student features"
        constraints = [
            models.UniqueConstraint(
                fields=["ml_student_id", "skill_id", "as_of"],
                name="features_unique_student_skill_time",
            ),
        ]
        indexes = [
            models.Index(fields=["ml_student_id", "skill_id", "-as_of"], name="features_latest")
        ]

    def __str__(self) -> str:
        return f"features of {self.ml_student_id} in skill {self.skill_id} as of {self.as_of}"


class StudentMLDataset(models.Model):
    """One training row per (child, quiz attempt): the features before the attempt and its outcome."""

    ml_student_id = models.UUIDField()
    attempt_id = models.BigIntegerField(unique=True)
    quiz_id = models.BigIntegerField()
    lesson_id = models.BigIntegerField()
    attempted_at = models.DateTimeField()
    features = models.JSONField(default=dict)
    outcome_score = models.FloatField()
    outcome_success = models.BooleanField()
    pipeline_run = models.ForeignKey(PipelineRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "ai_student_ml_dataset"
        verbose_name = "student ML dataset row"
        ordering = ["attempted_at", "attempt_id"]
        indexes = [
            models.Index(fields=["ml_student_id", "attempted_at"], name="dataset_student_time")
        ]

    def __str__(self) -> str:
        return f"attempt {self.attempt_id} of {self.ml_student_id}"


class MLModel(models.Model):
    name = models.CharField(max_length=64)
    version = models.CharField(max_length=64)
    trained_at = models.DateTimeField()
    metrics = models.JSONField(default=dict, blank=True)
    feature_names = models.JSONField(default=list, blank=True)
    training_rows = models.PositiveIntegerField(default=0)
    artifact_path = models.CharField(max_length=500)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_ml_models"
        verbose_name = "ML model"
        ordering = ["-trained_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="mlmodel_unique_version"),
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="mlmodel_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}{' (active)' if self.is_active else ''}"


class Recommendation(models.Model):
    class Status(models.TextChoices):
        NEW = "NEW", _("New")
        SHOWN = "SHOWN", _("Shown")
        CLICKED = "CLICKED", _("Clicked")
        DISMISSED = "DISMISSED", _("Dismissed")

    class Event(models.TextChoices):
        """What the child (or their teacher beside them) did with a recommendation."""

        SHOWN = "SHOWN", _("Shown")
        CLICKED = "CLICKED", _("Clicked")
        DISMISSED = "DISMISSED", _("Dismissed")

    # Fallback recommendations carry this instead of a model version.
    RULES_SOURCE = "rules"

    child = models.ForeignKey(
        ChildProfile, on_delete=models.CASCADE, related_name="recommendations"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="recommendations")
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField(default=0)
    reason_code = models.CharField(max_length=32)
    reason = models.CharField(max_length=300)
    source = models.CharField(max_length=64, help_text=_('The model version, or "rules".'))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    # The current set is active; replaced sets are kept (inactive) to measure what recommendations achieved.
    is_active = models.BooleanField(default=True)
    pinned = models.BooleanField(
        default=False, help_text=_("Pinned by a teacher: kept on refresh.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shown_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_recommendations"
        ordering = ["child", "-is_active", "rank", "-created_at"]
        indexes = [
            models.Index(fields=["child", "is_active", "rank"], name="rec_child_active_rank"),
            models.Index(fields=["created_at"], name="rec_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=0), name="rec_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} for {self.child} ({self.reason_code}, {self.source})"


class PendingRecommendationRefresh(models.Model):
    """A child whose recommendations are behind their newest attempt.

    Written in the attempt's transaction and deleted by the refresh that catches up, so a refresh lost with its
    process (a crash, a deploy) is still on record: `manage.py refresh_pending_recommendations` sweeps them.
    """

    child = models.OneToOneField(
        ChildProfile, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested_at = models.DateTimeField()

    class Meta:
        db_table = "ai_pending_recommendation_refresh"

    def __str__(self) -> str:
        return f"child {self.child_id} pending since {self.requested_at:%Y-%m-%d %H:%M:%S}"
