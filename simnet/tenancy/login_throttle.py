"""Counting failed sign-ins and locking an email or a client address after too many.

Counters and locks live in the Django cache (the database cache by default, Redis with
REDIS_URL), so every web process sees the same ones. Failures count per email (whether or
not an account has it, so a lock says nothing about which emails exist) and per client
address. A lock lasts LOGIN_LOCKOUT_SECONDS whatever happens meanwhile: even the right
password is refused until it expires, which is what stops guessing.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "login-throttle"
clock = time.time  # epoch seconds; tests move it forward to expire a lock


def _account_key(email: str) -> str:
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()
    return f"{KEY_PREFIX}:account:{digest}"


def _address_key(ip: str) -> str:
    return f"{KEY_PREFIX}:address:{ip}"


def _counters(email: str, ip: str | None) -> list[tuple[str, int]]:
    """Each counter this attempt belongs to, with the number of failures that locks it."""
    counters = [(_account_key(email), settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)]
    if ip:
        counters.append((_address_key(ip), settings.LOGIN_MAX_FAILURES_PER_ADDRESS))
    return counters


def _lock_key(counter_key: str) -> str:
    return f"{counter_key}:locked-until"


def locked_until(*, email: str, ip: str | None) -> float | None:
    """When the lock on this email or address ends (epoch seconds), or None when neither is locked."""
    ends = [cache.get(_lock_key(key)) for key, _ in _counters(email, ip)]
    ends = [end for end in ends if end is not None and end > clock()]
    return max(ends) if ends else None


def minutes_left(until: float) -> int:
    return max(1, math.ceil((until - clock()) / 60))


def record_failure(*, email: str, ip: str | None) -> None:
    """Count a failed sign-in; the failure that reaches a limit locks that email or address."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    for key, limit in _counters(email, ip):
        if _increment(key, window) >= limit:
            cache.set(_lock_key(key), clock() + window, timeout=window)
            cache.delete(key)


def record_success(*, email: str) -> None:
    """A right password forgets the account's earlier failures (never the address's)."""
    cache.delete(_account_key(email))


def _increment(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)  # starts the window; no-op when it already runs
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window)
        return 1
