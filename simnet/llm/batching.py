"""What the network providers share: bounded fan-out over a batch and the reading of its outcome.

A provider answers a whole batch; each request is one HTTP call. Calls run on a small thread
pool (the SDKs and httpx clients are thread-safe and the work is I/O bound), answers come back
in request order, and a provider-wide failure raised by any call stops the batch at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from simnet.llm.base import LLMResponse, ProviderUnavailable

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_bounded(call: Callable[[Item], Result], items: Sequence[Item], max_concurrency: int) -> list[Result]:
    """``[call(item) for item in items]`` with at most ``max_concurrency`` calls in flight.

    An exception from one call (a ``ProviderError``: bad key, quota) cancels the calls not yet
    started and propagates; calls already in flight finish first (their results are dropped).
    """
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    if len(items) <= 1 or max_concurrency == 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_concurrency, len(items))) as pool:
        futures = [pool.submit(call, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def raise_if_all_unavailable(responses: Sequence[LLMResponse], provider: str) -> None:
    """Turn "every request failed transiently" into one ``ProviderUnavailable``.

    A step where every agent hit a rate limit or an unreachable server says nothing about the
    agents; recording it would waste the step, so the caller should retry the step later.
    """
    if responses and all(response.error and response.retryable for response in responses):
        raise ProviderUnavailable(f"{provider}: every request failed transiently: {responses[0].error}")


def parse_json_object(text: str) -> Mapping[str, Any] | None:
    """The JSON object in ``text``, or None when it is not exactly one JSON object.

    Tolerates a Markdown code fence around the object, which chat models add unasked.
    """
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
