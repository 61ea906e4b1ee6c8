"""The web server: daphne, with request bodies capped before daphne spools them.

Run as ``python -m simnet.server`` with daphne's usual arguments (``scripts/serve.sh`` does).

daphne's Twisted request copies every body into a buffer, a temporary file past 100,000 bytes,
before the ASGI application (and so ``simnet.body_limits``) sees the request. Here the request
refuses a body over a hard cap as soon as its headers are in: a declared ``Content-Length`` over
the cap gets 413 and the connection is closed with nothing stored; a chunked body is cut off the
same way once its bytes pass the cap. The cap only looks at whether a credential is present
(the ASGI middleware, which checks it, stays the precise limit):

* no session cookie and no ``Authorization`` header: ``SIMNET_ANONYMOUS_MAX_BODY_BYTES``;
* otherwise the largest body the middleware allows anyone (an import upload).
"""

from __future__ import annotations

import functools
import logging

from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server
from django.conf import settings
from django.urls import reverse

logger = logging.getLogger(__name__)


@functools.cache
def credentialed_cap() -> int:
    """The largest body ``BodyLimitMiddleware`` lets a signed-in caller send to any URL."""
    from simnet.body_limits import url_limit  # needs Django set up: loading the application does it

    return max(url_limit(reverse("import_create")), settings.SIMNET_MAX_BODY_BYTES)


class BodyCappedRequest(WebRequest):
    """daphne's request, refusing a body over the cap instead of spooling it (see module doc)."""

    refused = False
    received = 0

    def gotLength(self, length: int | None) -> None:
        self.cap = self._cap()
        if length is not None and length > self.cap:
            return self._refuse()
        return super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return None
        self.received += len(data)
        if self.received > self.cap:
            return self._refuse()
        return super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if not self.refused:  # a refused chunked body may still end in the data already received
            super().requestReceived(command, path, version)

    def _cap(self) -> int:
        session = self.getCookie(settings.SESSION_COOKIE_NAME.encode())
        if session or self.getHeader(b"authorization"):
            return credentialed_cap()
        return settings.SIMNET_ANONYMOUS_MAX_BODY_BYTES

    def _refuse(self) -> None:
        """Answer 413 and close the connection: Twisted reads no more of it, the rest is dropped."""
        self.refused = True
        body = f"Request body too large: the limit for this request is {self.cap:,} bytes.\n".encode()
        head = (
            "HTTP/1.1 413 Content Too Large\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        logger.warning("refused a request body over %d bytes from %s", self.cap, self.getClientAddress())
        self.channel.transport.write(head.encode() + body)
        self.channel.loseConnection()


class BodyCappedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = BodyCappedRequest
        return protocol


class BodyCappedServer(Server):
    """daphne's server listening with ``BodyCappedHTTPFactory``.

    ``Server.run`` builds its ``HTTPFactory`` and listens with it at once, with no hook in
    between, so the attribute it assigns takes our factory instead.
    """

    @property
    def http_factory(self) -> HTTPFactory:
        return self._http_factory

    @http_factory.setter
    def http_factory(self, daphne_factory: HTTPFactory) -> None:
        self._http_factory = BodyCappedHTTPFactory(self)


class BodyCappedCommandLine(CommandLineInterface):
    server_class = BodyCappedServer


if __name__ == "__main__":
    BodyCappedCommandLine.entrypoint()
