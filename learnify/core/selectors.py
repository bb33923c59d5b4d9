"""Reads for admins: the audit log, keyset-paginated so it stays fast on millions of rows."""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from learnify.core.models import AuditLog

MAX_PAGE = 100


class BadCursorError(ValueError):
    """The pagination cursor was not one this service made."""


@dataclass(frozen=True)
class AuditLogFilters:
    actor_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    search: str | None = None


@dataclass
class AuditLogPage:
    entries: list[AuditLog]
    has_next: bool
    end_cursor: str | None
    cursors: list[str] = field(default_factory=list)


def encode_cursor(entry: AuditLog) -> str:
    return base64.urlsafe_b64encode(f"{entry.created_at.isoformat()}|{entry.pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int]:
    try:
        created, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = parse_datetime(created)
        if moment is None:
            raise ValueError(created)
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursorError("The cursor is not valid.") from exc


def filtered_audit_logs(filters: AuditLogFilters) -> QuerySet[AuditLog]:
    """Return the audit entries matching `filters`, newest first."""
    qs = AuditLog.objects.all()
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.action:
        qs = (
            qs.filter(action=filters.action)
            if "." in filters.action
            else qs.filter(action__startswith=filters.action)
        )
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    if filters.target_id:
        qs = qs.filter(target_id=filters.target_id)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    if filters.search:
        term = filters.search.strip()[:100]
        matches = (
            Q(action__icontains=term)
            | Q(target_type__icontains=term)
            | Q(target_id=term)
            | Q(request_id=term)
        )
        if _looks_like_ip(term):
            matches |= Q(ip=term)
        qs = qs.filter(matches)
    return qs.order_by("-created_at", "-id")


def _looks_like_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def audit_log_page(
    filters: AuditLogFilters, *, first: int = 50, after: str | None = None
) -> AuditLogPage:
    """Return one page of audit entries after the cursor: keyset pagination, so page 10,000 is as fast as page 1.

    Raises BadCursorError for a cursor this function did not make.
    """
    first = max(1, min(first, MAX_PAGE))
    qs = filtered_audit_logs(filters)
    if after:
        created_at, pk = decode_cursor(after)
        qs = qs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
    rows = list(qs[: first + 1])
    entries = rows[:first]
    cursors = [encode_cursor(entry) for entry in entries]
    return AuditLogPage(
        entries=entries,
        has_next=len(rows) > first,
        end_cursor=cursors[-1] if cursors else None,
        cursors=cursors,
    )
