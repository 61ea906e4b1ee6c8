"""Where the server may send requests a customer chose: http(s) URLs whose every resolved address is public.

One guard for every customer-given URL: webhook endpoints and the ``base_url`` of an
OpenAI-compatible provider. Checked when the URL is saved *and* before each request (DNS can
change), and the request then connects to the address that was checked (``transport`` for
webhooks, ``PinnedTransport`` for httpx clients), so a name that re-resolves to 127.0.0.1
between check and connect cannot reach internal services. The caller says whether loopback
is allowed (development only).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


class UnsafeUrl(Exception):
    """The URL may not be requested; ``str(exc)`` says why, for people."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to ``addresses[0]``, present ``host`` in Host and TLS SNI."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    addresses: tuple[str, ...]


def _why_not_public(ip: Address) -> str | None:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


def _forms_of(ip: Address) -> list[Address]:
    """The address plus any IPv4 address it carries (mapped, 6to4, Teredo), which is where packets go."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return [ip.ipv4_mapped]
        embedded = [ip.sixtofour] if ip.sixtofour is not None else []
        if ip.teredo is not None:
            embedded.append(ip.teredo[1])
        return [ip, *embedded]
    return [ip]


def address_problem(address: str, *, allow_loopback: bool) -> str | None:
    """Why requests may not go to ``address``, or None when they may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    for form in _forms_of(ip):
        kind = _why_not_public(form)
        if kind == "loopback" and allow_loopback:
            continue
        if kind is not None:
            return f"{address} is a {kind} address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in resolver order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host} could not be resolved.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_outbound_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL, else ``UnsafeUrl``."""
    if not url or url != url.strip() or not url.isprintable():
        raise UnsafeUrl("Enter a URL without spaces or control characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("The URL must start with https:// or http://.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(
            "Leave credentials out of the URL: webhooks are signed, and a provider's key has its own field."
        )
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is not valid.") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def check_outbound_url(url: str, *, allow_loopback: bool, resolve: Resolver = resolve_host) -> Target:
    """The checked ``Target`` for ``url``; refuses it when any address it resolves to is not public."""
    scheme, host, port, path = parse_outbound_url(url)
    addresses = tuple(resolve(host, port))
    if not addresses:
        raise UnsafeUrl(f"The host {host} has no addresses.")
    for address in addresses:
        problem = address_problem(address, allow_loopback=allow_loopback)
        if problem is not None:
            raise UnsafeUrl(f"{host} resolves to a non-public address ({problem}); use a public URL.")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that checks every request's URL and connects to the address it checked.

    The Host header and TLS (SNI and certificate) keep the URL's host name. Give the client
    ``trust_env=False`` so that no proxy from the environment connects in its place.
    """

    def __init__(self, *, allow_loopback: bool, resolve: Resolver = resolve_host, **options) -> None:
        super().__init__(**options)
        self._allow_loopback = allow_loopback
        self._resolve = resolve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = check_outbound_url(
            str(request.url), allow_loopback=self._allow_loopback, resolve=self._resolve
        )
        request.url = request.url.copy_with(host=target.addresses[0])
        request.extensions = {**request.extensions, "sni_hostname": target.host}
        return super().handle_request(request)
