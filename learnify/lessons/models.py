from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from learnify.accounts.models import TeacherProfile
from learnify.core.choices import KgLevel, LessonLevel


class Skill(models.Model):
    class Domain(models.TextChoices):
        LITERACY = "literacy", _("Literacy")
        NUMERACY = "numeracy", _("Numeracy")
        SCIENCE = "science", _("Science")
        SOCIAL_EMOTIONAL = "social_emotional", _("Social and emotional")
        MOTOR = "motor", _("Motor skills")
        ART = "art", _("Art and music")

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    domain = models.CharField(max_length=24, choices=Domain.choices)
    kg_level = models.CharField(max_length=8, choices=KgLevel.choices)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks"
    )

    class Meta:
        ordering = ["kg_level", "domain", "code"]
        indexes = [models.Index(fields=["domain", "kg_level"], name="skill_domain_level")]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


class LessonQuerySet(models.QuerySet["Lesson"]):
    def published(self) -> LessonQuerySet:
        return self.filter(is_published=True)


class Lesson(models.Model):
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kg_level = models.CharField(max_length=8, choices=LessonLevel.choices)
    skills = models.ManyToManyField(Skill, related_name="lessons")
    author = models.ForeignKey(
        TeacherProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    estimated_minutes = models.PositiveSmallIntegerField(default=10)
    order = models.PositiveIntegerField(
        default=0, help_text=_("Position among the lessons of its first skill.")
    )
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["kg_level", "order", "id"]
        indexes = [
            models.Index(
                fields=["kg_level", "is_published", "order"], name="lesson_level_published"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimated_minutes__gte=1, estimated_minutes__lte=120),
                name="lesson_estimated_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LessonMedia(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="lessons/%Y/%m/")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    alt_text = models.CharField(max_length=250, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lesson", "order", "id"]
        verbose_name_plural = "lesson media"
        constraints = [
            # Screen readers need words for every picture.
            models.CheckConstraint(
                condition=~models.Q(kind="image", alt_text=""), name="lesson_media_image_has_alt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.lesson}"
