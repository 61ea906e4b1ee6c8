"""Advancing a run by one step, durably (the contract in docs/architecture.md).

``advance`` claims the run's lease, plans the step, asks the provider outside any
transaction (in agent batches, renewing the lease between them; every answer lands in the
decision cache at once, so a killed worker's successor pays only for what was in flight),
applies the decisions and commits the step with a compare-and-set. Then it queues the next
step. A step too big for one task (a large panel on the offline model) is answered over several
tasks: past its time slice a task stops between batches and queues the same step again, whose
task finds the answers so far in the decision cache and goes on from there. Whatever happens to
one agent is recorded on its action; only provider-wide problems (quota, bad key, outage) pause
or fail the run, with a message a person can act on.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from simnet.llm.base import ProviderCrashed, ProviderError, ProviderUnavailable, QuotaExceeded
from simnet.llm.pricing import price_for
from simnet.llm.wrappers import GateTally
from simnet.providers.build import choice_for
from simulations.engine.budget import Budget, BudgetExhausted, BudgetGuard
from simulations.engine.decisions import gather_decisions
from simulations.engine.step import apply_step, plan_step
from simulations.engine.world import World
from simulations.models import ACTIVE_STATUSES, Run, RunStatus, Stimulus
from simulations.runs import lifecycle, persistence
from simulations.runs.events import append_event
from simulations.runs.policy import policy_provider
from simulations.runs.queue import enqueue_step

log = logging.getLogger(__name__)


def agent_batch_size() -> int:
    return settings.SIMNET_AGENT_BATCH


def step_time_slice() -> float:
    """Seconds a task spends asking the provider before it hands the step to a fresh task (half
    the queue's task timeout, so a slow batch still ends before the worker is killed)."""
    return settings.SIMNET_STEP_SLICE_S


def _change_status(run: Run, owner: str | None, status: str, reason: str) -> None:
    """Pause or end the run through ``lifecycle``, which does what every pause or ending needs."""
    if status == RunStatus.PAUSED:
        lifecycle.pause(run, reason, owner=owner)
    else:
        lifecycle.finish(run, status, reason, owner=owner)


def _over_concurrency(run: Run) -> bool:
    if run.started_at is not None:
        return False
    running = Run.unscoped.filter(organization_id=run.organization_id, status=RunStatus.RUNNING).exclude(
        pk=run.pk
    )
    return running.count() >= run.organization.max_concurrent_runs


def _inject_live_stimuli(run: Run, world: World) -> None:
    known = {p.stimulus_id for p in world.posts.values() if p.stimulus_id} | {s.id for s in world.pending}
    for stimulus in Stimulus.objects.filter(run=run).order_by("pk"):
        if f"s{stimulus.pk}" not in known:
            world.inject(persistence.engine_stimulus(stimulus, at_step=stimulus.step))  # the promised step


def _budget_guard(run: Run, world: World) -> BudgetGuard | None:
    if run.budget_usd is None and run.budget_tokens is None:
        return None
    choice = choice_for(run.scenario.provider)
    budget = Budget(
        max_tokens=run.budget_tokens, max_usd=float(run.budget_usd) if run.budget_usd is not None else None
    )
    return BudgetGuard(budget, price_for(choice.kind, choice.model), world.spent)


def advance(*, run_id: int) -> str:
    """Take one step of ``run_id`` if it is ours to take; returns what happened (for task logs)."""
    owner = lifecycle.worker_id()
    run = Run.unscoped.select_related("organization").filter(pk=run_id).first()
    if run is None or run.status not in ACTIVE_STATUSES:
        return "not active"
    if _over_concurrency(run):
        return "waiting for a free slot"
    run = lifecycle.claim(run_id, owner)
    if run is None:
        return "leased elsewhere"
    try:
        return _take_step(run, owner)
    finally:
        lifecycle.release(run.pk, owner)


def _take_step(run: Run, owner: str) -> str:
    if run.pause_requested:
        _change_status(run, owner, RunStatus.PAUSED, "Paused by a user.")
        return "paused"
    world = persistence.load_world(run)
    if run.next_step >= run.total_steps or world.finished:
        _change_status(run, owner, RunStatus.COMPLETED, "")
        return "completed"
    if run.next_step == 0 and not run.state:
        append_event(run, "status", {"status": RunStatus.RUNNING, "reason": ""})
    _inject_live_stimuli(run, world)
    plan = plan_step(world)
    guard = _budget_guard(run, world)
    gate = GateTally()
    provider = policy_provider(run, gate=gate)
    decisions = []
    slice_ends = time.monotonic() + step_time_slice()
    try:
        if guard is not None:
            guard.reserve(plan.requests)
        for batch in plan.batches(agent_batch_size()):
            if not lifecycle.heartbeat(run.pk, owner):
                return "lease lost"
            if time.monotonic() > slice_ends and any(d.usage.calls for d in decisions):  # new answers only
                lifecycle.release(run.pk, owner)  # first, so the new task can claim the run
                enqueue_step(run.pk)
                return f"step {plan.step}: {len(decisions)} answers cached, continued in a new task"
            decisions += gather_decisions(batch, provider, guard=guard)
    except BudgetExhausted as stop:
        _change_status(
            run, owner, RunStatus.PAUSED, f"Budget reached: {stop} Raise the budget and resume to go on."
        )
        return "paused: budget"
    except QuotaExceeded as stop:
        _change_status(
            run,
            owner,
            RunStatus.PAUSED,
            f"The provider refused for quota or spend limits: {stop} Resume once the account has credit.",
        )
        return "paused: quota"
    except ProviderUnavailable as stop:
        _change_status(
            run, owner, RunStatus.PAUSED, f"The provider is unavailable: {stop} Resume to try again."
        )
        return "paused: unavailable"
    except ProviderCrashed as stop:
        _change_status(
            run, owner, RunStatus.PAUSED, f"The model stopped working: {stop} Resume to try again."
        )
        return "paused: model crashed"
    except ProviderError as stop:
        _change_status(
            run,
            owner,
            RunStatus.FAILED,
            f"The provider rejected the run: {stop} "
            "Check the provider settings (key, model, URL), then re-run.",
        )
        return "failed: provider"
    result = apply_step(world, plan, decisions)
    try:
        run = persistence.commit_step(run, owner, world, result, gate=gate.as_dict())
    except persistence.StepAlreadyCommitted:
        return "duplicate"
    if run.next_step >= run.total_steps or world.finished:
        _change_status(run, None, RunStatus.COMPLETED, "")  # the commit already released our lease
        return "completed"
    enqueue_step(run.pk)  # the commit released the lease, so the next task can claim it
    return f"step {result.step} done"


def resume_stalled() -> int:
    """The watchdog: re-queue active runs whose worker died (lease expired) or never started, and
    complete the experiments whose last run's follow-up was lost."""
    stalled = lifecycle.stalled_runs()
    for run_id in stalled:
        enqueue_step(run_id)
    lifecycle.finish_stalled_experiments()
    return len(stalled)
