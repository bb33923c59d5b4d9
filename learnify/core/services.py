"""Writes that belong to no single domain: the audit log.

Every domain service that changes something a person cares about calls `record_audit_event` inside its own
transaction, so the entry and the change commit or roll back together.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from learnify.core.access import active_role
from learnify.core.middleware import current_request_context
from learnify.core.models import AuditLog


def record_audit_event(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    metadata: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry to the audit log, with the current request's id, address and user agent.

    Metadata holds ids and codes, never names or other personal data: entries outlive erased children.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    context = current_request_context()
    role = active_role(actor)
    return AuditLog.objects.create(
        actor=actor if role else None,
        actor_role=role or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ip=context.ip,
        user_agent=context.user_agent,
        request_id=context.request_id if context.request_id != "-" else "",
        metadata=metadata or {},
    )
