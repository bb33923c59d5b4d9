"""What only admins read: platform analytics and the audit log."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.base import BadUserInput, parse_id
from api.permissions import Allowed
from learnify.accounts import access as accounts_access
from learnify.core import selectors
from learnify.core.models import AuditLog
from learnify.progress import access as progress_access
from learnify.progress.analytics import platform_analytics


@strawberry.type(name="PlatformAnalytics")
class PlatformAnalyticsType:
    since: datetime.datetime
    until: datetime.datetime
    active_children: int
    lessons_completed: int
    seconds_spent: int
    quiz_attempts: int
    average_score: float | None
    recommendations_created: int
    recommendations_shown: int
    recommendations_clicked: int
    recommendations_dismissed: int
    click_through_rate: float | None
    recommended_lessons_completed: int


@strawberry.type(name="AuditLogEntry")
class AuditLogEntryType:
    id: strawberry.ID
    created_at: datetime.datetime
    actor_id: strawberry.ID | None
    actor_role: str
    action: str
    target_type: str
    target_id: str
    ip: str | None
    user_agent: str
    request_id: str
    metadata: JSON

    @classmethod
    def from_model(cls, entry: AuditLog) -> AuditLogEntryType:
        return cls(
            id=strawberry.ID(str(entry.pk)),
            created_at=entry.created_at,
            actor_id=strawberry.ID(str(entry.actor_id)) if entry.actor_id else None,
            actor_role=entry.actor_role,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            ip=entry.ip,
            user_agent=entry.user_agent,
            request_id=entry.request_id,
            metadata=entry.metadata,
        )


@strawberry.type(name="AuditLogEdge")
class AuditLogEdgeType:
    cursor: str
    node: AuditLogEntryType


@strawberry.type(name="PageInfo")
class PageInfoType:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(name="AuditLogConnection")
class AuditLogConnectionType:
    edges: list[AuditLogEdgeType]
    page_info: PageInfoType


@strawberry.input(name="AuditLogFilter")
class AuditLogFilterInput:
    actor_id: strawberry.ID | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    search: str | None = None


@strawberry.type
class AdminQuery:
    @strawberry.field(extensions=[Allowed(progress_access.progress, "read_platform_analytics")])
    def platform_analytics(
        self,
        info: Info,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
    ) -> PlatformAnalyticsType:
        """Engagement, quiz performance and recommendation effectiveness over a period (default 30 days)."""
        if since and until and since >= until:
            raise BadUserInput("since must be before until.")
        return PlatformAnalyticsType(**vars(platform_analytics(since=since, until=until)))

    @strawberry.field(extensions=[Allowed(accounts_access.audit_log, "view")])
    def audit_logs(
        self,
        info: Info,
        filters: AuditLogFilterInput | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> AuditLogConnectionType:
        """The audit log, newest first, 100 entries a page at most; pass `after` the last page's endCursor."""
        if not 1 <= first <= selectors.MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {selectors.MAX_PAGE}.")
        given = filters or AuditLogFilterInput()
        try:
            page = selectors.audit_log_page(
                selectors.AuditLogFilters(
                    actor_id=parse_id(given.actor_id, what="actorId") if given.actor_id else None,
                    action=given.action,
                    target_type=given.target_type,
                    target_id=given.target_id,
                    since=given.since,
                    until=given.until,
                    search=given.search,
                ),
                first=first,
                after=after,
            )
        except selectors.BadCursorError as exc:
            raise BadUserInput(str(exc)) from exc
        return AuditLogConnectionType(
            edges=[
                AuditLogEdgeType(cursor=cursor, node=AuditLogEntryType.from_model(entry))
                for entry, cursor in zip(page.entries, page.cursors, strict=True)
            ],
            page_info=PageInfoType(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )
