from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http_loopback import LoopbackServer


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    yield server
    server.stop()
