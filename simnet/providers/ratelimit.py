"""The rate-limit store every worker of every machine shares: Django's cache.

In scale-out that cache is Redis; otherwise the database cache (``settings.CACHES``), which the
web and worker processes share too. A bucket is one number per key (``simnet.llm.ratelimit``),
updated under a short lock taken with ``cache.add`` (atomic on Redis, the database and locmem
caches), so two workers never reserve the same slot.
"""

from __future__ import annotations

import time
import uuid

from django.core.cache import cache

from simnet.llm.ratelimit import RateLimiter, RateLimits, reservation

LOCK_TIMEOUT_S = 5  # a worker killed while holding the lock blocks its key this long at most
LOCK_POLL_S = 0.005


class CacheRateStore:
    def __init__(self, prefix: str = "simnet:ratelimit") -> None:
        self.prefix = prefix

    def reserve(self, key: str, amount: float, *, interval_s: float, window_s: float, now: float) -> float:
        arrival_key = f"{self.prefix}:{key}"
        with _CacheLock(f"{arrival_key}:lock"):
            arrival, start = reservation(cache.get(arrival_key), now, amount, interval_s, window_s)
            # once the bucket has refilled, the key says nothing more: let it expire
            cache.set(arrival_key, arrival, timeout=max(1, int(arrival - now + window_s) + 1))
        return start

    def pause(self, key: str, until: float) -> None:
        pause_key = f"{self.prefix}:{key}"
        with _CacheLock(f"{pause_key}:lock"):
            if until > (cache.get(pause_key) or 0.0):
                cache.set(pause_key, until, timeout=max(1, int(until - time.time()) + 1))

    def paused_until(self, key: str) -> float:
        return cache.get(f"{self.prefix}:{key}") or 0.0


class _CacheLock:
    def __init__(self, key: str) -> None:
        self.key = key
        self.token = uuid.uuid4().hex

    def __enter__(self) -> None:
        while not cache.add(self.key, self.token, timeout=LOCK_TIMEOUT_S):
            time.sleep(LOCK_POLL_S)

    def __exit__(self, *exc: object) -> None:
        if cache.get(self.key) == self.token:  # past its timeout the lock may be someone else's
            cache.delete(self.key)


def limiter_for(organization_id: int, config_id: int | None, limits: RateLimits) -> RateLimiter:
    """The limiter of one organization's provider configuration, shared by all its workers."""
    return RateLimiter(CacheRateStore(), f"org{organization_id}:provider{config_id}", limits)
