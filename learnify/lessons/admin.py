from typing import Any

from django.contrib import admin

from learnify.ai import services as ai_services
from learnify.core.admin_audit import AuditedAdminMixin
from learnify.lessons.models import Lesson, LessonMedia, Skill


class CurriculumAdminMixin:
    """Edits of lessons and skills in the admin site reach the recommender's cached lessons frames, as the
    lessons services' edits do."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        ai_services.lessons_changed()

    def delete_model(self, request: Any, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        ai_services.lessons_changed()

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        ai_services.lessons_changed()


@admin.register(Skill)
class SkillAdmin(CurriculumAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "domain", "kg_level"]
    list_filter = ["domain", "kg_level"]
    search_fields = ["code", "name", "description"]
    filter_horizontal = ["prerequisites"]


class LessonMediaInline(admin.TabularInline):
    model = LessonMedia
    extra = 0
    fields = ["file", "kind", "alt_text", "order", "content_type", "size_bytes"]
    readonly_fields = ["content_type", "size_bytes"]


@admin.register(Lesson)
class LessonAdmin(CurriculumAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kg_level", "order", "estimated_minutes", "is_published", "author"]
    list_filter = ["kg_level", "is_published", "skills__domain"]
    search_fields = ["title", "description", "skills__code", "skills__name"]
    filter_horizontal = ["skills"]
    inlines = [LessonMediaInline]
    list_select_related = ["author"]


@admin.register(LessonMedia)
class LessonMediaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["lesson", "kind", "alt_text", "content_type", "size_bytes", "created_at"]
    list_filter = ["kind"]
    search_fields = ["lesson__title", "alt_text"]
    raw_id_fields = ["lesson"]
