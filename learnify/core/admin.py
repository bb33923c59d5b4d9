from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from learnify.core.admin_audit import AuditedAdminMixin
from learnify.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: the audit log is append-only, in the admin as everywhere else."""

    list_display = [
        "created_at",
        "action",
        "actor_id",
        "actor_role",
        "target_type",
        "target_id",
        "ip",
    ]
    list_filter = ["action", "actor_role", "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["action", "target_type", "target_id", "request_id", "ip", "=actor__id"]
    date_hierarchy = "created_at"
    show_full_result_count = (
        False  # counting millions of rows on every page is what makes audit pages slow
    )
    list_select_related = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
