"""Requests and tokens per minute for one provider account, shared by every worker that uses it.

The limit is a token bucket (the generic cell rate algorithm, GCRA), the way Anthropic and
OpenAI meter their own limits: a full minute's allowance may go at once, then it refills at
``limit / minute``. Each call *reserves* its share and learns when it may start, so waiting calls
queue in order instead of polling. The state per key is one number (the "theoretical arrival
time"), which is what lets a shared store (``simnet.providers.ratelimit``, Django's cache) keep
one bucket for all the workers of all machines; ``InMemoryRateStore`` serves tests and the CLI.

A 429 with ``retry-after`` pauses the whole key in the store, so every worker waits, not only
the call that got it. Token costs are estimated before the call (prompt plus the output budget,
counted pessimistically), so the limiter errs on the side of waiting.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from simnet.llm.tokens import count_tokens


@dataclass(frozen=True)
class RateLimits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    window_s: float = 60.0  # the "minute" (tests shorten it to keep real waits short)

    def __post_init__(self) -> None:
        for limit in (self.requests_per_minute, self.tokens_per_minute):
            if limit is not None and limit < 1:
                raise ValueError("a rate limit must be at least 1 per minute (or None for no limit)")


def reservation(
    arrival: float | None, now: float, amount: float, interval_s: float, window_s: float
) -> tuple[float, float]:
    """GCRA: the key's new theoretical arrival time and when ``amount`` units may start.

    ``interval_s`` is the time one unit takes to refill; the bucket holds ``window_s`` of them."""
    new_arrival = max(arrival if arrival is not None else now, now) + amount * interval_s
    return new_arrival, max(now, new_arrival - window_s)


class RateStore(Protocol):
    """Where buckets and pauses live; every method is atomic for its key."""

    def reserve(self, key: str, amount: float, *, interval_s: float, window_s: float, now: float) -> float:
        """Reserve ``amount`` units of ``key``'s bucket; returns when they may be used."""
        ...

    def pause(self, key: str, until: float) -> None:
        """No call under ``key`` starts before ``until`` (a later pause already recorded wins)."""
        ...

    def paused_until(self, key: str) -> float:
        """The end of ``key``'s pause (0 when none)."""
        ...


class InMemoryRateStore:
    """One process's buckets: tests, the CLI, and several provider instances in one process."""

    def __init__(self) -> None:
        self._arrivals: dict[str, float] = {}
        self._pauses: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, amount: float, *, interval_s: float, window_s: float, now: float) -> float:
        with self._lock:
            self._arrivals[key], start = reservation(
                self._arrivals.get(key), now, amount, interval_s, window_s
            )
        return start

    def pause(self, key: str, until: float) -> None:
        with self._lock:
            self._pauses[key] = max(self._pauses.get(key, 0.0), until)

    def paused_until(self, key: str) -> float:
        with self._lock:
            return self._pauses.get(key, 0.0)


def request_tokens(system: str, user: str, schema_json: str, max_tokens: int) -> int:
    """What one call may count against a tokens-per-minute limit: its prompt and output budget."""
    return count_tokens(system) + count_tokens(user) + count_tokens(schema_json) + max_tokens


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` (OpenAI) or ``Retry-After`` in seconds; an HTTP date counts as absent."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(float(headers[name]) * scale, 0.0)
        except (KeyError, ValueError):
            continue
    return None


PAUSE_FRESH_S = 1.0  # a pause another worker records is seen within this long


class RateLimiter:
    """The limits of one scope (an organization's provider configuration) over a shared store.

    Store calls are blocking (a cache or database round trip), so they run on a thread and never
    stall the event loop that carries the other calls. Every call checks the scope's pause, so
    the pause read is reused for ``PAUSE_FRESH_S`` instead of costing a round trip a call."""

    def __init__(
        self,
        store: RateStore,
        scope: str,
        limits: RateLimits | None = None,
        *,
        clock: Callable[[], float] = time.time,  # wall time: the store is shared between machines
    ) -> None:
        self.store = store
        self.scope = scope
        self.limits = limits if limits is not None else RateLimits()
        self._clock = clock
        self._pause_end = 0.0
        self._pause_read_at = -math.inf

    async def acquire(self, tokens: int) -> None:
        """Wait until one call costing ``tokens`` may start, and count it."""
        starts = [self._clock()]
        window = self.limits.window_s
        if self.limits.requests_per_minute:
            interval = window / self.limits.requests_per_minute
            starts.append(await self._reserve("requests", 1, interval))
        if self.limits.tokens_per_minute:
            interval = window / self.limits.tokens_per_minute
            # a call larger than the whole allowance waits one full window, never forever
            starts.append(await self._reserve("tokens", min(tokens, self.limits.tokens_per_minute), interval))
        await self._sleep_until(max(starts))

    async def wait_while_paused(self) -> None:
        await self._sleep_until(self._clock())

    async def pause(self, seconds: float) -> None:
        """Every call of this scope, in every worker, waits ``seconds`` from now (a 429's retry-after)."""
        until = self._clock() + seconds
        self._pause_end = max(self._pause_end, until)
        await asyncio.to_thread(self.store.pause, self._key("pause"), until)

    async def _paused_until(self) -> float:
        now = self._clock()
        if now - self._pause_read_at >= PAUSE_FRESH_S:
            self._pause_read_at = now
            self._pause_end = max(
                self._pause_end, await asyncio.to_thread(self.store.paused_until, self._key("pause"))
            )
        return self._pause_end

    async def _reserve(self, dimension: str, amount: float, interval_s: float) -> float:
        return await asyncio.to_thread(
            self.store.reserve,
            self._key(dimension),
            amount,
            interval_s=interval_s,
            window_s=self.limits.window_s,
            now=self._clock(),
        )

    async def _sleep_until(self, start: float) -> None:
        """Sleep to ``start``, then as long as a pause recorded meanwhile (by any worker) lasts."""
        while True:
            until = max(start, await self._paused_until())
            delay = until - self._clock()
            if delay <= 0:
                return
            await asyncio.sleep(delay)
            start = until

    def _key(self, dimension: str) -> str:
        return f"{self.scope}:{dimension}"
