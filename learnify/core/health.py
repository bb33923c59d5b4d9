"""Health of the parts the service depends on: the database, the cache and the channel layer."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# A part that does not answer within this many seconds is reported down; the health check never hangs.
CHECK_TIMEOUT_SECONDS = 3.0


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # Checks run in a worker thread: hand the connection back rather than leaving it to that thread.
        connection.close()


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return the value just written")
    cache.delete(key)


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "health.ping":
        raise RuntimeError("the channel layer returned another message")


async def _run(name: str, check: Callable[[], Awaitable[None]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means the part is down; the reason goes to the log
        logger.warning("health check of the %s failed: %r", name, exc)
        status = "down"
        detail = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
    else:
        status, detail = "ok", ""
    result: dict[str, object] = {
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if detail:
        result["error"] = detail
    return result


async def check_parts() -> dict[str, dict[str, object]]:
    """Check every part at once and return each one's status."""
    database, cache_result, layer = await asyncio.gather(
        _run("database", sync_to_async(_check_database, thread_sensitive=False)),
        _run("cache", sync_to_async(_check_cache, thread_sensitive=False)),
        _run("channel layer", _check_channel_layer),
    )
    return {"database": database, "cache": cache_result, "channel_layer": layer}


@require_GET
async def health(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database, cache and channel layer all answer, else 503 naming what is down."""
    parts = await check_parts()
    down = [name for name, part in parts.items() if part["status"] != "ok"]
    body = {"status": "ok" if not down else "unavailable", "down": down, "parts": parts}
    response = JsonResponse(body, status=503 if down else 200)
    response["Cache-Control"] = "no-store"
    return response
