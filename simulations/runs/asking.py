"""Asking the provider for a step's decisions, the same way in a step's task or in a shard.

Turns are asked in batches of ``SIMNET_AGENT_BATCH`` model calls outside any transaction, with
the caller's lease renewed before each batch (a hybrid's cheap policy answers most turns alone:
those ride along free, so its texts are asked as many at once as an llm step's decisions); every
answer lands in the decision cache at once, so a killed worker's successor pays only for what was in flight. The budget guard reserves the worst case
before anything is sent: a whole step against what is left of the run's budget, a shard against
its share of it. Whatever happens to one agent is recorded on its decision; only provider-wide
problems (budget, quota, bad key, outage) stop the run, through ``stop_run``, with a sentence a
person can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from django.conf import settings

from simnet.llm.base import (
    AnswersPending,
    LLMRequest,
    Provider,
    ProviderCrashed,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from simnet.llm.pricing import price_for
from simnet.providers.build import choice_for
from simulations.engine.budget import Budget, BudgetExhausted, BudgetGuard, tokens_spent
from simulations.engine.decisions import gather_decisions
from simulations.engine.turns import AgentDecision, AgentTurn
from simulations.engine.world import World
from simulations.learning.hybrid import HybridProvider
from simulations.models import Policy, Run, RunStatus
from simulations.runs import lifecycle
from simulations.runs.events import append_event

# What stops a run rather than one agent: ``stop_run`` turns each into a pause or an ending.
RUN_STOPS = (BudgetExhausted, ProviderError)


def agent_batch_size() -> int:
    return settings.SIMNET_AGENT_BATCH


def budget_guard(run: Run, world: World) -> BudgetGuard | None:
    """The run's budget against what its committed steps spent (None without a budget, or for the
    rule policy, which asks no model: counting its prompts' tokens would cost a third of a step)."""
    if (run.budget_usd is None and run.budget_tokens is None) or run.policy == Policy.RULES:
        return None
    choice = choice_for(run.scenario.provider)
    budget = Budget(
        max_tokens=run.budget_tokens, max_usd=float(run.budget_usd) if run.budget_usd is not None else None
    )
    return BudgetGuard(budget, price_for(choice.kind, choice.model), world.spent)


def shard_guard(
    guard: BudgetGuard, step_requests: Sequence[LLMRequest], own_requests: Sequence[LLMRequest]
) -> BudgetGuard:
    """A guard for one shard of a step: what is left of the run's budget, shared among the shards
    in proportion to their worst cases. A shard's worst case fits its share exactly when the
    whole step's fits what is left (what the step's task checked before it queued the shards),
    and the shards, deciding at once in separate workers, together never spend more than is left."""
    whole, own = guard.worst_case(step_requests), guard.worst_case(own_requests)
    limit = guard.budget
    max_tokens = max_usd = None
    if limit.max_tokens is not None:
        spent = tokens_spent(guard.spent)
        left = max(0, limit.max_tokens - spent)
        max_tokens = spent + (left * own.tokens // whole.tokens if whole.tokens else left)
    if limit.max_usd is not None:
        spent_usd = guard.spent_usd()
        left_usd = max(0.0, limit.max_usd - spent_usd)
        max_usd = spent_usd + (left_usd * own.usd / whole.usd if whole.usd else left_usd)
    return BudgetGuard(Budget(max_tokens=max_tokens, max_usd=max_usd), guard.price, guard.spent)


def ask(
    turns: Sequence[AgentTurn],
    provider: Provider,
    *,
    guard: BudgetGuard | None,
    renew_lease: Callable[[], bool],
) -> list[AgentDecision] | None:
    """One decision per turn, in order; None as soon as the caller's lease is lost (then nothing
    may be written). Raises one of ``RUN_STOPS`` for a provider-wide problem."""
    decisions: list[AgentDecision] = []
    for batch in _batches(turns, provider):
        if not renew_lease():
            return None
        decisions += gather_decisions(batch, provider, guard=guard)
    return decisions


def _batches(turns: Sequence[AgentTurn], provider: Provider) -> Iterator[list[AgentTurn]]:
    """Consecutive turns, ``agent_batch_size()`` of them asking a model per batch."""
    asks_model = provider.asks_model if isinstance(provider, HybridProvider) else None
    size, batch, calls = agent_batch_size(), [], 0
    for turn in turns:
        batch.append(turn)
        calls += 1 if asks_model is None or asks_model(turn.request) else 0
        if calls == size:
            yield batch
            batch, calls = [], 0
    if batch:
        yield batch


def _wait_for_batches(run: Run, stop: AnswersPending) -> str:
    """A run answered through Message Batches waits without pausing: the step's task ends (its
    lease is released on the way out) and the watchdog, every minute, queues the run again, which
    polls the batch until it has ended; the reason says what it waits for."""
    reason = f"Waiting for the provider's batch: {stop}."
    if Run.unscoped.filter(pk=run.pk).exclude(status_reason=reason).update(status_reason=reason):
        append_event(run, "status", {"status": run.status, "reason": reason})
    return "waiting: message batch"


def stop_run(run: Run, owner: str | None, stop: Exception) -> str:
    """Pause or fail ``run`` for a provider-wide problem (``owner``: only while we hold the run's
    lease; None from a shard, which holds none); returns what happened (for task logs)."""
    if isinstance(stop, BudgetExhausted):
        lifecycle.pause(run, f"Budget reached: {stop} Raise the budget and resume to go on.", owner=owner)
        return "paused: budget"
    if isinstance(stop, QuotaExceeded):
        reason = f"The provider refused for quota or spend limits: {stop} Resume once the account has credit."
        lifecycle.pause(run, reason, owner=owner)
        return "paused: quota"
    if isinstance(stop, AnswersPending):
        return _wait_for_batches(run, stop)
    if isinstance(stop, ProviderUnavailable):
        lifecycle.pause(run, f"The provider is unavailable: {stop} Resume to try again.", owner=owner)
        return "paused: unavailable"
    if isinstance(stop, ProviderCrashed):
        lifecycle.pause(run, f"The model stopped working: {stop} Resume to try again.", owner=owner)
        return "paused: model crashed"
    reason = (
        f"The provider rejected the run: {stop} Check the provider settings (key, model, URL), then re-run."
    )
    lifecycle.finish(run, RunStatus.FAILED, reason, owner=owner)
    return "failed: provider"
