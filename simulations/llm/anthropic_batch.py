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

from .base import LLMRequest, LLMResponse, ProviderError

_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TRANSIENT_ERROR_TYPES = frozenset({"rate_limit_error", "overloaded_error", "api_error", "timeout_error"})


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
    results: Iterable[Any], succeeded: Callable[[str, Any, bool], LLMResponse]
) -> list[LLMResponse]:
    """Batch results (any order) -> responses in request order.

    ``succeeded(key, message, structured)`` turns a succeeded result's message into a response; errored,
    canceled and expired entries become per-request errors (expired and canceled ones, and
    transient API errors, are retryable: submitting them again can work).
    """
    by_index: dict[int, LLMResponse] = {}
    for entry in results:
        index, key, structured = parse_custom_id(entry.custom_id)
        result = entry.result
        if result.type == "succeeded":
            by_index[index] = succeeded(key, result.message, structured)
        elif result.type == "errored":
            error = result.error.error
            by_index[index] = LLMResponse(
                key=key,
                text="",
                error=f"{error.type}: {error.message}",
                retryable=error.type in _TRANSIENT_ERROR_TYPES,
            )
        else:
            by_index[index] = LLMResponse(
                key=key, text="", error=f"batch request {result.type}", retryable=True
            )
    if sorted(by_index) != list(range(len(by_index))):
        raise ProviderError(f"anthropic batch: results are missing entries (got indexes {sorted(by_index)})")
    return [by_index[index] for index in range(len(by_index))]
