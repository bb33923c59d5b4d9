"""Live events over the websocket: progress for teachers' dashboards and the child's new recommendations."""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from channels.db import database_sync_to_async
from django.utils.dateparse import parse_datetime
from redis.exceptions import ConnectionError as RedisConnectionError
from strawberry.types import Info

from api.base import (
    BadUserInput,
    Forbidden,
    NotFound,
    ProgressStatusEnum,
    parse_id,
    require_user,
)
from learnify.accounts import selectors as account_selectors
from learnify.accounts.access import Role, active_role, child_profile_of
from learnify.accounts.models import ChildProfile, User
from learnify.ai import selectors as ai_selectors
from learnify.core import events
from learnify.lessons import selectors as lesson_selectors
from learnify.progress.models import Badge

if TYPE_CHECKING:
    from api.accounts import ChildType
    from api.lessons import LessonType
    from api.progress import BadgeType
    from api.recommendations import RecommendationType


@strawberry.type(name="ProgressEvent")
class ProgressEventType:
    kind: str
    child: Annotated[ChildType, strawberry.lazy("api.accounts")]
    lesson: Annotated[LessonType, strawberry.lazy("api.lessons")] | None
    badge: Annotated[BadgeType, strawberry.lazy("api.progress")] | None
    status: ProgressStatusEnum | None
    percent: int | None
    score: float | None
    occurred_at: datetime.datetime


def _groups_for_progress(
    user: User, classroom_id: Any, child_id: Any
) -> tuple[list[str], int | None]:
    """Return the groups to listen to and, when both ids are given, the one child to keep."""
    only_child = None
    if child_id is not None:
        child = (
            account_selectors.children_visible_to(user)
            .filter(pk=parse_id(child_id, what="childId"))
            .first()
        )
        if child is None:
            raise NotFound("No such child.")
        only_child = child.pk
    if classroom_id is not None:
        if active_role(user) == Role.CHILD:
            raise Forbidden("Children can only follow their own progress.")
        classroom = (
            account_selectors.classrooms_visible_to(user)
            .filter(pk=parse_id(classroom_id, what="classroomId"))
            .first()
        )
        if classroom is None:
            raise NotFound("No such classroom.")
        return [events.classroom_group(classroom.pk)], only_child
    if only_child is not None:
        return [events.child_group(only_child)], None
    if active_role(user) == Role.CHILD:
        profile = child_profile_of(user)
        if profile is None:
            raise NotFound("No such child.")
        return [events.child_group(profile.pk)], None
    if active_role(user) == Role.TEACHER:
        ids = list(account_selectors.classrooms_visible_to(user).values_list("pk", flat=True))
        return [events.classroom_group(pk) for pk in ids], None
    raise BadUserInput("Pass classroomId or childId.")


def _event_from(user: User, message: dict[str, Any]) -> ProgressEventType | None:
    child = ChildProfile.objects.filter(pk=message["child_id"]).first()
    if child is None:
        return None
    lesson = (
        lesson_selectors.lessons_visible_to(user).filter(pk=message["lesson_id"]).first()
        if message.get("lesson_id")
        else None
    )
    badge = (
        Badge.objects.filter(pk=message["badge_id"]).first() if message.get("badge_id") else None
    )
    status = message.get("status")
    return ProgressEventType(
        kind=message["kind"],
        child=child,  # type: ignore[arg-type]
        lesson=lesson,  # type: ignore[arg-type]
        badge=badge,  # type: ignore[arg-type]
        status=ProgressStatusEnum(status) if status else None,
        percent=message.get("percent"),
        score=message.get("score"),
        occurred_at=parse_datetime(message["occurred_at"])
        or datetime.datetime.now(tz=datetime.UTC),
    )


# A Redis restart leaves the layer's pooled connections dead until each is used once, so a new subscription's
# first group join could fail. Joining is idempotent: it is tried again (each failure drops one dead
# connection, and the pool hands out the last good one next) before listen_to_channel joins for good.
JOIN_ATTEMPTS = 4


async def _join_groups(ws: Any, groups: list[str]) -> None:
    for group in groups:
        for attempt in range(1, JOIN_ATTEMPTS + 1):
            try:
                await ws.channel_layer.group_add(group, ws.channel_name)
                break
            except RedisConnectionError:
                if attempt == JOIN_ATTEMPTS:
                    raise


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def progress_events(
        self,
        info: Info,
        classroom_id: strawberry.ID | None = None,
        child_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[ProgressEventType, None]:
        """Progress updates, quiz attempts and badges of the children the subscriber may see, as they happen."""
        user = await database_sync_to_async(require_user)(info)
        groups, only_child = await database_sync_to_async(_groups_for_progress)(
            user, classroom_id, child_id
        )
        ws = info.context["ws"]
        await _join_groups(ws, groups)
        async with ws.listen_to_channel(events.CHILD_EVENT, groups=groups) as messages:
            async for message in messages:
                if message.get("kind") not in events.PROGRESS_KINDS:
                    continue
                if only_child is not None and message.get("child_id") != only_child:
                    continue
                event = await database_sync_to_async(_event_from)(user, message)
                if event is not None:
                    yield event

    @strawberry.subscription
    async def recommendations_updated(
        self, info: Info, child_id: strawberry.ID
    ) -> AsyncGenerator[
        list[Annotated[RecommendationType, strawberry.lazy("api.recommendations")]], None
    ]:
        """The child's new recommendations, each time they change."""
        user = await database_sync_to_async(require_user)(info)

        def visible_child() -> ChildProfile:
            child = (
                account_selectors.children_visible_to(user)
                .filter(pk=parse_id(child_id, what="childId"))
                .first()
            )
            if child is None:
                raise NotFound("No such child.")
            return child

        child = await database_sync_to_async(visible_child)()
        ws = info.context["ws"]
        await _join_groups(ws, [events.child_group(child.pk)])
        async with ws.listen_to_channel(
            events.CHILD_EVENT, groups=[events.child_group(child.pk)]
        ) as messages:
            async for message in messages:
                if message.get("kind") != events.RECOMMENDATIONS_UPDATED:
                    continue
                rows = await database_sync_to_async(
                    lambda: list(
                        ai_selectors.recommendations_visible_to(user)
                        .filter(child=child)
                        .select_related("lesson")
                        .order_by("rank", "id")
                    )
                )()
                yield rows  # type: ignore[misc]
