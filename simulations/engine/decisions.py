"""Asking the provider: one request per turn, then at most one retry per agent.

An unusable answer (no JSON, unknown action, a P-id not in the feed...) gets one correction
request: the same prompt plus a short note naming the problem. A transient provider error gets
the same request once more. Whatever is still unusable becomes an error decision for that agent;
nothing here stops the step. This module touches no world state, so batches can be decided by
different workers and the decisions stored (``AgentDecision.to_dict``) until the step is applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from simnet.llm.base import LLMRequest, LLMResponse, Provider, ProviderError
from simulations.engine.budget import BudgetGuard
from simulations.engine.formats import FORMATS
from simulations.engine.parsing import payload_of
from simulations.engine.turns import AgentDecision, AgentTurn, Decision


@dataclass(frozen=True)
class _Reading:
    decision: Decision | None
    problem: str | None  # why the answer is unusable (None when it is usable)
    retry: bool  # worth one more request


def read_response(turn: AgentTurn, response: LLMResponse) -> _Reading:
    """Interpret one answer for ``turn`` without touching the world."""
    if response.error and not response.text.strip():
        return _Reading(None, f"provider error: {response.error}", response.retryable)
    payload = payload_of(response.data, response.text)  # an answer flagged as bad may still be readable
    if payload is None:
        return _Reading(None, response.error or "the answer held no JSON object", True)
    parsed = FORMATS[turn.format].parse(turn, payload)
    if isinstance(parsed, str):
        return _Reading(None, parsed, True)
    return _Reading(parsed, None, False)


def repair_request(turn: AgentTurn, problem: str, *, transient: bool) -> LLMRequest:
    """The one retry: the same request after a transient error, else with a correction note."""
    seed = (turn.request.seed + 1) & 0x7FFFFFFF  # a fresh but reproducible sample
    if transient:
        return replace(turn.request, seed=seed)
    note = f"\n\nYour last answer could not be used: {problem}. {FORMATS[turn.format].repair_note}"
    return replace(turn.request, user=turn.request.user + note, seed=seed)


def gather_decisions(
    turns: Sequence[AgentTurn], provider: Provider, *, guard: BudgetGuard | None = None
) -> list[AgentDecision]:
    """One decision per turn, in order. With a ``guard``, the first round is reserved (raising
    ``BudgetExhausted`` before anything is sent) and the retry round is skipped if it does not
    fit. Provider-wide failures (``ProviderError``, e.g. ``QuotaExceeded``) propagate."""
    if not turns:
        return []
    if guard is not None:
        guard.reserve([t.request for t in turns])
    first = _ask(provider, [t.request for t in turns], guard)
    readings = [read_response(turn, response) for turn, response in zip(turns, first)]
    results: list[AgentDecision] = [
        AgentDecision(
            t.agent_id, r.decision, r.problem if r.decision is None else None, resp.usage, 1, resp.text
        )
        for t, r, resp in zip(turns, readings, first)
    ]
    retry_at = [i for i, r in enumerate(readings) if r.decision is None and r.retry]
    if not retry_at:
        return results
    retries = [
        repair_request(turns[i], readings[i].problem or "", transient=_is_transient(first[i]))
        for i in retry_at
    ]
    if guard is not None and not guard.affordable(retries):
        for i in retry_at:
            results[i] = replace(results[i], error=f"{results[i].error} (no retry: budget)")
        return results
    for i, response in zip(retry_at, _ask(provider, retries, guard)):
        reading = read_response(turns[i], response)
        error = (
            None if reading.decision else f"after one retry: {reading.problem} (first: {results[i].error})"
        )
        results[i] = AgentDecision(
            turns[i].agent_id, reading.decision, error, results[i].usage + response.usage, 2, response.text
        )
    return results


def _is_transient(response: LLMResponse) -> bool:
    """A failure of the call itself (no answer text): ask the same again, no correction note."""
    return response.error is not None and not response.text.strip()


def _ask(provider: Provider, requests: list[LLMRequest], guard: BudgetGuard | None) -> list[LLMResponse]:
    responses = provider.generate(requests)
    if len(responses) != len(requests):
        raise ProviderError(f"{provider.name} answered {len(responses)} of {len(requests)} requests")
    for request, response in zip(requests, responses):
        if response.key != request.key:
            raise ProviderError(f"{provider.name} answered {response.key!r} where {request.key!r} was asked")
    if guard is not None:
        for response in responses:
            guard.charge(response.usage)
    return responses
