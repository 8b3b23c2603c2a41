"""SECURITY E5: per-IP limits on the public forms, counted in the shared cache.

A fixed window per clock hour is enough here: the point is to stop floods and guessing of
lookup codes, not to shape traffic. Counts live in Redis in production, so every web node
agrees. The report form counts accepted reports and refused attempts in buckets of their own
(the limits and why are in settings); two requests racing at the edge of a window may both
pass, which a limit of this kind can afford.

Issue 19: while Redis does not answer, the cache counts in each process's memory
(portal/cache_backend.py, which logs a warning) and every count here weighs
RATE_LIMIT_LOCAL_DIVISOR times: each process allows that fraction of each limit, so the
forms keep working and several processes together stay near the shared limit.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.client import client_address

HOUR = 3600


def client_ip(request) -> str:
    """The client's address as the trusted proxies report it (portal/client.py)."""
    return client_address(request) or "unknown"


def _cache_key(bucket: str, key: str, window_seconds: int) -> str:
    window = int(time.time()) // window_seconds
    return f"ratelimit:{bucket}:{key}:{window}"


def _weight() -> int:
    """How much one counted event weighs: more while the counts are this process's own."""
    return settings.RATE_LIMIT_LOCAL_DIVISOR if getattr(cache, "degraded", False) else 1


def rate_limit_count(*, bucket: str, key: str, window_seconds: int = HOUR) -> int:
    """Count one event in `bucket` for `key`; returns the count in the current window."""
    cache_key = _cache_key(bucket, key, window_seconds)
    if cache.add(cache_key, 1, timeout=window_seconds + 60):
        return _weight()
    try:
        return cache.incr(cache_key) * _weight()
    except ValueError:  # the key expired between add() and incr()
        cache.set(cache_key, 1, timeout=window_seconds + 60)
        return _weight()


def rate_limit_hit(*, bucket: str, key: str, limit: int, window_seconds: int = HOUR) -> bool:
    """Count one attempt; True when the caller is over `limit` in the current window."""
    return rate_limit_count(bucket=bucket, key=key, window_seconds=window_seconds) > limit


def rate_limit_reached(*, key: str, limits: dict[str, int], window_seconds: int = HOUR) -> str:
    """The first bucket of `limits` ({bucket: limit}) whose count for `key` has reached its
    limit in the current window, or "" when none has. Counts nothing (one cache read)."""
    keys = {bucket: _cache_key(bucket, key, window_seconds) for bucket in limits}
    counts = cache.get_many(keys.values())
    weight = _weight()
    for bucket, limit in limits.items():
        if counts.get(keys[bucket], 0) * weight >= limit:
            return bucket
    return ""


def window_ends_at(window_seconds: int = HOUR) -> dt.datetime:
    """When the current window ends and the counts start again (aware, UTC)."""
    end = (int(time.time()) // window_seconds + 1) * window_seconds
    return dt.datetime.fromtimestamp(end, tz=dt.UTC).astimezone(timezone.get_current_timezone())
