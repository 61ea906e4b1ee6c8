"""Tool use on Claude: one ``ToolChat`` turn as a Messages API call with ``tools``.

Built on an ``AnthropicProvider`` rather than beside it, so a conversation goes through the same
client as every decision: the organization's rate limiter and 429 pauses, the guarded transport
of a customer's ``base_url``, the SDK's retries, the same prices, and the same rule about which
error words may be shown (the official API's, or only a status code from a custom server).

The transcript maps onto the wire as the API documents tool use: the model's ``tool_use`` blocks
in an assistant message, then one user message of ``tool_result`` blocks with their ids.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import anthropic

from simnet.llm.anthropic_provider import AnthropicProvider, _refusal
from simnet.llm.base import ProviderError, ProviderUnavailable
from simnet.llm.batching import run_sync
from simnet.llm.ratelimit import request_tokens
from simnet.llm.tool_use import Entry, ModelTurn, ToolCall, ToolResult, ToolSpec


def _content(entry: Entry) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(entry, str):
        return "user", [{"type": "text", "text": entry}]
    if isinstance(entry, ModelTurn):
        blocks: list[dict[str, Any]] = [{"type": "text", "text": entry.text}] if entry.text else []
        blocks += [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": dict(c.arguments)} for c in entry.calls
        ]
        return "assistant", blocks
    return "user", [_result_block(result) for result in entry]


def _result_block(result: ToolResult) -> dict[str, Any]:
    return {
        "type": "tool_result", "tool_use_id": result.call.id, "content": result.content,
        "is_error": result.is_error,
    }  # fmt: skip


def messages_for(transcript: Sequence[Entry]) -> list[dict[str, Any]]:
    """The Messages API ``messages``: consecutive entries of one role in one message (the text
    asking for a last answer goes after the tool results it follows)."""
    messages: list[dict[str, Any]] = []
    for entry in transcript:
        role, blocks = _content(entry)
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"] += blocks
        else:
            messages.append({"role": role, "content": blocks})
    return messages


class AnthropicToolChat:
    name = "anthropic"

    def __init__(self, provider: AnthropicProvider) -> None:
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
        params = {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": system,
            "messages": messages_for(transcript),
            "tools": [{"name": t.name, "description": t.description, "input_schema": dict(t.input_schema)}
                      for t in tools],
            "tool_choice": {"type": "auto"} if use_tools else {"type": "none"},
        }  # fmt: skip
        return run_sync(self._call(params))

    async def _call(self, params: dict[str, Any]) -> ModelTurn:
        provider = self.provider
        await provider.limiter.acquire(
            request_tokens(params["system"], str(params["messages"]), "", params["max_tokens"])
        )
        started = time.perf_counter()
        async with provider._async_client() as client:  # the provider's own client: limits, transport
            try:
                message = await client.messages.create(**params)
            except anthropic.APIStatusError as err:
                raise provider._account_error(err) or ProviderError(
                    f"anthropic: {provider._detail(err)}"
                ) from err
            except anthropic.APIConnectionError as err:
                raise _refusal(err) or ProviderUnavailable(f"anthropic: connection failed ({err})") from None
        usage = provider._usage(message.usage, time.perf_counter() - started, 1.0)
        text = "".join(block.text for block in message.content if block.type == "text")
        calls = tuple(
            ToolCall(block.id, block.name, dict(block.input or {}))
            for block in message.content
            if block.type == "tool_use"
        )
        return ModelTurn(text=text, calls=calls, usage=usage, stop=message.stop_reason or "")
