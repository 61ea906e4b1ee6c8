"""Claude through the official ``anthropic`` SDK (Messages API, and Message Batches for offline runs).

Choices, and why:
- Structured output is a forced tool call whose ``input_schema`` is the request schema: it works on
  every Claude model the project prices (older ones have no native JSON-schema output) and in
  batches, and the answer arrives as an already-parsed object, never prose around JSON.
  ``structured="output_format"`` switches to the API's ``output_config.format`` JSON schema for
  models that think on every turn, where forcing a tool is rejected.
- The stable ``system`` prefix (persona card + rules) carries ``cache_control`` only when it is
  long enough for the model to cache it at all (``CACHE_MIN_TOKENS``).
- Sampling parameters are not sent: API version 2026-10-21 (the SDK's default) rejects
  ``temperature`` with a 400, so ``LLMRequest.temperature`` and ``seed`` only feed the decision
  cache key. Reproducibility comes from that cache.
- Retries are the SDK's own (``max_retries``, honouring ``retry-after``); what still fails becomes a
  per-request error, or a ``ProviderError`` / ``QuotaExceeded`` when the whole account is affected.
- Calls are coroutines on the SDK's ``AsyncAnthropic`` (one client per ``generate``, since a client
  belongs to one event loop), at most ``max_concurrency`` in flight. Each call first takes its
  share of the shared ``RateLimiter``; the HTTP client's hooks make every attempt (the SDK's
  retries too) wait while the scope is paused, and turn a 429's ``retry-after`` into a pause of
  the whole scope, so every worker of the organization backs off, not only this call.
- A custom ``base_url`` is typed by a customer, so whatever answers there (an internal service, a
  cloud metadata endpoint) is never read back to them: its errors are described by status code,
  the SDK's error class and a fixed sentence. The Django side passes a ``transport`` that refuses
  non-public addresses in production. Anthropic's own API keeps its words ("Your credit balance is
  too low..."), which tell people what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import anthropic

from simnet.llm.anthropic_batch import decode_results, encode_requests
from simnet.llm.base import (
    LLMRequest,
    LLMResponse,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
    Usage,
)
from simnet.llm.batching import (
    gather_bounded,
    parse_json_object,
    raise_if_all_unavailable,
    run_sync,
    shared_ssl_context,
)
from simnet.llm.pricing import BATCH_PRICE_FACTORS, cost_of, price_for
from simnet.llm.ratelimit import InMemoryRateStore, RateLimiter, request_tokens, retry_after_s
from simnet.llm.tokens import count_tokens
from simnet.llm.vision import anthropic_blocks, images_tokens

if TYPE_CHECKING:
    import httpx2

TOOL_NAME = "record_decision"

# Shortest prefix (tools + system) each model family caches, from Anthropic's prompt-caching docs.
# First matching model-id prefix wins; a shorter prefix marked for caching is silently not cached.
CACHE_MIN_TOKENS: tuple[tuple[str, int], ...] = (
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-3-5-haiku", 2048),
    ("claude-3-haiku", 2048),
    ("claude-haiku", 2048),
    ("claude-sonnet", 1024),
    ("claude-opus", 1024),
)
DEFAULT_CACHE_MIN_TOKENS = 1024

# error.details.error_code values that mean "no money left", whatever the HTTP status.
QUOTA_ERROR_CODES = frozenset(
    {
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
        "linked_organization_spend_limit_reached",
        "linked_organization_billing_unavailable",
    }
)
# Wordings the API has used for the same condition before it had error codes
# (e.g. 400 "Your credit balance is too low to access the Anthropic API...").
QUOTA_PHRASES = ("credit balance", "usage limit", "spend limit", "billing")

BATCH_PRICE_FACTOR = BATCH_PRICE_FACTORS["anthropic"]  # half the live price, tokens and cache alike


def cache_min_tokens(model: str) -> int:
    for prefix, minimum in CACHE_MIN_TOKENS:
        if model.startswith(prefix):
            return minimum
    return DEFAULT_CACHE_MIN_TOKENS


class AnthropicProvider:
    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "claude-haiku-4-5",
        base_url: str | None = None,
        max_retries: int = 2,
        timeout_s: float = 60.0,
        max_concurrency: int = 8,
        structured: str = "tool",
        transport: Callable[[], httpx2.AsyncBaseTransport] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        """``transport`` builds the async transport of each ``generate``'s client."""
        if not api_key:
            raise ProviderError("anthropic: an API key is required")
        if structured not in ("tool", "output_format"):
            raise ValueError(f"structured must be 'tool' or 'output_format', not {structured!r}")
        self.model = model
        self.max_concurrency = max_concurrency
        self.structured = structured
        self._price = price_for(self.name, model)
        # Without a base_url the SDK talks to Anthropic's own API (or to the operator's
        # ANTHROPIC_BASE_URL), whose error messages are written for people and may be shown.
        self._official_api = base_url is None
        self._client_options = {
            "api_key": api_key, "base_url": base_url, "max_retries": max_retries, "timeout": timeout_s,
        }  # fmt: skip
        self._transport = transport
        self.limiter = limiter if limiter is not None else RateLimiter(InMemoryRateStore(), "anthropic")

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        responses = run_sync(self._generate_all(requests))
        raise_if_all_unavailable(responses, self.name)
        return responses

    async def _generate_all(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        async with self._async_client() as client:
            return await gather_bounded(
                lambda request: self._generate_one(client, request), requests, self.max_concurrency
            )

    def _async_client(self) -> anthropic.AsyncAnthropic:
        """A client for one event loop, whose every HTTP attempt honours the limiter's pauses."""
        http_client = anthropic.DefaultAsyncHttpxClient(
            # a proxy from the environment would connect in the transport's place and skip its checks
            **({"transport": self._transport(), "trust_env": False} if self._transport else {}),
            event_hooks={"request": [self._wait_while_paused], "response": [self._pause_on_rate_limit]},
            verify=shared_ssl_context(),
        )
        return anthropic.AsyncAnthropic(**self._client_options, http_client=http_client)

    async def _wait_while_paused(self, request: httpx2.Request) -> None:
        await self.limiter.wait_while_paused()

    async def _pause_on_rate_limit(self, response: httpx2.Response) -> None:
        if response.status_code == 429 and (seconds := retry_after_s(response.headers)) is not None:
            await self.limiter.pause(seconds)

    def submit_batch(self, requests: Sequence[LLMRequest]) -> str:
        """Queue ``requests`` as one Message Batch (half price, answered within 24 h); returns its id."""
        return run_sync(self._submit_batch(requests))

    async def _submit_batch(self, requests: Sequence[LLMRequest]) -> str:
        async with self._async_client() as client:
            try:
                batch = await client.messages.batches.create(
                    requests=encode_requests(requests, self.message_params)
                )
            except anthropic.APIError as err:
                raise self._batch_error(err) from err
        return batch.id

    def collect_batch(self, batch_id: str) -> list[LLMResponse] | None:
        """The answers of a submitted batch in request order, or None while it is still running."""
        results = run_sync(self._batch_results(batch_id))
        if results is None:
            return None
        return decode_results(results, self._batch_response, quote_errors=self._official_api)

    async def _batch_results(self, batch_id: str) -> list[Any] | None:
        async with self._async_client() as client:
            try:
                batch = await client.messages.batches.retrieve(batch_id)
                if batch.processing_status != "ended":
                    return None
                return [entry async for entry in await client.messages.batches.results(batch_id)]
            except anthropic.APIError as err:
                raise self._batch_error(err) from err

    def _batch_error(self, err: anthropic.APIError) -> ProviderError:
        """Batch calls concern the whole batch, so every failure is provider-wide."""
        if isinstance(err, anthropic.APIStatusError):
            if (account_error := self._account_error(err)) is not None:
                return account_error
            if _is_transient(err):
                return ProviderUnavailable(f"anthropic batch: {self._detail(err)}")
            return ProviderError(f"anthropic batch: {self._detail(err)}")
        if (refused := _refusal(err)) is not None:
            return refused
        return ProviderUnavailable(f"anthropic batch: {err}")  # the SDK's sentence, never the server's

    # -- what people may read ----------------------------------------------------------------

    def _detail(self, err: anthropic.APIStatusError) -> str:
        """The official API's message, or from a custom base_url only what the SDK made of the status."""
        if self._official_api:
            return _message_of(err)
        return f"HTTP {err.status_code} {type(err).__name__}"

    def _request_error(self, err: anthropic.APIStatusError) -> str:
        """A per-request error: the official API's type and message, else the status and a fixed sentence."""
        if self._official_api:
            return f"{err.status_code} {err.type or 'error'}: {_message_of(err)}"
        sentence = "the server failed or is busy" if _is_transient(err) else "the server refused the request"
        return f"{err.status_code} {type(err).__name__}: {sentence}"

    # -- one request -------------------------------------------------------------------------

    def message_params(self, request: LLMRequest) -> dict[str, Any]:
        """The Messages API body for ``request`` (shared by live calls and batches)."""
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": _content(request)}],
        }
        if request.system:
            block: dict[str, Any] = {"type": "text", "text": request.system}
            if self._prefix_tokens(request) >= cache_min_tokens(self.model):
                block["cache_control"] = {"type": "ephemeral"}
            params["system"] = [block]
        if request.schema is not None and self.structured == "tool":
            params["tools"] = [
                {
                    "name": TOOL_NAME,
                    "description": "Record your decision.",
                    "input_schema": dict(request.schema),
                }
            ]
            params["tool_choice"] = {"type": "tool", "name": TOOL_NAME, "disable_parallel_tool_use": True}
        elif request.schema is not None:
            params["output_config"] = {"format": {"type": "json_schema", "schema": dict(request.schema)}}
        return params

    def _prefix_tokens(self, request: LLMRequest) -> int:
        """Tokens before the cache breakpoint: the tool definition (sent first) and the system text."""
        schema_tokens = count_tokens(json.dumps(request.schema)) if request.schema is not None else 0
        return count_tokens(request.system) + schema_tokens

    async def _generate_one(self, client: anthropic.AsyncAnthropic, request: LLMRequest) -> LLMResponse:
        schema = json.dumps(request.schema) if request.schema is not None else ""
        tokens = request_tokens(request.system, request.user, schema, request.max_tokens)
        await self.limiter.acquire(tokens + images_tokens(request.images))  # pictures count too
        started = time.perf_counter()
        try:
            message = await client.messages.create(**self.message_params(request))
        except anthropic.APIStatusError as err:
            if (account_error := self._account_error(err)) is not None:
                raise account_error from err
            return _failed(request, self._request_error(err), err)
        except anthropic.APIConnectionError as err:
            if (refused := _refusal(err)) is not None:
                raise refused from None
            return LLMResponse(key=request.key, text="", error=f"connection: {err}", retryable=True)
        except json.JSONDecodeError as err:
            return LLMResponse(
                key=request.key, text="", error=f"unreadable response body: {err}", retryable=True
            )
        latency_s = time.perf_counter() - started
        return self._response_from_message(
            request.key, message, latency_s, price_factor=1.0, structured=request.schema is not None
        )

    def _response_from_message(
        self, key: str, message: Any, latency_s: float, *, price_factor: float, structured: bool
    ) -> LLMResponse:
        """An ``LLMResponse`` from an SDK ``Message`` (live, or one succeeded batch result)."""
        usage = self._usage(message.usage, latency_s, price_factor)
        tool_inputs = [block.input for block in message.content if block.type == "tool_use"]
        text = (
            json.dumps(tool_inputs[0])
            if tool_inputs
            else "".join(block.text for block in message.content if block.type == "text")
        )
        if message.stop_reason == "refusal":
            return LLMResponse(key=key, text=text, usage=usage, error="model refused to answer")
        if not structured:
            return LLMResponse(key=key, text=text, usage=usage)  # free text may be cut short
        if message.stop_reason == "max_tokens":
            return LLMResponse(key=key, text=text, usage=usage, error="output truncated at max_tokens")
        data = tool_inputs[0] if tool_inputs else parse_json_object(text)
        if data is None:
            return LLMResponse(key=key, text=text, usage=usage, error="model output is not a JSON object")
        return LLMResponse(key=key, text=text, data=data, usage=usage)

    def _usage(self, reported: Any, latency_s: float, price_factor: float) -> Usage:
        usage = Usage(
            input_tokens=reported.input_tokens,
            output_tokens=reported.output_tokens,
            cached_input_tokens=reported.cache_read_input_tokens or 0,
            cache_write_tokens=reported.cache_creation_input_tokens or 0,
            latency_s=latency_s,
        )
        return replace(usage, cost_usd=cost_of(self._price, usage) * price_factor)

    def _batch_response(self, key: str, message: Any, structured: bool) -> LLMResponse:
        """A succeeded batch result, billed at the Batches API's half price."""
        return self._response_from_message(
            key, message, 0.0, price_factor=BATCH_PRICE_FACTOR, structured=structured
        )

    def _account_error(self, err: anthropic.APIStatusError) -> ProviderError | None:
        """The provider-wide failure ``err`` stands for, or None when it concerns one request.

        The server's message is read to classify the error (older wordings have no error code),
        but only ``_detail`` decides what the exception says."""
        lowered = _message_of(err).lower()
        detail = self._detail(err)
        if (
            err.type == "billing_error"
            or err.status_code == 402
            or err.error_code in QUOTA_ERROR_CODES
            or any(phrase in lowered for phrase in QUOTA_PHRASES)
        ):
            return QuotaExceeded(f"anthropic: out of credit or over a spend limit ({detail})")
        if err.status_code == 401:
            return ProviderError(f"anthropic: invalid key ({detail})")
        if err.status_code == 403:
            return ProviderError(f"anthropic: permission denied ({detail})")
        if err.status_code == 404:
            return ProviderError(f"anthropic: model {self.model!r} not found ({detail})")
        if err.error_code == "organization_on_hold":
            return ProviderError(f"anthropic: organization on hold ({detail})")
        return None


def _content(request: LLMRequest) -> str | list[dict[str, Any]]:
    """The user turn: plain text, or the images (before the text, as Anthropic advises) and the text."""
    if not request.images:
        return request.user
    return [*anthropic_blocks(request.images), {"type": "text", "text": request.user}]


def _refusal(err: anthropic.APIError) -> ProviderError | None:
    """The ``ProviderError`` a transport raised (an address it refuses), which the SDK wraps as a
    connection error: it fails the provider instead of passing for a network hiccup worth retrying."""
    return err.__cause__ if isinstance(err.__cause__, ProviderError) else None


def _message_of(err: anthropic.APIStatusError) -> str:
    return err.api_message or err.message


def _is_transient(err: anthropic.APIStatusError) -> bool:
    return err.status_code in (408, 409, 429) or err.status_code >= 500


def _failed(request: LLMRequest, error: str, err: anthropic.APIStatusError) -> LLMResponse:
    return LLMResponse(key=request.key, text="", error=error, retryable=_is_transient(err))
