from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from learnify.ai.models import (
    LessonInteractionClean,
    LessonInteractionRaw,
    MLModel,
    MLStudentMap,
    PipelineRun,
    QuizAttemptClean,
    QuizAttemptRaw,
    Recommendation,
    StudentFeatures,
    StudentMLDataset,
)
from learnify.ai.services import activate_ml_model
from learnify.core.admin_audit import AuditedAdminMixin


@admin.register(MLStudentMap)
class MLStudentMapAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["ml_student_id", "child", "created_at"]
    search_fields = ["=ml_student_id", "child__display_name"]
    raw_id_fields = ["child"]


@admin.register(PipelineRun)
class PipelineRunAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["id", "started_at", "finished_at", "status"]
    list_filter = ["status"]
    search_fields = ["=id"]


@admin.register(LessonInteractionRaw)
class LessonInteractionRawAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "ml_student_id",
        "lesson_id",
        "status",
        "percent",
        "seconds_spent",
    ]
    list_filter = ["status", "kg_level"]
    search_fields = ["=ml_student_id", "=lesson_id"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(QuizAttemptRaw)
class QuizAttemptRawAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "answered_at",
        "ml_student_id",
        "attempt_id",
        "question_id",
        "correct",
        "seconds",
    ]
    list_filter = ["correct", "kg_level"]
    search_fields = ["=ml_student_id", "=attempt_id", "=quiz_id"]
    date_hierarchy = "answered_at"
    show_full_result_count = False


@admin.register(LessonInteractionClean)
class LessonInteractionCleanAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "ml_student_id", "lesson_id", "percent", "completed"]
    list_filter = ["completed", "kg_level"]
    search_fields = ["=ml_student_id", "=lesson_id"]
    show_full_result_count = False


@admin.register(QuizAttemptClean)
class QuizAttemptCleanAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["answered_at", "ml_student_id", "attempt_id", "question_id", "correct"]
    list_filter = ["correct", "kg_level"]
    search_fields = ["=ml_student_id", "=attempt_id"]
    show_full_result_count = False


@admin.register(StudentFeatures)
class StudentFeaturesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["ml_student_id", "skill_id", "as_of", "attempts", "accuracy", "ability"]
    search_fields = ["=ml_student_id", "=skill_id"]
    show_full_result_count = False


@admin.register(StudentMLDataset)
class StudentMLDatasetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "ml_student_id",
        "attempt_id",
        "outcome_score",
        "outcome_success",
    ]
    list_filter = ["outcome_success"]
    search_fields = ["=ml_student_id", "=attempt_id"]
    show_full_result_count = False


@admin.register(MLModel)
class MLModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "version", "trained_at", "training_rows", "is_active"]
    list_filter = ["is_active", "name"]
    search_fields = ["name", "version"]
    # Only one model may be active: switching goes through the service (the action below), never the form.
    readonly_fields = ["is_active", "version", "artifact_path", "trained_at", "training_rows"]
    actions = ["activate"]

    @admin.action(description="Make the selected model the active one")
    def activate(self, request: HttpRequest, queryset: QuerySet[MLModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model to activate.", messages.ERROR)
            return
        model = activate_ml_model(model=queryset.get(), actor=request.user)
        self.message_user(request, f"{model} is now active.", messages.SUCCESS)


@admin.register(Recommendation)
class RecommendationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "child",
        "lesson",
        "rank",
        "score",
        "reason_code",
        "source",
        "status",
        "is_active",
    ]
    list_filter = ["status", "is_active", "source", "reason_code", "pinned"]
    search_fields = ["child__display_name", "lesson__title", "reason"]
    raw_id_fields = ["child", "lesson"]
    list_select_related = ["child", "lesson"]
