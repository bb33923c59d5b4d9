"""Fixed-window rate limits counted in the cache (Redis when configured, so every process shares them).

When the cache cannot count (Redis down), guarded actions are refused rather than let through unlimited: a
sign-in that waits is better than a password guessed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

from learnify.core.exceptions import RateLimitedError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window_seconds: int


def _window_key(limit: Limit, identity: str, now: float) -> tuple[str, int]:
    window = int(now // limit.window_seconds)
    retry_after = limit.window_seconds - int(now % limit.window_seconds)
    # The identity is typed by whoever signs in (a username): hashed, it cannot carry spaces, control
    # characters or length into the key, which memcached refuses and Redis stores at any size.
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"rl:{limit.scope}:{digest}:{window}", retry_after


def hit(limit: Limit, identity: str, *, cost: int = 1) -> None:
    """Count `cost` attempts for `identity`; raise RateLimitedError once the window's limit is passed."""
    key, retry_after = _window_key(limit, identity, time.time())
    try:
        # add() is atomic: only the first caller of a window creates the counter with its expiry.
        cache.add(key, 0, timeout=limit.window_seconds + 1)
        count = cache.incr(key, cost)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, cost, timeout=limit.window_seconds + 1)
        count = cost
    except Exception as exc:
        logger.error("rate limit %s cannot be counted: %r", limit.scope, exc)
        raise RateLimitedError(
            "Sign-in is paused for a moment. Please try again soon.", retry_after=30
        ) from exc
    if count > limit.limit:
        raise RateLimitedError(retry_after=retry_after)


def is_limited(limit: Limit, identity: str) -> bool:
    """Return whether `identity` has used up the current window (without counting an attempt)."""
    key, _ = _window_key(limit, identity, time.time())
    try:
        return (cache.get(key) or 0) >= limit.limit
    except Exception:
        return True


def reset(limit: Limit, identity: str) -> None:
    key, _ = _window_key(limit, identity, time.time())
    try:
        cache.delete(key)
    except Exception:
        logger.warning("rate limit %s could not be reset", limit.scope, exc_info=True)
