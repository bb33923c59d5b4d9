from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from learnify.accounts.models import ChildProfile
from learnify.lessons.models import Lesson


class Progress(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "NOT_STARTED", _("Not started")
        IN_PROGRESS = "IN_PROGRESS", _("In progress")
        COMPLETED = "COMPLETED", _("Completed")

    child = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    percent = models.PositiveSmallIntegerField(default=0)
    seconds_spent = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    last_accessed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "progress"
        ordering = ["child", "lesson"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "lesson"], name="progress_unique_child_lesson"
            ),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="progress_percent_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="COMPLETED") | models.Q(completed_at__isnull=False),
                name="progress_completed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["child", "-last_accessed_at"], name="progress_child_recent"),
            models.Index(fields=["lesson", "status"], name="progress_lesson_status"),
        ]

    def __str__(self) -> str:
        return f"{self.child} - {self.lesson}: {self.percent}%"


class Badge(models.Model):
    class Criterion(models.TextChoices):
        QUIZZES_FINISHED = "QUIZZES_FINISHED", _("Finish a number of quizzes")
        LESSONS_COMPLETED = "LESSONS_COMPLETED", _("Complete a number of lessons")
        PERFECT_SCORES = "PERFECT_SCORES", _("Get every answer right a number of times")
        DOMAINS_EXPLORED = "DOMAINS_EXPLORED", _("Complete lessons in a number of areas")

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200)
    icon = models.CharField(max_length=32, help_text=_("Name of the picture the app shows."))
    criterion = models.CharField(max_length=24, choices=Criterion.choices)
    threshold = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["criterion", "threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["criterion", "threshold"], name="badge_unique_criterion_threshold"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Achievement(models.Model):
    child = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="achievements")
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="achievements")
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "badge"], name="achievement_unique_child_badge"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child}: {self.badge}"
