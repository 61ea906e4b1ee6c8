"""Any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp's server, OpenAI itself.

Plain httpx rather than the ``openai`` SDK: the whole surface is one endpoint
(``POST {base_url}/chat/completions``), and what matters is exactly where these servers differ
(which ``response_format`` they honour, the shape of their error bodies, whether they send
``Retry-After``), which is easier to handle in the open than through an SDK written for one of
them. It also keeps the SDK out of the dependencies (httpx is already one).

Structured output asks for ``json_schema`` (strict); a server that answers 400 about
``response_format`` gets ``json_object`` from then on, with the schema spelt out in the prompt.

``cache_prompt=True`` adds llama.cpp server's per-request ``"cache_prompt": true`` (reuse the
slot's KV cache for the common prefix; the default in current ``llama-server``, off in older
builds). Off by default: OpenAI itself refuses unknown request fields, and vLLM caches prefixes
from a server flag instead (``docs/serving.md``).

Calls are coroutines on one ``httpx.AsyncClient`` per batch (``batching.gather_bounded``); each
attempt first waits for the shared ``RateLimiter``, and a 429's ``Retry-After`` pauses the whole
limiter scope (every worker), not only this call.

Errors are described by their status code and a fixed sentence, never by the server's own
words: ``base_url`` is typed by a customer, and whatever answers there (an internal service,
a cloud metadata endpoint) must not be read back to them through a run's status, events or
pages. The Django side passes a ``transport`` that refuses non-public addresses in production.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from simnet.llm.base import LLMRequest, LLMResponse, ProviderError, QuotaExceeded, Usage
from simnet.llm.batching import (
    gather_bounded,
    parse_json_object,
    raise_if_all_unavailable,
    run_sync,
    shared_ssl_context,
)
from simnet.llm.pricing import cost_of, price_for
from simnet.llm.ratelimit import InMemoryRateStore, RateLimiter, request_tokens, retry_after_s
from simnet.llm.vision import images_tokens, openai_parts

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
QUOTA_CODES = frozenset({"insufficient_quota"})


@dataclass(frozen=True)
class _ServerError:
    status: int
    detail: str  # the server's own words: read to classify the error, never shown to anyone
    code: str | None  # machine-readable code or type, e.g. "insufficient_quota"
    retry_after_s: float | None = None  # what the server asked us to wait, if it said


class OpenAICompatProvider:
    name = "openai_compat"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        max_concurrency: int = 8,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        max_wait_s: float = 30.0,
        timeout_s: float = 60.0,
        cache_prompt: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        """``transport`` builds the async transport of each batch's client (a client and its
        connections belong to one event loop, and each ``generate`` runs its own)."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.model = model
        self.max_concurrency = max_concurrency
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.cache_prompt = cache_prompt
        self._sleep = sleep
        self._price = price_for(self.name, model)
        self._json_schema_supported = True  # until the server says otherwise
        self.limiter = limiter if limiter is not None else RateLimiter(InMemoryRateStore(), "openai_compat")
        self._base_url = base_url.rstrip("/") + "/"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout_s = timeout_s
        self._transport = transport

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        responses = run_sync(self._generate_all(requests))
        raise_if_all_unavailable(responses, self.name)
        return responses

    async def _generate_all(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        async with httpx.AsyncClient(
            base_url=self._base_url,
            headers=self._headers,
            timeout=self._timeout_s,
            limits=httpx.Limits(max_connections=self.max_concurrency),
            verify=shared_ssl_context(),
            transport=self._transport() if self._transport is not None else None,
            # a proxy from the environment would bypass the transport's checks
            trust_env=self._transport is None,
        ) as client:
            return await gather_bounded(
                lambda request: self._generate_one(client, request), requests, self.max_concurrency
            )

    async def _generate_one(self, client: httpx.AsyncClient, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        json_schema = self._json_schema_supported
        outcome = await self._post(client, request, self._body(request, json_schema=json_schema))
        if isinstance(outcome, _ServerError) and json_schema and _rejects_response_format(outcome):
            self._json_schema_supported = False
            outcome = await self._post(client, request, self._body(request, json_schema=False))
        if isinstance(outcome, str):
            return LLMResponse(key=request.key, text="", error=outcome, retryable=True)
        if isinstance(outcome, _ServerError):
            return self._failure(request, outcome)
        return self._answer(request, outcome, time.perf_counter() - started)

    def _body(self, request: LLMRequest, *, json_schema: bool) -> dict[str, Any]:
        user = request.user
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
        }
        if self.cache_prompt:
            body["cache_prompt"] = True
        if request.schema is not None and json_schema:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "decision", "schema": dict(request.schema), "strict": True},
            }
        elif request.schema is not None:
            body["response_format"] = {"type": "json_object"}
            user += "\n\nAnswer with one JSON object following this JSON schema:\n" + json.dumps(
                request.schema
            )
        system = [{"role": "system", "content": request.system}] if request.system else []
        content: str | list[dict[str, Any]] = user
        if request.images:  # only built for a server configured as seeing images (``vision``)
            content = [*openai_parts(request.images), {"type": "text", "text": user}]
        body["messages"] = [*system, {"role": "user", "content": content}]
        return body

    async def _post(
        self, client: httpx.AsyncClient, request: LLMRequest, body: Mapping[str, Any]
    ) -> httpx.Response | _ServerError | str:
        """POST with bounded retries on 429/5xx and transport failures, each attempt within the
        rate limits; a ``Retry-After`` pauses the limiter's whole scope instead of this call only.

        Returns the successful response, the last server error, or a transport error message.
        ``QuotaExceeded`` is raised at once: waiting does not bring credit back.
        """
        tokens = request_tokens(request.system, request.user, json.dumps(request.schema), request.max_tokens)
        tokens += images_tokens(request.images)  # pictures count in the minute's tokens
        outcome: _ServerError | str = "no attempt made"
        for attempt in range(self.max_attempts):
            if attempt and not _server_paused(outcome):
                await self._sleep(self._wait_before_retry(attempt, outcome))
            await self.limiter.acquire(tokens)
            try:
                response = await client.post("chat/completions", json=body)
            except httpx.TransportError as err:
                outcome = f"connection failed ({type(err).__name__})"  # its text can quote the server
                continue
            if response.is_success:
                return response
            outcome = _server_error(response)
            if _server_paused(outcome):
                await self.limiter.pause(min(outcome.retry_after_s, self.max_wait_s))
            if outcome.code in QUOTA_CODES:
                raise QuotaExceeded(f"{self.name}: the account has no quota left (HTTP {outcome.status})")
            if outcome.status not in RETRYABLE_STATUSES:
                return outcome
        return outcome

    def _wait_before_retry(self, attempt: int, previous: _ServerError | str) -> float:
        """The server's ``Retry-After`` when it gave one, else exponential backoff; capped."""
        if isinstance(previous, _ServerError) and previous.retry_after_s is not None:
            return min(previous.retry_after_s, self.max_wait_s)
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_wait_s)

    def _failure(self, request: LLMRequest, error: _ServerError) -> LLMResponse:
        if error.status == 401:
            raise ProviderError(f"{self.name}: invalid key (HTTP 401)")
        if error.status == 403:
            raise ProviderError(f"{self.name}: permission denied (HTTP 403)")
        if error.status == 404:
            raise ProviderError(f"{self.name}: model {self.model!r} not found at this base URL (HTTP 404)")
        retryable = error.status in RETRYABLE_STATUSES
        sentence = "the server failed or is busy" if retryable else "the server refused the request"
        return LLMResponse(
            key=request.key, text="", error=f"HTTP {error.status}: {sentence}", retryable=retryable
        )

    def _answer(self, request: LLMRequest, response: httpx.Response, latency_s: float) -> LLMResponse:
        try:
            payload = response.json()
            choice = payload["choices"][0]
            message = choice["message"]
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):
            error = "unreadable response body: not an OpenAI chat completion"
            return LLMResponse(key=request.key, text="", error=error, retryable=True)
        usage = self._usage(payload.get("usage") or {}, latency_s)
        text = message.get("content") or ""
        if not text and message.get("refusal"):
            return LLMResponse(key=request.key, text="", usage=usage, error="the model refused to answer")
        if request.schema is None:
            return LLMResponse(key=request.key, text=text, usage=usage)  # free text may be cut short
        if choice.get("finish_reason") == "length":
            return LLMResponse(
                key=request.key, text=text, usage=usage, error="output truncated at max_tokens"
            )
        data = parse_json_object(text)
        if data is None:
            return LLMResponse(
                key=request.key, text=text, usage=usage, error="model output is not a JSON object"
            )
        return LLMResponse(key=request.key, text=text, data=data, usage=usage)

    def _usage(self, reported: Mapping[str, Any], latency_s: float) -> Usage:
        """``prompt_tokens`` includes the cached part; ``Usage.input_tokens`` counts only the rest."""
        prompt = int(reported.get("prompt_tokens") or 0)
        cached = int((reported.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        usage = Usage(
            input_tokens=prompt - cached,
            output_tokens=int(reported.get("completion_tokens") or 0),
            cached_input_tokens=cached,
            latency_s=latency_s,
        )
        return replace(usage, cost_usd=cost_of(self._price, usage))


def _server_error(response: httpx.Response) -> _ServerError:
    """Message and code from the error shapes in use: OpenAI/llama.cpp ``{"error": {...}}``,
    Ollama ``{"error": "..."}``, vLLM ``{"object": "error", "message": ...}``, or plain text."""
    status, retry_after = response.status_code, retry_after_s(response.headers)
    try:
        body = response.json()
    except json.JSONDecodeError:
        return _ServerError(status, response.text, None, retry_after)
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) else error.get("type")
        return _ServerError(status, str(error.get("message") or error), code, retry_after)
    return _ServerError(status, str(error), None, retry_after)


def _server_paused(outcome: _ServerError | str) -> bool:
    """A rate limit with a ``Retry-After``: the wait belongs to the limiter (every worker)."""
    return isinstance(outcome, _ServerError) and outcome.status == 429 and outcome.retry_after_s is not None


def _rejects_response_format(error: _ServerError) -> bool:
    text = error.detail.lower()
    return error.status in (400, 422) and ("response_format" in text or "json_schema" in text)
