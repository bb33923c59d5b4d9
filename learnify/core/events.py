"""Announce what happened to whoever listens: GraphQL subscriptions and the live portal.

Services call the `publish_*` functions through `transaction.on_commit`, so listeners never hear of a change
that was rolled back. Groups are named `<noun>.<id>`; each message has a `kind` `<noun>.<past verb>`. Payloads carry ids and
small numbers only; listeners load what they may see through selectors.

A channel layer that is down (Redis stopped) loses the event, which is logged: the write it announces has
already committed and must not fail because nobody could be told.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from learnify.core import metrics

logger = logging.getLogger(__name__)

# Every message about a child has this channel-layer type; what happened is in its "kind". One type lets a
# listener (a subscription, the live portal) receive all of a child's events through one handler.
CHILD_EVENT = "child.event"

PROGRESS_UPDATED = "progress.updated"
QUIZ_ATTEMPTED = "quiz.attempted"
ACHIEVEMENT_AWARDED = "achievement.awarded"
RECOMMENDATIONS_UPDATED = "recommendations.updated"
# What a child did in their learning: the kinds the live class view and the progress subscription follow.
PROGRESS_KINDS = frozenset({PROGRESS_UPDATED, QUIZ_ATTEMPTED, ACHIEVEMENT_AWARDED})


def child_group(child_id: int) -> str:
    return f"child.{child_id}"


def classroom_group(classroom_id: int) -> str:
    return f"classroom.{classroom_id}"


# After a failed delivery, stop trying for a few seconds: with Redis down every attempt would wait for its
# connection timeout, and writes would slow to a crawl for events nobody can receive anyway.
PAUSE_AFTER_FAILURE_SECONDS = 5.0
_paused_until = 0.0


def _publish(deliveries: list[tuple[str, dict[str, Any]]]) -> None:
    """Send each (group, message) in order. All of them go in one hop to the event loop: from a request's
    thread each `async_to_sync` call is a round trip, and a quiz attempt announces two events to two groups."""
    global _paused_until
    layer = get_channel_layer()
    if layer is None or not deliveries:
        return
    if time.monotonic() < _paused_until:
        metrics.EVENTS_DROPPED.inc(len(deliveries))
        logger.warning(
            "events %s dropped: the channel layer failed moments ago",
            [(group, message.get("kind")) for group, message in deliveries],
        )
        return
    sent = 0

    async def send_all() -> None:
        nonlocal sent
        for group, message in deliveries:
            await layer.group_send(group, message)
            sent += 1

    try:
        async_to_sync(send_all)()
    except Exception:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        group, message = deliveries[sent]
        logger.warning(
            "event %s to %s was not delivered", message.get("kind"), group, exc_info=True
        )
    finally:
        metrics.EVENTS_PUBLISHED.inc(sent)
        if sent < len(deliveries):
            metrics.EVENTS_DROPPED.inc(len(deliveries) - sent)


def _child_groups(child_id: int, classroom_id: int | None) -> list[str]:
    groups = [child_group(child_id)]
    if classroom_id is not None:
        groups.append(classroom_group(classroom_id))
    return groups


def child_event(
    *, kind: str, child_id: int, classroom_id: int | None, **data: Any
) -> dict[str, Any]:
    """The message that tells the child's and the classroom's listeners that `kind` happened to the child."""
    return {
        "type": CHILD_EVENT,
        "kind": kind,
        "child_id": child_id,
        "classroom_id": classroom_id,
        "occurred_at": data.pop("occurred_at", None) or timezone.now().isoformat(),
        **data,
    }


def publish_child_events(messages: list[dict[str, Any]]) -> None:
    """Publish `child_event` messages, in order, each to its child's and classroom's groups."""
    _publish(
        [
            (group, message)
            for message in messages
            for group in _child_groups(message["child_id"], message["classroom_id"])
        ]
    )


def publish_child_event(*, kind: str, child_id: int, classroom_id: int | None, **data: Any) -> None:
    """Tell the child's and the classroom's listeners that `kind` happened to the child."""
    publish_child_events(
        [child_event(kind=kind, child_id=child_id, classroom_id=classroom_id, **data)]
    )
