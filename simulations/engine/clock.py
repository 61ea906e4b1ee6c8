"""Simulated time: a start instant and a fixed length per step, both injected (never "now")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # a Monday morning, fixed for reproducibility


@dataclass(frozen=True)
class SimClock:
    start: datetime = DEFAULT_START
    minutes_per_step: int = 60

    def __post_init__(self) -> None:
        if self.minutes_per_step < 1:
            raise ValueError("minutes_per_step must be at least 1")

    def at(self, step: int) -> datetime:
        """The simulated instant at which ``step`` begins."""
        return self.start + timedelta(minutes=self.minutes_per_step * step)

    def hour(self, step: int) -> int:
        return self.at(step).hour

    def label(self, step: int) -> str:
        """Short human form used in prompts and timelines, e.g. ``Mon 09:00``."""
        return self.at(step).strftime("%a %H:%M")
