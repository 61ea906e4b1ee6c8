"""A fixed clock for tests: every run starts at the same simulated moment."""

from __future__ import annotations

from datetime import UTC, datetime

from simulations.engine.clock import SimClock

FIXED_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def fixed_clock(minutes_per_step: int = 60) -> SimClock:
    return SimClock(FIXED_START, minutes_per_step)
