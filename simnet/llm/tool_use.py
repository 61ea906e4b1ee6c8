"""A model that may call tools before it answers, and the bounded loop that serves its calls.

The decision providers (``base.Provider``) answer one prompt with one reply; a model that reads
data through tools needs a conversation instead: it asks for tool calls, gets their results, asks
again, then writes. ``ToolChat`` is that conversation's one primitive (one model turn over a
neutral transcript); ``anthropic_tools`` and ``openai_tools`` speak it on the wire, so the loop
here and its bounds are the same for every provider and testable without one.

Bounds, because a model may never stop asking: at most ``max_rounds`` rounds of tool calls, and
no more tools once ``max_cost_usd`` or ``max_tokens`` is spent; either way the model is asked
once more, without tools, to write from what it has (that answer is capped by ``answer_tokens``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from simnet.llm.base import ZERO_USAGE, ProviderError, Usage

MAX_RESULT_CHARS = 6000  # a tool result longer than this is cut: the model's context is paid for
LAST_CALL = "No more tool calls are possible: write your answer now from what you have read."


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: its name, what it is for, and the JSON schema of its arguments."""

    name: str
    description: str
    input_schema: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str  # the provider's id, echoed back with the result
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class ToolResult:
    call: ToolCall
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class ModelTurn:
    """What the model said in one turn: text, tool calls, or both."""

    text: str
    calls: tuple[ToolCall, ...] = ()
    usage: Usage = ZERO_USAGE
    stop: str = ""  # the provider's stop or finish reason, as it said it


# A transcript: the user's prompt (str), the model's turns, and the results of each turn's calls.
Entry = str | ModelTurn | tuple[ToolResult, ...]


class ToolChat(Protocol):
    name: str
    model: str

    def turn(
        self,
        *,
        system: str,
        transcript: Sequence[Entry],
        tools: Sequence[ToolSpec],
        use_tools: bool,
        max_tokens: int,
    ) -> ModelTurn:
        """The model's next turn. ``tools`` are always declared (a transcript holding tool calls
        needs them); ``use_tools=False`` forbids calling them. Raises ``ProviderError``."""
        ...


@dataclass(frozen=True)
class LoopLimits:
    max_rounds: int = 6
    max_cost_usd: float = 0.25
    max_tokens: int = 60_000
    answer_tokens: int = 1500


@dataclass
class LoopOutcome:
    text: str
    rounds: int  # rounds in which tools were called
    stop: str  # answered | round_limit | budget | provider_error
    usage: Usage = ZERO_USAGE
    calls: list[dict[str, Any]] = field(default_factory=list)  # what was called, for the record
    error: str = ""


def _spent(usage: Usage, limits: LoopLimits) -> bool:
    return usage.cost_usd >= limits.max_cost_usd or usage.total_tokens >= limits.max_tokens


def _serve(call: ToolCall, execute: Callable[[ToolCall], str], round_no: int) -> tuple[ToolResult, dict]:
    """Run one call; an unknown tool or bad arguments come back to the model as an error result."""
    try:
        content, is_error = execute(call), False
    except (KeyError, ValueError, TypeError) as problem:
        content, is_error = f"error: {problem}", True
    if len(content) > MAX_RESULT_CHARS:
        content = content[:MAX_RESULT_CHARS] + "\n[cut: ask for less]"
    record = {
        "round": round_no,
        "name": call.name,
        "arguments": json.loads(json.dumps(call.arguments, default=str)),
        "result_chars": len(content),
        "error": is_error,
    }
    return ToolResult(call, content, is_error), record


def run_tool_loop(
    chat: ToolChat,
    *,
    system: str,
    prompt: str,
    tools: Sequence[ToolSpec],
    execute: Callable[[ToolCall], str],
    limits: LoopLimits = LoopLimits(),
) -> LoopOutcome:
    """Converse until the model answers without calling tools, or a bound makes it answer.

    A provider failure ends the conversation with ``stop="provider_error"`` and the usage so far."""
    transcript: list[Entry] = [prompt]
    outcome = LoopOutcome(text="", rounds=0, stop="answered")
    stop_reason = ""
    while True:
        use_tools = not stop_reason
        try:
            turn = chat.turn(
                system=system, transcript=transcript, tools=tools, use_tools=use_tools,
                max_tokens=limits.answer_tokens,
            )  # fmt: skip
        except ProviderError as failure:  # what was spent before it is kept, to be charged
            outcome.stop, outcome.error = "provider_error", str(failure) or type(failure).__name__
            return outcome
        outcome.usage = outcome.usage + turn.usage
        transcript.append(turn)
        if not turn.calls or not use_tools:  # answered, or still asking after its last chance
            outcome.text = turn.text.strip()
            outcome.stop = stop_reason or "answered"
            return outcome
        outcome.rounds += 1
        served = [_serve(call, execute, outcome.rounds) for call in turn.calls]
        transcript.append(tuple(result for result, _ in served))
        outcome.calls += [record for _, record in served]
        if outcome.rounds >= limits.max_rounds:
            stop_reason = "round_limit"
        elif _spent(outcome.usage, limits):
            stop_reason = "budget"
        if stop_reason:
            transcript.append(LAST_CALL)
