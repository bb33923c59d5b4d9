"""Every change made through the Django admin also lands in the audit log (who, what, which object)."""

from __future__ import annotations

from typing import Any

from learnify.core.services import record_audit_event


class AuditedAdminMixin:
    """A ModelAdmin whose additions, changes and deletions are audited like every other write."""

    def _audit(self, request: Any, obj: Any, action: str, message: Any) -> None:
        record_audit_event(
            action=f"admin.{action}",
            actor=request.user,
            target_type=obj._meta.label_lower,
            target_id=str(obj.pk),
            metadata={"change": message if isinstance(message, list | str) else str(message)},
        )

    def log_addition(self, request: Any, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "added", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: Any, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: Any, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "deleted", "")
        return super().log_deletions(request, queryset)  # type: ignore[misc]
