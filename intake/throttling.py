"""SECURITY E5: per-IP limits on the public forms, counted in the shared cache.

A fixed window per hour is enough here: the point is to stop floods and guessing of lookup
codes, not to shape traffic. Counts live in Redis in production, so every web node agrees.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from portal.client import client_address


def client_ip(request) -> str:
    """The client's address as the trusted proxies report it (portal/client.py)."""
    return client_address(request) or "unknown"


def rate_limit_hit(*, bucket: str, key: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one attempt; True when the caller is over `limit` in the current window."""
    window = int(time.time()) // window_seconds
    cache_key = f"ratelimit:{bucket}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 60):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(cache_key, 1, timeout=window_seconds + 60)
        count = 1
    return count > limit
