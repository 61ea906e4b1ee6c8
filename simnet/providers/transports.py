"""The guarded async transports of a customer's model server (``ProviderConfig.base_url``).

Providers call their servers from an event loop (``simnet.llm.batching``), so these are the
async twins of the webhooks' ``PinnedTransport``: every request's URL is checked again, then
connected to the address that was checked, the Host header and TLS keeping the name. A refused
address (DNS changed since the URL was saved) is a ``ProviderError``: the run fails with a
sentence saying why instead of retrying a server it must not reach.
"""

from __future__ import annotations

import httpx
import httpx2

from simnet.llm.base import ProviderError
from simnet.llm.batching import shared_ssl_context
from simnet.webhooks.addresses import Resolver, UnsafeUrl, check_outbound_url


def _pin(request, *, kind: str, allow_loopback: bool, resolve: Resolver) -> None:
    """Point ``request`` (httpx or httpx2) at the address its URL was checked to resolve to."""
    try:
        target = check_outbound_url(str(request.url), allow_loopback=allow_loopback, resolve=resolve)
    except UnsafeUrl as refused:
        raise ProviderError(f"{kind}: {refused}") from None
    request.url = request.url.copy_with(host=target.addresses[0])
    request.extensions = {**request.extensions, "sni_hostname": target.host}


class ProviderTransport(httpx.AsyncHTTPTransport):
    """For an OpenAI-compatible server (plain httpx)."""

    def __init__(self, *, allow_loopback: bool, resolve: Resolver) -> None:
        super().__init__(verify=shared_ssl_context())
        self._allow_loopback = allow_loopback
        self._resolve = resolve

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _pin(request, kind="openai_compat", allow_loopback=self._allow_loopback, resolve=self._resolve)
        return await super().handle_async_request(request)


class AnthropicTransport(httpx2.AsyncHTTPTransport):
    """For an Anthropic-compatible server: the anthropic SDK speaks httpx2 (a fork of httpx with
    the same API) and refuses httpx objects."""

    def __init__(self, *, allow_loopback: bool, resolve: Resolver) -> None:
        super().__init__(verify=shared_ssl_context())
        self._allow_loopback = allow_loopback
        self._resolve = resolve

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        _pin(request, kind="anthropic", allow_loopback=self._allow_loopback, resolve=self._resolve)
        return await super().handle_async_request(request)
