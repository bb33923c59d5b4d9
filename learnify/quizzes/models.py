from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from learnify.accounts.models import ChildProfile
from learnify.lessons.models import Lesson, Skill


class Quiz(models.Model):
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    title = models.CharField(max_length=120)
    # Share of questions right for the attempt to count as a success (mastery, badges, recommender).
    pass_mark = models.FloatField(default=0.6)
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["lesson_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark__gt=0, pass_mark__lte=1), name="quiz_pass_mark_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "SINGLE", _("Single choice")
        MULTIPLE = "MULTIPLE", _("Multiple choice")
        TRUE_FALSE = "TRUE_FALSE", _("True or false")
        ORDERING = "ORDERING", _("Put in order")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    prompt = models.CharField(max_length=300)
    prompt_image = models.FileField(upload_to="quizzes/%Y/%m/", blank=True)
    prompt_audio = models.FileField(upload_to="quizzes/%Y/%m/", blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SINGLE)
    # The skill this question practises; mastery is estimated per skill from these.
    skill = models.ForeignKey(
        Skill, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["quiz", "order", "id"]

    def __str__(self) -> str:
        return self.prompt


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=120)
    image = models.FileField(upload_to="quizzes/%Y/%m/", blank=True)
    audio = models.FileField(upload_to="quizzes/%Y/%m/", blank=True)
    is_correct = models.BooleanField(default=False)
    # For ORDERING questions this is the correct position; otherwise the display order.
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.label


class QuizAttempt(models.Model):
    child = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="quiz_attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    # Chosen by the tablet; a retry after a dropped connection sends the same id and gets the first result.
    client_attempt_id = models.CharField(max_length=64)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(default=0.0)
    correct_count = models.PositiveIntegerField(default=0)
    question_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "client_attempt_id"], name="attempt_unique_client_id_per_child"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1), name="attempt_score_range"
            ),
            models.CheckConstraint(
                condition=models.Q(correct_count__lte=models.F("question_count")),
                name="attempt_correct_not_above_questions",
            ),
        ]
        indexes = [
            models.Index(fields=["child", "-started_at"], name="attempt_child_started"),
            models.Index(fields=["quiz", "-started_at"], name="attempt_quiz_started"),
        ]

    def __str__(self) -> str:
        return f"{self.child} on {self.quiz} ({self.score:.0%})"

    @property
    def passed(self) -> bool:
        """Whether the attempt reached its quiz's pass mark: what completes a lesson and counts as success."""
        return self.score >= self.quiz.pass_mark


class Answer(models.Model):
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    chosen_choices = models.ManyToManyField(Choice, related_name="answers", blank=True)
    # ORDERING questions: the choice ids in the order the child placed them.
    chosen_order = models.JSONField(default=list, blank=True)
    correct = models.BooleanField(default=False)
    seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "question__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="answer_unique_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{'right' if self.correct else 'wrong'}: {self.question}"
