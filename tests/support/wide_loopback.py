"""The loopback server for tests that send many calls at once (import ``busy_loopback`` to use it).

The default listen backlog (5) drops the connections beyond it, whose retry a second later would
pass for slowness; and with Nagle on, a reply written in two parts waits 40 ms for a delayed ACK.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import http_loopback
from tests.support.http_loopback import LoopbackServer


@pytest.fixture
def busy_loopback(monkeypatch) -> Iterator[LoopbackServer]:
    monkeypatch.setattr(http_loopback.ThreadingHTTPServer, "request_queue_size", 128)
    monkeypatch.setattr(http_loopback.BaseHTTPRequestHandler, "disable_nagle_algorithm", True)
    server = LoopbackServer().start()
    yield server
    server.stop()
