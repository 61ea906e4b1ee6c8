"""Any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp's server, OpenAI itself.

Plain httpx rather than the ``openai`` SDK: the whole surface is one endpoint
(``POST {base_url}/chat/completions``), and what matters is exactly where these servers differ
(which ``response_format`` they honour, the shape of their error bodies, whether they send
``Retry-After``), which is easier to handle in the open than through an SDK written for one of
them. It also keeps the SDK out of the dependencies (httpx is already one).

Structured output asks for ``json_schema`` (strict); a server that answers 400 about
``response_format`` gets ``json_object`` from then on, with the schema spelt out in the prompt.

Errors are described by their status code and a fixed sentence, never by the server's own
words: ``base_url`` is typed by a customer, and whatever answers there (an internal service,
a cloud metadata endpoint) must not be read back to them through a run's status, events or
pages. The Django side passes a ``transport`` that refuses non-public addresses in production.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from simnet.llm.base import LLMRequest, LLMResponse, ProviderError, QuotaExceeded, Usage
from simnet.llm.batching import map_bounded, parse_json_object, raise_if_all_unavailable
from simnet.llm.pricing import cost_of, price_for

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
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.model = model
        self.max_concurrency = max_concurrency
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._price = price_for(self.name, model)
        self._json_schema_supported = True  # until the server says otherwise
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_concurrency),
            transport=transport,
            trust_env=transport is None,  # a proxy from the environment would bypass the transport's checks
        )

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        responses = map_bounded(self._generate_one, requests, self.max_concurrency)
        raise_if_all_unavailable(responses, self.name)
        return responses

    def close(self) -> None:
        self._client.close()

    def _generate_one(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        json_schema = self._json_schema_supported
        outcome = self._post(self._body(request, json_schema=json_schema))
        if isinstance(outcome, _ServerError) and json_schema and _rejects_response_format(outcome):
            self._json_schema_supported = False
            outcome = self._post(self._body(request, json_schema=False))
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
        body["messages"] = [*system, {"role": "user", "content": user}]
        return body

    def _post(self, body: Mapping[str, Any]) -> httpx.Response | _ServerError | str:
        """POST with bounded retries on 429/5xx and transport failures.

        Returns the successful response, the last server error, or a transport error message.
        ``QuotaExceeded`` is raised at once: waiting does not bring credit back.
        """
        outcome: _ServerError | str = "no attempt made"
        for attempt in range(self.max_attempts):
            if attempt:
                self._sleep(self._wait_before_retry(attempt, outcome))
            try:
                response = self._client.post("chat/completions", json=body)
            except httpx.TransportError as err:
                outcome = f"connection failed ({type(err).__name__})"  # its text can quote the server
                continue
            if response.is_success:
                return response
            outcome = _server_error(response)
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
    status, retry_after = response.status_code, _retry_after_s(response.headers)
    try:
        body = response.json()
    except json.JSONDecodeError:
        return _ServerError(status, response.text, None, retry_after)
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) else error.get("type")
        return _ServerError(status, str(error.get("message") or error), code, retry_after)
    return _ServerError(status, str(error), None, retry_after)


def _retry_after_s(headers: httpx.Headers) -> float | None:
    """``retry-after-ms`` (OpenAI) or ``Retry-After`` in seconds; an HTTP date is ignored (backoff)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(float(headers[name]) * scale, 0.0)
        except (KeyError, ValueError):
            continue
    return None


def _rejects_response_format(error: _ServerError) -> bool:
    text = error.detail.lower()
    return error.status in (400, 422) and ("response_format" in text or "json_schema" in text)
