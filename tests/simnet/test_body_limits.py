"""Request bodies over their limit are refused in the ASGI layer, before Django reads (and spools) them.

The tests drive the real ``simnet.asgi.application`` with an HTTP scope and count how many body
messages the application pulled: a refusal by ``Content-Length`` must pull none, a chunked body
is cut off just past the limit, and every refusal has a positive control that gets through.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from simnet.asgi import application

pytestmark = pytest.mark.django_db

CHUNK = 16 * 1024


@dataclass
class Exchange:
    """What one request through the ASGI application did."""

    statuses: list[int] = field(default_factory=list)
    body_messages_read: int = 0

    @property
    def status(self) -> int:
        assert len(self.statuses) == 1, f"exactly one response, got {self.statuses}"
        return self.statuses[0]


def request(
    path: str, body: bytes, *, declare_length: bool = True, cookie: str = "", token: str = ""
) -> Exchange:
    """POST ``body`` to ``path`` through the ASGI application in ``CHUNK``-sized messages."""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/octet-stream")]
    if declare_length:
        headers.append((b"content-length", str(len(body)).encode()))
    else:
        headers.append((b"transfer-encoding", b"chunked"))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    chunks = [body[start : start + CHUNK] for start in range(0, len(body), CHUNK)] or [b""]
    exchange = Exchange()

    async def drive() -> None:
        done = asyncio.Event()

        async def receive() -> dict:
            if exchange.body_messages_read < len(chunks):
                exchange.body_messages_read += 1
                more = exchange.body_messages_read < len(chunks)
                return {
                    "type": "http.request",
                    "body": chunks[exchange.body_messages_read - 1],
                    "more_body": more,
                }
            await done.wait()  # the client stays connected until its answer is complete
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                exchange.statuses.append(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        await asyncio.wait_for(application(scope, receive, send), timeout=30)

    async_to_sync(drive)()
    return exchange


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: requests must not close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def session_cookie(client) -> str:
    return (
        f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    )


@pytest.fixture
def small_limits(settings):
    settings.SIMNET_ANONYMOUS_MAX_BODY_BYTES = 4 * 1024
    settings.SIMNET_MAX_BODY_BYTES = 64 * 1024
    settings.IMPORT_MAX_UPLOAD_BYTES = 256 * 1024
    return settings


def test_an_oversized_content_length_is_refused_before_the_body_is_read(small_limits, member_client):
    cookie = session_cookie(member_client)

    refused = request("/panels/new/", b"x" * (65 * 1024), cookie=cookie)
    accepted = request("/panels/new/", b"x" * (60 * 1024), cookie=cookie)  # positive control

    assert refused.status == 413
    assert refused.body_messages_read == 0, "the application never read the refused body"
    assert accepted.status != 413
    assert accepted.body_messages_read == len(range(0, 60 * 1024, CHUNK)), "the accepted body was read whole"


def test_import_upload_urls_take_the_import_limit_and_other_urls_the_small_default(
    small_limits, member_client, api_token_for, org_a
):
    cookie = session_cookie(member_client)
    token = api_token_for(org_a).raw_token
    upload = b"x" * (200 * 1024)  # over SIMNET_MAX_BODY_BYTES, under IMPORT_MAX_UPLOAD_BYTES

    assert request("/imports/new/", upload, cookie=cookie).status != 413
    assert request("/api/v1/imports/", upload, token=token).status != 413
    assert request("/panels/new/", upload, cookie=cookie).status == 413
    assert request("/api/v1/panels/", upload, token=token).status == 413
    too_big = request("/imports/new/", b"x" * (400 * 1024), cookie=cookie)
    assert (too_big.status, too_big.body_messages_read) == (413, 0)


def test_an_anonymous_big_post_is_refused_unread_on_any_url(small_limits, member_client):
    body = b"x" * (8 * 1024)  # over the anonymous limit, far under the others

    for path in ("/login/", "/imports/new/", "/api/v1/imports/", "/no/such/page/"):
        anonymous = request(path, body)
        assert (anonymous.status, anonymous.body_messages_read) == (413, 0), path
    forged = request("/imports/new/", body, cookie=f"{django_settings.SESSION_COOKIE_NAME}=made-up")
    assert forged.status == 413, "a cookie that names no session is anonymous"
    bad_token = request("/api/v1/imports/", body, token="snt_not-a-real-token")
    assert bad_token.status == 413, "a token that does not exist is anonymous"
    assert request("/login/", b"x" * 1024).status != 413, "a small anonymous form gets through"
    assert request("/imports/new/", body, cookie=session_cookie(member_client)).status != 413


def test_a_chunked_body_without_content_length_is_counted_and_cut_off(small_limits, member_client):
    huge = b"x" * (50 * CHUNK)

    anonymous = request("/login/", huge, declare_length=False)
    signed_in = request("/panels/new/", huge, declare_length=False, cookie=session_cookie(member_client))
    small = request("/login/", b"x" * 1024, declare_length=False)  # positive control

    assert anonymous.status == 413
    assert anonymous.body_messages_read == 1, "stopped at the first chunk past the anonymous limit"
    assert signed_in.status == 413
    assert signed_in.body_messages_read == 64 * 1024 // CHUNK + 1, "stopped just past SIMNET_MAX_BODY_BYTES"
    assert small.status != 413
