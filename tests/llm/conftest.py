from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.loopback import LoopbackServer


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    yield server
    server.stop()
