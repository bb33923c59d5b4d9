"""The Redis channel layer, with an inbox read shorter than the Redis socket timeout."""

import asyncio
from typing import Any

from channels_redis.core import RedisChannelLayer


class QuietSafeRedisChannelLayer(RedisChannelLayer):
    """channels_redis blocks on a consumer's inbox with a 5 s BZPOPMIN. Our Redis connections time out after
    2 s (so a dead Redis is noticed and the socket closed with 1013 instead of hanging), which made every
    subscription that heard nothing for 2 s fail and close, losing the events after it. A 1 s blocking read
    keeps the read inside the socket timeout; `receive` simply reads again.

    The short read exposed a second fault: now and then the cancellation of a closed socket's inbox read is
    swallowed inside redis-py, and the read loop would go on polling Redis for ever (one task and one
    connection leaked per closed socket; the 2 s timeout used to kill it). A task whose cancellation is
    pending stops at the next empty read instead."""

    brpop_timeout = 1

    # The signature is channels_redis's own.
    async def _brpop_with_clean(self, index: int, channel: str, timeout: float) -> Any:  # noqa: ASYNC109
        result = await super()._brpop_with_clean(index, channel, timeout)
        task = asyncio.current_task()
        if result is None and task is not None and task.cancelling():
            raise asyncio.CancelledError
        return result
