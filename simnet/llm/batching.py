"""What the network providers share: bounded async fan-out over a batch and the reading of its outcome.

A provider answers a whole batch; each request is one HTTP call. The calls are coroutines on one
event loop (an async HTTP client, a semaphore of ``max_concurrency``), not one thread each, so a
worker can keep hundreds of hosted calls in flight. ``Provider.generate`` stays synchronous: it
runs the loop itself (``run_sync``). Answers come back in request order, and a provider-wide
failure raised by any call stops the batch at once.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from simnet.llm.base import LLMResponse, ProviderUnavailable

Item = TypeVar("Item")
Result = TypeVar("Result")


async def gather_bounded(
    call: Callable[[Item], Awaitable[Result]], items: Sequence[Item], max_concurrency: int
) -> list[Result]:
    """``[await call(item) for item in items]`` with at most ``max_concurrency`` calls in flight.

    An exception from one call (a ``ProviderError``: bad key, quota) cancels the others and
    propagates.
    """
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    gate = asyncio.Semaphore(max_concurrency)

    async def bounded(item: Item) -> Result:
        async with gate:
            return await call(item)

    tasks = [asyncio.ensure_future(bounded(item)) for item in items]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def run_sync(coroutine: Coroutine[Any, Any, Result]) -> Result:
    """The result of ``coroutine`` from synchronous code.

    A worker thread has no event loop, so the coroutine gets a fresh one; when the caller already
    runs a loop (an async view, a test under an async runner) it runs on its own thread instead,
    since a loop cannot be entered twice."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as own_thread:
        return own_thread.submit(asyncio.run, coroutine).result()


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle takes 20-35 ms, and each batch
    builds a client (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` from the environment still count)."""
    return httpx.create_ssl_context()


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
