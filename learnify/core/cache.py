"""Cache access that survives a cache that is down: a miss, logged, never a failed request."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except Exception:
        logger.warning("cache read of %s failed; treating it as a miss", key, exc_info=True)
        return default


def cache_set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache write of %s failed", key, exc_info=True)
