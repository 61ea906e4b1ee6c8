"""Request body limits enforced in the ASGI layer, before Django reads (and spools) a body.

Django's ASGI handler copies every request body into a temporary file before any view or
middleware runs, so a size check in a view comes too late: a 200 MB body on any URL is already
on disk. ``BodyLimitMiddleware`` sits in front of Django and:

* answers 413 at once when ``Content-Length`` is over the limit (the body is never read);
* counts the bytes of a body sent without ``Content-Length`` (chunked) and answers 413 as soon as
  they pass the limit, telling Django the client went away so it stops reading.

The limit depends on the URL and on the caller: the import upload URLs take
``IMPORT_MAX_UPLOAD_BYTES`` (plus the multipart overhead), every other URL
``SIMNET_MAX_BODY_BYTES``, and a caller with no valid session or API token
``SIMNET_ANONYMOUS_MAX_BODY_BYTES`` everywhere (a sign-in form is small). Credentials are only
looked up when the body may be larger than the anonymous limit. The reverse proxy in front
should refuse large bodies too (nginx ``client_max_body_size``, see the README).
"""

from __future__ import annotations

from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import Resolver404, resolve

from simnet.tenancy.models import ApiToken
from simnet.tenancy.secrets import hash_token

# Form fields and multipart boundaries add a little to the body on top of the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# URL names of the views that receive import files (the page's form and the API's create).
IMPORT_UPLOAD_URL_NAMES = frozenset({"import_create", "api_import-list"})


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def declared_length(scope: dict) -> int | None:
    """The request's Content-Length, or None when absent or unreadable (then the body is counted)."""
    raw = _header(scope, b"content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def url_limit(path: str) -> int:
    """The largest body an authenticated caller may send to ``path``."""
    try:
        name = resolve(path).url_name
    except Resolver404:
        name = None
    if name in IMPORT_UPLOAD_URL_NAMES:
        return settings.IMPORT_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
    return settings.SIMNET_MAX_BODY_BYTES


def _cookie(scope: dict, name: str) -> str | None:
    for part in (_header(scope, b"cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _bearer_token(scope: dict) -> str | None:
    scheme, _, value = (_header(scope, b"authorization") or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@sync_to_async  # thread-sensitive: the thread Django's own request cycle opens and closes connections in
def has_credential(scope: dict) -> bool:
    """True for a signed-in session or an API token that is not revoked (checked, not just present)."""
    token = _bearer_token(scope)
    if token and ApiToken.unscoped.filter(token_hash=hash_token(token), revoked_at__isnull=True).exists():
        return True
    session_key = _cookie(scope, settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return session.get(SESSION_KEY) is not None


class CallerLimit:
    """The body limit of one request: the anonymous limit until a larger body makes it look up the caller.

    The credential lookup runs at most once, and only for bodies over the anonymous limit, so
    ordinary page views and small forms cost no extra query.
    """

    def __init__(self, scope: dict) -> None:
        self.scope = scope
        self.anonymous = settings.SIMNET_ANONYMOUS_MAX_BODY_BYTES
        self._allowed: int | None = None

    async def allows(self, size: int) -> bool:
        if size <= self.anonymous:
            return True
        return size <= await self.allowed()

    async def allowed(self) -> int:
        if self._allowed is None:
            limit = url_limit(self.scope["path"])
            if limit > self.anonymous and not await has_credential(self.scope):
                limit = self.anonymous
            self._allowed = limit
        return self._allowed


async def send_too_large(send, limit: int) -> None:
    body = f"Request body too large: the limit for this request is {limit:,} bytes.\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """ASGI middleware for HTTP: refuse or cut off request bodies over the caller's limit (see module doc)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = CallerLimit(scope)
        declared = declared_length(scope)
        if declared is not None and not await limit.allows(declared):
            return await send_too_large(send, await limit.allowed())
        return await self.app(scope, _CountingReceive(receive, send, limit), send)


class _CountingReceive:
    """Passes body messages through while counting; past the limit it answers 413 and reports a disconnect."""

    def __init__(self, receive, send, limit: CallerLimit) -> None:
        self.receive, self.send, self.limit = receive, send, limit
        self.received = 0
        self.refused = False

    async def __call__(self) -> dict:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if not await self.limit.allows(self.received):
                self.refused = True
                await send_too_large(self.send, await self.limit.allowed())
                return {"type": "http.disconnect"}
        return message
