"""The Redis channel layer, tuned so an open socket's endless read never outlasts the Redis socket timeout."""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer


class RedisChannelLayer(BaseRedisChannelLayer):
    """channels_redis' layer with a 1 s BZPOPMIN instead of 5 s.

    Every open websocket waits on its inbox with BZPOPMIN in a loop. A wait longer than the connection's
    `socket_timeout` (2 s in settings, so a hung Redis fails writes fast) raised TimeoutError on every quiet
    socket and closed its subscriptions after two seconds of silence. A shorter wait returns empty and loops.
    """

    brpop_timeout = 1
