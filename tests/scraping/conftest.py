"""Fixtures for connector and import tests: a loopback server, a clock that sleeps instantly, and
(for every test here) media in a temp dir and fast HTTP retries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.scraping.sources.loopback import LoopbackServer


@pytest.fixture(autouse=True)
def _import_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_HTTP = {"timeout_seconds": 5.0, "backoff_seconds": 0.0, "max_backoff_seconds": 0.0}


class FakeClock:
    """Injected as both ``clock`` and ``sleep``: sleeping moves time forward instantly."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
