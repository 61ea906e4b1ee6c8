"""Sending one webhook request: pinned to the checked address, bounded in time and size.

* Connects to the address ``addresses.check_outbound_url`` approved (Host header and TLS
  SNI/certificate check still use the endpoint's host name), so DNS cannot change in
  between. Proxies from the environment are ignored for the same reason.
* Connect timeout 5 s; the whole exchange is cut at 10 s (asyncio deadline, not per read).
* Redirects are not followed (a 3xx is a failed attempt); at most 1 KB of the response is
  read and kept.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from simnet.webhooks.addresses import Target

CONNECT_TIMEOUT_SECONDS = 5.0
TOTAL_TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
USER_AGENT = "simnet-webhooks/1"


@dataclass(frozen=True)
class SendOutcome:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pinned_url(target: Target) -> str:
    address = target.addresses[0]
    literal = f"[{address}]" if ":" in address else address
    return f"{target.scheme}://{literal}:{target.port}{target.path}"


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    return host if target.port == default_port else f"{host}:{target.port}"


async def _exchange(target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    # httpx's own limits are per operation; the total deadline is the asyncio one in post_json.
    timeout = httpx.Timeout(TOTAL_TIMEOUT_SECONDS + 1, connect=CONNECT_TIMEOUT_SECONDS)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST",
            _pinned_url(target),
            content=body,
            headers={**headers, "Host": _host_header(target), "User-Agent": USER_AGENT},
            extensions={"sni_hostname": target.host},
        )
        response = await client.send(request, stream=True)
        try:
            excerpt = bytearray()
            async for chunk in response.aiter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
        finally:
            await response.aclose()
        return response.status_code, bytes(excerpt[:EXCERPT_BYTES])


def post_json(target: Target, body: bytes, headers: dict[str, str]) -> SendOutcome:
    """POST ``body`` to ``target``; failures are described in the outcome, never raised."""
    started = time.monotonic()
    error, status_code, excerpt = "", None, b""
    try:
        status_code, excerpt = asyncio.run(
            asyncio.wait_for(_exchange(target, body, headers), timeout=TOTAL_TIMEOUT_SECONDS)
        )
    except TimeoutError:
        error = f"No complete response within {TOTAL_TIMEOUT_SECONDS:g} seconds."
    except httpx.ConnectTimeout:
        error = f"Could not connect within {CONNECT_TIMEOUT_SECONDS:g} seconds."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = round((time.monotonic() - started) * 1000)
    if status_code is not None and 300 <= status_code < 400:
        error = "Redirects are not followed; point the endpoint at the final URL."
    text = excerpt.decode("utf-8", errors="replace")
    return SendOutcome(status_code=status_code, excerpt=text, error=error, duration_ms=duration_ms)
