"""Tool use on an OpenAI-compatible server: one ``ToolChat`` turn as a chat completion with ``tools``.

Built on an ``OpenAICompatProvider`` so a conversation keeps everything a decision gets: its
bounded retries on 429/5xx and ``Retry-After``, the shared rate limiter, the guarded transport of
a customer's ``base_url``, the price table, and errors told by status code only (the server's
own words are never shown).

The transcript maps onto function calling: the model's ``tool_calls`` on an assistant message,
then one ``role: "tool"`` message per call with its ``tool_call_id``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import httpx

from simnet.llm.base import LLMRequest, ProviderError, ProviderUnavailable
from simnet.llm.batching import run_sync, shared_ssl_context
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.tool_use import Entry, ModelTurn, ToolCall, ToolSpec


def messages_for(system: str, transcript: Sequence[Entry]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for entry in transcript:
        if isinstance(entry, str):
            messages.append({"role": "user", "content": entry})
        elif isinstance(entry, ModelTurn):
            message: dict[str, Any] = {"role": "assistant", "content": entry.text or None}
            if entry.calls:
                message["tool_calls"] = [
                    {"id": c.id, "type": "function",
                     "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))}}
                    for c in entry.calls
                ]  # fmt: skip
            messages.append(message)
        else:
            messages += [{"role": "tool", "tool_call_id": r.call.id, "content": r.content} for r in entry]
    return messages


def _arguments(raw: Any) -> dict[str, Any]:
    """The call's arguments (a JSON string on the wire); unreadable ones become none, which the
    tool then refuses with a message the model can act on."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except (json.JSONDecodeError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


class OpenAIToolChat:
    name = "openai_compat"

    def __init__(self, provider: OpenAICompatProvider) -> None:
        self.provider = provider
        self.model = provider.model

    def turn(
        self,
        *,
        system: str,
        transcript: Sequence[Entry],
        tools: Sequence[ToolSpec],
        use_tools: bool,
        max_tokens: int,
    ) -> ModelTurn:
        messages = messages_for(system, transcript)
        body = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": messages,
            "tools": [{"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": dict(t.input_schema)}}
                for t in tools],
            "tool_choice": "auto" if use_tools else "none",
        }  # fmt: skip
        # what the rate limiter counts: the whole conversation so far, and the longest answer
        metered = LLMRequest(key="tool-chat", system=system, user=json.dumps(messages), max_tokens=max_tokens)
        return run_sync(self._call(metered, body))

    async def _call(self, metered: LLMRequest, body: dict[str, Any]) -> ModelTurn:
        provider = self.provider
        started = time.perf_counter()
        async with httpx.AsyncClient(
            base_url=provider._base_url,
            headers=provider._headers,
            timeout=provider._timeout_s,
            verify=shared_ssl_context(),
            transport=provider._transport() if provider._transport is not None else None,
            trust_env=provider._transport is None,  # a proxy from the environment would bypass the guard
        ) as client:
            outcome = await provider._post(client, metered, body)
        if isinstance(outcome, str):
            raise ProviderUnavailable(f"{provider.name}: {outcome}")
        if not isinstance(outcome, httpx.Response):
            failed = provider._failure(metered, outcome)  # raises for a bad key, a missing model
            raise (ProviderUnavailable if failed.retryable else ProviderError)(
                f"{provider.name}: {failed.error}"
            )
        return self._turn(outcome, time.perf_counter() - started)

    def _turn(self, response: httpx.Response, latency_s: float) -> ModelTurn:
        try:
            payload = response.json()
            choice = payload["choices"][0]
            message = choice["message"]
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):
            raise ProviderUnavailable(f"{self.provider.name}: not an OpenAI chat completion") from None
        calls = tuple(
            ToolCall(str(call.get("id") or f"call_{index}"), call["function"]["name"],
                     _arguments(call["function"].get("arguments")))
            for index, call in enumerate(message.get("tool_calls") or [])
        )  # fmt: skip
        usage = self.provider._usage(payload.get("usage") or {}, latency_s)
        return ModelTurn(
            text=message.get("content") or "",
            calls=calls,
            usage=usage,
            stop=choice.get("finish_reason") or "",
        )
