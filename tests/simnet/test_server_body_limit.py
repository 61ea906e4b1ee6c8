"""The web server (``python -m simnet.server``) refuses an oversized body before daphne spools it.

daphne's Twisted request writes a body over 100,000 bytes to a temporary file before the ASGI
application runs. The tests start the real server with ``TMPDIR`` pointing at an empty folder
and look at the files the server process holds open there: Python's temporary files are
unlinked at once, so they show up only in ``/proc/<pid>/fd``, never in a folder listing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from simnet.server import BodyCappedHTTPFactory, BodyCappedRequest, BodyCappedServer
from tests.support.processes import free_port, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads open files from /proc"),
]

DECLARED = 200 * 1024 * 1024  # far over the anonymous limit, under the import limit


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    spool: Path

    def spooled_files(self) -> list[str]:
        """The files under the server's TMPDIR that the server process has open."""
        targets = []
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            try:
                targets.append(os.readlink(fd))
            except FileNotFoundError:  # closed while we looked
                continue
        return [target for target in targets if target.startswith(f"{self.spool}/")]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server for the module's tests (preparing its database is the slow part)."""
    tmp_path = tmp_path_factory.mktemp("server")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}"}
    env.pop("REDIS_URL", None)
    for command in (["migrate", "--no-input", "-v0"], ["createcachetable"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env, check=True, timeout=180
        )
    spool, port = tmp_path / "spool", free_port()
    spool.mkdir()
    server = [sys.executable, "-m", "simnet.server"]
    command = [*server, "-b", "127.0.0.1", "-p", str(port), "simnet.asgi:application"]
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env={**env, "TMPDIR": str(spool)}, stdout=log, stderr=log
        )
    try:
        wait_for(lambda: process.poll() is not None or _listening(port), 60, "the server to listen")
        assert process.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
        yield Served(process, port, spool)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


def _answer(sock: socket.socket, timeout: float = 5) -> bytes:
    """What the server sends until it closes the connection, or until ``timeout`` passes."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    return received


def _status(answer: bytes) -> int | None:
    parts = answer.split(b" ", 2)
    return int(parts[1]) if answer.startswith(b"HTTP/") and len(parts) > 1 else None


def test_an_anonymous_oversized_content_length_gets_413_and_nothing_is_spooled(served):
    with served.connect() as anonymous:
        anonymous.sendall(_head("/login/", f"Content-Length: {DECLARED}") + b"abc")
        started = time.monotonic()
        answer = _answer(anonymous)
        elapsed = time.monotonic() - started
        spooled = served.spooled_files()  # while the client is still connected

    assert spooled == [], "the refused body was never written to a temporary file"
    assert _status(answer) == 413, answer[:200]
    assert elapsed < 2, "answered without waiting for the body"


def test_a_credential_lets_the_body_through_to_the_precise_check(served):
    """Positive control: the same body with a credential is received (and spooled) by daphne.

    The server only sees that a credential is present; the ASGI middleware checks it later.
    """
    with served.connect() as signed_in:
        signed_in.sendall(_head("/login/", f"Content-Length: {DECLARED}", "Authorization: Bearer x") + b"abc")
        spooled = wait_for(served.spooled_files, 10, "daphne to spool the body")

    assert len(spooled) == 1
    wait_for(lambda: not served.spooled_files(), 10, "daphne to drop the body of the closed connection")


def test_a_small_anonymous_post_is_answered_normally(served):
    with served.connect() as anonymous:
        anonymous.sendall(_head("/login/", "Content-Length: 3", "Connection: close") + b"a=b")
        answer = _answer(anonymous, timeout=30)

    assert _status(answer) in (200, 403), answer[:200]  # 403: no CSRF cookie; never 413


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_an_anonymous_chunked_body_is_cut_off_past_the_limit(served):
    piece = b"x" * 16 * 1024
    pieces = settings.SIMNET_ANONYMOUS_MAX_BODY_BYTES // len(piece) + 1
    with served.connect() as anonymous:
        anonymous.sendall(_head("/login/", "Transfer-Encoding: chunked"))
        for _ in range(pieces):  # the body never ends: only a cut-off answers
            anonymous.sendall(_chunk(piece))
        answer = _answer(anonymous)
    with served.connect() as small:  # positive control
        small.sendall(_head("/login/", "Transfer-Encoding: chunked", "Connection: close"))
        small.sendall(_chunk(b"a=b") + b"0\r\n\r\n")
        small_answer = _answer(small, timeout=30)

    assert _status(answer) == 413, answer[:200]
    assert _status(small_answer) in (200, 403), small_answer[:200]


def test_a_cut_off_chunked_body_that_ends_in_the_same_read_never_reaches_the_application(monkeypatch):
    """Over loopback the end of such a body arrives in a later read, so this drives Twisted's
    channel in-process with the whole request in one read."""
    started = []
    monkeypatch.setattr(BodyCappedRequest, "process", lambda request: started.append(request))
    server = BodyCappedServer(application=None, endpoints=["tcp:port=0"])
    server.connections = {}  # as Server.run sets it
    channel = BodyCappedHTTPFactory(server).buildProtocol(None)
    transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50000))
    channel.makeConnection(transport)
    piece = b"x" * 16 * 1024
    pieces = settings.SIMNET_ANONYMOUS_MAX_BODY_BYTES // len(piece) + 1
    body = b"".join(_chunk(piece) for _ in range(pieces))

    channel.dataReceived(_head("/login/", "Transfer-Encoding: chunked") + body + b"0\r\n\r\n")
    assert (_status(transport.value()), transport.disconnecting, started) == (413, True, [])

    small = BodyCappedHTTPFactory(server).buildProtocol(None)  # positive control
    small.makeConnection(StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50001)))
    small.dataReceived(_head("/login/", "Transfer-Encoding: chunked") + _chunk(b"a=b") + b"0\r\n\r\n")
    assert len(started) == 1
