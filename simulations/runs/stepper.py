"""Advancing a run by one step, durably (the contract in docs/architecture.md).

``advance`` claims the run's lease, plans the step, asks the provider outside any
transaction (in agent batches, renewing the lease between them; every answer lands in the
decision cache at once, so a killed worker's successor pays only for what was in flight),
applies the decisions and commits the step with a compare-and-set. Then it takes the next step
in the same task, from the world it kept in memory, until its time slice is over
(``SIMNET_TASK_SLICE_S``), and queues the run again. A step too big for one task (more than ``SIMNET_SHARD_TURNS`` turns, each asking the
model) is spread across workers instead (``shards``): this task queues its shards and ends, and
once the last shard is done the step's next task applies and commits their stored decisions the
same way. Whatever happens to one agent is recorded on its action; only provider-wide problems
(budget, quota, bad key, outage) pause or fail the run, with a message a person can act on.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from simnet.llm.wrappers import GateTally
from simulations.engine.step import apply_step, plan_step
from simulations.engine.turns import AgentDecision, StepPlan
from simulations.engine.world import World
from simulations.learning.hybrid import HybridProvider
from simulations.models import ACTIVE_STATUSES, Policy, Run, RunEvent, RunStatus
from simulations.runs import asking, lifecycle, persistence, shards, worlds
from simulations.runs.events import append_event
from simulations.runs.policy import policy_provider
from simulations.runs.queue import enqueue_step

log = logging.getLogger(__name__)


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


def task_slice() -> float:
    """Seconds a task goes on taking the run's next steps before it queues the run again."""
    return settings.SIMNET_TASK_SLICE_S


def advance(*, run_id: int) -> str:
    """Take steps of ``run_id`` while it is ours to take; returns what happened (for task logs).

    After a committed step the same task takes the next one, within ``task_slice()``: the world
    it kept in memory is the next step's (no rebuild from the database) and no queue round trip
    comes between steps. Each step claims the lease anew, so a pause or a cancel still takes
    effect at the next step. Past the slice the run is queued again, so other runs get a turn."""
    owner = lifecycle.worker_id()
    ends = time.monotonic() + task_slice()
    while True:
        outcome, committed = _advance_once(run_id, owner)
        if not committed:
            return outcome
        if time.monotonic() >= ends:
            enqueue_step(run_id)  # the commit released the lease, so the next task can claim it
            return outcome


def _advance_once(run_id: int, owner: str) -> tuple[str, bool]:
    """One step, if the run is ours to take: what happened, and whether a step was committed with
    more to take."""
    run = Run.unscoped.select_related("organization").filter(pk=run_id).first()
    if run is None or run.status not in ACTIVE_STATUSES:
        return "not active", False
    if _over_concurrency(run):
        return "waiting for a free slot", False
    run = lifecycle.claim(run_id, owner)
    if run is None:
        return "leased elsewhere", False
    try:
        return _take_step(run, owner)
    finally:
        lifecycle.release(run.pk, owner)


def _said_running(run: Run) -> bool:
    """Whether the run's events already say it runs (its first step may take several tasks)."""
    return RunEvent.objects.filter(run=run, kind="status", payload__status=RunStatus.RUNNING).exists()


def _take_step(run: Run, owner: str) -> tuple[str, bool]:
    if run.pause_requested:
        _change_status(run, owner, RunStatus.PAUSED, "Paused by a user.")
        return "paused", False
    world = worlds.take(run)
    if run.next_step >= run.total_steps or world.finished:
        _change_status(run, owner, RunStatus.COMPLETED, "")
        return "completed", False
    if run.next_step == 0 and not _said_running(run):
        append_event(run, "status", {"status": RunStatus.RUNNING, "reason": ""})
    worlds.inject_live_stimuli(run, world)
    plan = plan_step(world)
    asked = _decisions(run, owner, world, plan)
    if isinstance(asked, str):
        return asked, False
    decisions, gate = asked
    result = apply_step(world, plan, decisions)
    try:
        run = persistence.commit_step(run, owner, world, result, decisions, gate=gate)
    except persistence.StepAlreadyCommitted:
        return "duplicate", False
    shards.forget(run.pk, result.step)
    if run.next_step >= run.total_steps or world.finished:
        _change_status(run, None, RunStatus.COMPLETED, "")  # the commit already released our lease
        return "completed", False
    return f"step {result.step} done", True


def _decisions(run: Run, owner: str, world: World, plan: StepPlan) -> tuple[list[AgentDecision], dict] | str:
    """The step's decisions and what the quality gate counted, or what happened instead. Asked
    here, or, for a step spread across workers, read from its shards once all are done (until
    then its shards are queued and this task ends)."""
    guard = asking.budget_guard(run, world)
    try:
        if shards.spreads(run, plan):
            stored = shards.gathered(run, plan)
            if stored is not None:
                return stored.decisions, stored.gate
            if guard is not None:
                guard.reserve(plan.requests)  # the whole step's worst case, as for an unsharded one
            queued = shards.spread(run, plan)
            worlds.keep(run.pk, world)  # only live stimuli were added: the commit's task takes it back
            return f"step {plan.step}: {queued} shard(s) queued"
        gate = GateTally()
        if guard is not None and run.policy != Policy.HYBRID:
            guard.reserve(plan.requests)  # before a provider that submits at once (Message Batches)
        provider = policy_provider(run, gate=gate, step_requests=plan.requests)
        if guard is not None and isinstance(provider, HybridProvider):
            guard.count_only(provider.asks_model)  # the turns whose words a model writes
            guard.reserve(plan.requests)
        decisions = asking.ask(
            plan.turns, provider, guard=guard, renew_lease=lambda: lifecycle.heartbeat(run.pk, owner)
        )
    except asking.RUN_STOPS as stop:
        return asking.stop_run(run, owner, stop)
    if decisions is None:
        return "lease lost"
    return decisions, gate.as_dict()


def resume_stalled() -> int:
    """The watchdog: re-queue active runs whose worker died (lease expired) or never started and
    shards whose worker died mid-shard, and complete the experiments whose last run's follow-up
    was lost."""
    stalled = lifecycle.stalled_runs()
    for run_id in stalled:
        enqueue_step(run_id)
    shards.requeue_expired()
    lifecycle.finish_stalled_experiments()
    return len(stalled)
