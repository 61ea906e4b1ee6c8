"""Requests to Message Batch entries and results back, with no state kept between the two.

Submitting and collecting happen in different tasks (maybe different workers), so each entry's
``custom_id`` carries everything needed to put the answer back in place: the request's index,
whether it asked for JSON, and its key, URL-safe base64 encoded (the API allows only
``[A-Za-z0-9_-]{1,64}``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from simnet.llm.base import LLMRequest, LLMResponse, ProviderError

_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TRANSIENT_ERROR_TYPES = frozenset({"rate_limit_error", "overloaded_error", "api_error", "timeout_error"})
# The error types Anthropic documents; any other value came from somewhere else and is not repeated.
_ERROR_TYPES = _TRANSIENT_ERROR_TYPES | {
    "invalid_request_error",
    "authentication_error",
    "billing_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
}


def custom_id(index: int, key: str, structured: bool) -> str:
    encoded = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    value = f"{index}-{'j' if structured else 't'}-{encoded}"
    if not _CUSTOM_ID.match(value):
        raise ValueError(f"request key {key!r} is too long to travel in a batch custom_id")
    return value


def parse_custom_id(value: str) -> tuple[int, str, bool]:
    """(index, key, structured) back from ``custom_id``."""
    index, flag, encoded = value.split("-", 2)
    padded = encoded + "=" * (-len(encoded) % 4)
    return int(index), base64.urlsafe_b64decode(padded).decode(), flag == "j"


def encode_requests(
    requests: Sequence[LLMRequest], message_params: Callable[[LLMRequest], dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": custom_id(index, request.key, request.schema is not None),
            "params": message_params(request),
        }
        for index, request in enumerate(requests)
    ]


def decode_results(
    results: Iterable[Any], succeeded: Callable[[str, Any, bool], LLMResponse], *, quote_errors: bool
) -> list[LLMResponse]:
    """Batch results (any order) -> responses in request order.

    ``succeeded(key, message, structured)`` turns a succeeded result's message into a response; errored,
    canceled and expired entries become per-request errors (expired and canceled ones, and
    transient API errors, are retryable: submitting them again can work). An errored entry's own
    message is repeated only with ``quote_errors`` (Anthropic's own API, not a customer's server).
    """
    by_index: dict[int, LLMResponse] = {}
    for entry in results:
        try:
            index, key, structured = parse_custom_id(entry.custom_id)
        except ValueError:  # bad base64, UTF-8 or index; its text would quote the custom_id
            raise ProviderError("anthropic batch: a result has a custom_id this batch never sent") from None
        result = entry.result
        if result.type == "succeeded":
            by_index[index] = succeeded(key, result.message, structured)
        elif result.type == "errored":
            error = result.error.error
            by_index[index] = LLMResponse(
                key=key,
                text="",
                error=_entry_error(error, quote_errors),
                retryable=error.type in _TRANSIENT_ERROR_TYPES,
            )
        else:
            ending = result.type if result.type in ("canceled", "expired") else "ended without an answer"
            by_index[index] = LLMResponse(key=key, text="", error=f"batch request {ending}", retryable=True)
    if sorted(by_index) != list(range(len(by_index))):
        raise ProviderError(f"anthropic batch: results are missing entries (got indexes {sorted(by_index)})")
    return [by_index[index] for index in range(len(by_index))]


def _entry_error(error: Any, quote_errors: bool) -> str:
    if quote_errors:
        return f"{error.type}: {error.message}"
    kind = error.type if error.type in _ERROR_TYPES else "unknown error type"
    return f"{kind}: the server refused this request"
