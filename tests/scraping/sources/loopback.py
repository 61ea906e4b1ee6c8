"""A scripted HTTP server on 127.0.0.1 for connector tests: real sockets, no external network.

Routes match a path and, optionally, query parameters (a value of None means "absent"); routes
added later take precedence, so a test can lay an error (``times=1``) over a working route.
Every request is recorded. ``Reply.truncate_at`` sends a Content-Length for the whole body but
only part of it, then closes the connection, like a connection dropped mid-response.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None  # raw body, used instead of ``json``
    headers: dict[str, str] = field(default_factory=dict)
    truncate_at: int | None = None

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.json).encode()


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Route:
    path: str
    reply: Reply
    query: dict[str, str | None]
    times: int | None  # None: unlimited

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if self.path != path or self.times == 0:
            return False
        return all(query.get(key) == value for key, value in self.query.items())


class LoopbackServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.unmatched: list[Recorded] = []
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval makes shutdown() return quickly at the end of each test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(
        self, path: str, reply: Reply, *, query: dict[str, str | None] | None = None, times: int | None = None
    ) -> None:
        with self._lock:
            self._routes.append(_Route(path, reply, dict(query or {}), times))

    def calls(self, path: str) -> list[Recorded]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _respond(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            for route in reversed(self._routes):
                if route.matches(request.path, request.query):
                    if route.times is not None:
                        route.times -= 1
                    return route.reply
            self.unmatched.append(request)
        return Reply(status=404, json={"error": f"no scripted route for {request.path}"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                request = Recorded(
                    method="GET",
                    path=url.path,
                    query=dict(parse_qsl(url.query, keep_blank_values=True)),
                    headers={key.lower(): value for key, value in self.headers.items()},
                )
                reply = server._respond(request)
                payload = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload if reply.truncate_at is None else payload[: reply.truncate_at])
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
