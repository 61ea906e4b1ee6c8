"""Webhook signatures (Stripe's scheme). Pure Python: customers can copy ``verify_signature``.

Every delivery carries

    Simnet-Timestamp: 1700000000
    Simnet-Signature: t=1700000000,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

To verify on your side: take the *raw* request body (before any JSON parsing), the
``Simnet-Signature`` header and your endpoint's signing secret (``whsec_…``, shown once
when you created the endpoint), then::

    if not verify_signature(secret, request.headers["Simnet-Signature"], raw_body):
        return 400

The timestamp is inside the signed text, so an old request cannot be replayed with a new
timestamp; requests older (or newer) than ``tolerance`` seconds are refused. Several
``v1=`` entries may appear (for example while a secret is being rotated); one match is
enough. Compare with ``hmac.compare_digest``, never ``==``.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int | None, list[str]]:
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def verify_signature(
    secret: str, header: str, body: bytes | str, tolerance: int = 300, *, now: float | None = None
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its timestamp is within ``tolerance`` s of now."""
    timestamp, signatures = _parse(header or "")
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = compute_signature(secret, timestamp, raw)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
