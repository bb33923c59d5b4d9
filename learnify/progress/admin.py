from django.contrib import admin

from learnify.core.admin_audit import AuditedAdminMixin
from learnify.progress.models import Achievement, Badge, Progress


@admin.register(Progress)
class ProgressAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["child", "lesson", "status", "percent", "seconds_spent", "last_accessed_at"]
    list_filter = ["status", "lesson__kg_level"]
    search_fields = ["child__display_name", "lesson__title"]
    raw_id_fields = ["child", "lesson"]
    list_select_related = ["child", "lesson"]


@admin.register(Badge)
class BadgeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "criterion", "threshold"]
    list_filter = ["criterion"]
    search_fields = ["name", "code", "description"]


@admin.register(Achievement)
class AchievementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["child", "badge", "awarded_at"]
    list_filter = ["badge", ("awarded_at", admin.DateFieldListFilter)]
    search_fields = ["child__display_name", "badge__name"]
    raw_id_fields = ["child", "badge"]
    list_select_related = ["child", "badge"]
