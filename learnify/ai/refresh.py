"""Recommendation refreshes after the attempt commits, on a few threads of the web process.

A refresh is pandas and xgboost for one child, about 100 ms of CPU: run inside `submitQuizAttempt` it was most
of the answer's time (docs/performance.md). Here the answer goes back first. A child already waiting for a
refresh is not queued twice, so a burst of attempts costs one refresh per child, not one per attempt. The
pending mark in the database (PendingRecommendationRefresh) outlives this process; nothing is lost to a crash.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from learnify.ai import services
from learnify.core.metrics import RECOMMENDATION_REFRESHES

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_queued: set[int] = set()
_running: set[concurrent.futures.Future[None]] = set()
_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, settings.RECOMMENDATION_REFRESH_THREADS),
            thread_name_prefix="recommendation-refresh",
        )
    return _executor


def schedule(child_id: int) -> None:
    """Refresh the child's recommendations soon, unless a refresh of theirs is already waiting to start."""
    with _lock:
        if child_id in _queued:
            RECOMMENDATION_REFRESHES.labels(outcome="coalesced").inc()
            return
        _queued.add(child_id)
        future = _get_executor().submit(_refresh, child_id)
        _running.add(future)
    future.add_done_callback(_forget)


def _forget(future: concurrent.futures.Future[None]) -> None:
    with _lock:
        _running.discard(future)


def _refresh(child_id: int) -> None:
    # Leaving the queue before the work starts: an attempt committed from here on schedules another refresh,
    # which sees it.
    with _lock:
        _queued.discard(child_id)
    close_old_connections()
    try:
        if services.refresh_pending_recommendations(child_id=child_id):
            RECOMMENDATION_REFRESHES.labels(outcome="done").inc()
    except Exception:
        # The pending mark stays; the next attempt or `refresh_pending_recommendations` tries again.
        RECOMMENDATION_REFRESHES.labels(outcome="failed").inc()
        logger.exception("refreshing the recommendations of child %s failed", child_id)
    finally:
        connection.close()


def wait_until_idle(timeout: float = 30) -> bool:
    """Wait for the refreshes scheduled so far (tests, the demo, shutdown); return whether all finished."""
    with _lock:
        running = set(_running)
    _, not_done = concurrent.futures.wait(running, timeout=timeout)
    return not not_done
