"""The shared cache that survives its Redis going away (issue 19).

Production keeps the cache in Redis (REDIS_URL) so that every web node sees the same rate-limit
counts, page cache and working-day calendar version. When Redis does not answer (down,
unreachable, restarting), this backend does not fail the request: it logs a warning and serves
the call from a cache in this process's memory, as `make run` does without Redis, and
`degraded` is True. It tries Redis again after RETRY_SECONDS, so a dead Redis costs one
connection timeout (settings: half a second) per process every few seconds, not one per call.

What each caller does while degraded: the public forms' rate limits count per process and
allow only a fraction of each limit (intake/throttling.py, RATE_LIMIT_LOCAL_DIVISOR); the page
cache and the calendar version are per process (each bounded by its own timeout); the login
lockout never lived here (it is a database row, backoffice/services/auth.py).
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("portal.cache")

RETRY_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class FailoverRedisCache(BaseCache):
    def __init__(self, server, params):
        super().__init__(params)
        self._redis = RedisCache(server, params)
        local = {key: value for key, value in params.items() if key != "OPTIONS"}
        # One store per process and Redis address, shared by the threads (each has its own
        # cache object: django.core.cache.caches is per thread).
        self._local = LocMemCache(f"portal-failover:{server}", local)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, method: str, *args, **kwargs):
        if not self.degraded:
            try:
                return getattr(self._redis, method)(*args, **kwargs)
            except UNREACHABLE as exc:
                with self._lock:
                    first = not self.degraded
                    self._down_until = time.monotonic() + RETRY_SECONDS
                if first:
                    log.warning(
                        "Redis unreachable (%s: %s); cache and rate limits are kept in this "
                        "process, rate limits at a stricter local level, until it answers",
                        type(exc).__name__,
                        exc,
                    )
        return getattr(self._local, method)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def clear(self):
        self._local.clear()
        return self._call("clear")

    def close(self, **kwargs):
        self._redis.close(**kwargs)
