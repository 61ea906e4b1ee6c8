"""A step spread across workers: shards of its planned turns that any worker may decide.

A step whose policy asks the language model for every turn (``Policy.LLM``) and whose plan has
more than ``SIMNET_SHARD_TURNS`` turns is cut into shards (``RunShard``: turns ``start``..``stop``
of the plan). The step's task (``stepper``, holding the run's lease) creates the rows, queues a
``simulations.tasks.decide_shard`` for each shard neither done nor leased, and lets the run go.
Any worker on any machine then (``decide``):

1. takes the shard with a compare-and-set lease (free or expired -> mine), only while the run is
   active and still before that step, so a stale task writes nothing;
2. loads the world, plans the step again (planning is deterministic) and asks the provider for
   its slice in batches, renewing the shard's lease between them;
3. stores the decisions, the quality gate's counts and ``done`` in one UPDATE that only the lease
   holder can make, then takes the next open shard of the step, if any, and queues the run again
   once the step's last shard is done.

A cluster holds one task per worker running, ``queue_limit`` waiting and one in its pusher's
hand (three for a cluster of one worker), so the first clusters to poll can take all of a step's
shard tasks while another cluster's worker stays idle. Hence a worker that takes a shard while
others still wait for one queues one more task for any open shard (``_call_for_help``): only
clusters with room fetch it, so it reaches an idle worker, and a step makes at most twice as many
tasks as shards.

The step's task then reads the stored decisions (``gathered``) and applies and commits the step
as it does an unsharded one, so each decision's usage is counted once, whoever asked for it.
A worker killed mid-shard leaves its lease to expire; the watchdog (``requeue_expired``) queues
the shard again and its next owner gets the answers already paid for from the decision cache.
Each stored decision carries a digest of the request it answers: a shard decided on another plan
is decided again, never applied to the wrong turn.

Rule-policy and hybrid steps are decided in the step's own task: their turns ask a model for too
little for another world load and plan per shard to pay off.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from simnet.llm.wrappers import GateTally
from simulations.engine.step import plan_step
from simulations.engine.turns import AgentDecision, AgentTurn, StepPlan
from simulations.engine.world import World
from simulations.models import ACTIVE_STATUSES, Policy, Run, RunShard
from simulations.runs import asking, lifecycle, worlds
from simulations.runs.policy import policy_provider
from simulations.runs.queue import enqueue_step


@dataclass(frozen=True)
class Gathered:
    """A sharded step's decisions in plan order, and what the quality gate counted deciding them."""

    decisions: list[AgentDecision]
    gate: dict[str, Any]


def shard_turns() -> int:
    return settings.SIMNET_SHARD_TURNS


def spreads(run: Run, plan: StepPlan) -> bool:
    """Whether ``plan``'s step is decided in shards rather than in the step's own task."""
    return run.policy == Policy.LLM and len(plan.turns) > shard_turns()


def bounds(count: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) of each shard of ``count`` turns, ``size`` turns a shard (the last may be smaller)."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def asked(turn: AgentTurn) -> str:
    """A digest of what ``turn`` asks: a stored decision answers this turn only if it matches."""
    request = turn.request
    text = "\x00".join((turn.agent_id, request.system, request.user, str(request.seed)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def spread(run: Run, plan: StepPlan) -> int:
    """Create the shard rows of ``plan``'s step (once) and queue every shard neither done nor
    leased; returns how many were queued."""
    RunShard.unscoped.filter(run_id=run.pk, step__lt=plan.step).delete()  # a commit's leftovers
    RunShard.unscoped.bulk_create(
        [
            RunShard(
                organization_id=run.organization_id, run=run, step=plan.step, index=i, start=start, stop=stop
            )
            for i, (start, stop) in enumerate(bounds(len(plan.turns), shard_turns()))
        ],
        ignore_conflicts=True,  # another attempt at this step created them first
    )
    return _queue_open(run.pk, plan.step)


def gathered(run: Run, plan: StepPlan) -> Gathered | None:
    """The step's decisions once every shard of it is done, else None (then ``spread`` it).

    Shards cut differently from ``plan`` (``SIMNET_SHARD_TURNS`` changed) are dropped, and a
    shard whose decisions answer other requests than ``plan``'s is opened again."""
    shards = RunShard.unscoped.filter(run_id=run.pk, step=plan.step)
    cut = list(shards.order_by("index").values_list("start", "stop", "done"))
    if [(start, stop) for start, stop, _ in cut] != bounds(len(plan.turns), shard_turns()):
        shards.delete()
        return None
    if not all(done for _, _, done in cut):
        return None
    rows = list(shards.order_by("index").only("start", "stop", "decisions", "gate"))
    mismatched = [
        row.pk
        for row in rows
        if [d.get("asked") for d in row.decisions] != [asked(t) for t in plan.turns[row.start : row.stop]]
    ]
    if mismatched:
        shards.filter(pk__in=mismatched).update(
            done=False, decisions=[], gate={}, lease_owner="", lease_expires_at=None
        )
        return None
    decisions = [AgentDecision.from_dict(d) for row in rows for d in row.decisions]
    return Gathered(decisions, summed_gate([row.gate for row in rows]))


def forget(run_id: int, step: int) -> None:
    """Drop a committed step's shards (their decisions are in the step's ``RunStep`` now)."""
    RunShard.unscoped.filter(run_id=run_id, step=step).delete()


def summed_gate(gates: list[dict[str, Any]]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    for gate in gates:
        reasons.update(gate.get("by_reason", {}))
    return {
        "checked": sum(gate.get("checked", 0) for gate in gates),
        "rejected": sum(gate.get("rejected", 0) for gate in gates),
        "by_reason": dict(reasons),
    }


def decide(*, run_id: int, step: int, index: int | None) -> str:
    """Decide shard ``index`` of ``step`` (any open shard when None) if it is open, then any other
    open shard of the step: a cluster fetches tasks ahead of its workers, so a shard's own task may
    wait behind another on a busy machine while an idle worker elsewhere takes the shard. Returns
    what happened (for task logs)."""
    owner = lifecycle.worker_id()
    shard = (index is not None and _claim(run_id, step, owner, index=index)) or _claim(run_id, step, owner)
    if shard is None:
        return "nothing to decide: done, leased elsewhere or stale"
    _call_for_help(run_id, step)
    run = Run.unscoped.select_related("scenario", "organization", "policy_model").get(pk=run_id)
    world = worlds.take(run)
    worlds.inject_live_stimuli(run, world)
    plan = plan_step(world)
    worlds.keep(run.pk, world)  # unchanged by planning: the next task on this run takes it back
    decided = []
    while shard is not None:
        try:
            outcome = _decide(run, world, plan, shard, owner)
        finally:
            _release(shard.pk, owner)  # a stored shard has no lease left to release
        if outcome:
            return outcome
        decided.append(str(shard.index))
        shard = _claim(run_id, step, owner)
        if shard is not None:
            _call_for_help(run_id, step)
    done = f"step {step}: shard(s) {', '.join(decided)} done"
    if RunShard.unscoped.filter(run_id=run_id, step=step, done=False).exists():
        return done
    enqueue_step(run_id)  # the step's last shard: the step's task applies and commits the step
    return f"{done}, the step is ready"


def _decide(run: Run, world: World, plan: StepPlan, shard: RunShard, owner: str) -> str:
    """Ask for the shard's turns and store the decisions; what stopped it, or "" once stored."""
    turns = plan.turns[shard.start : shard.stop]
    if plan.step != shard.step or len(turns) != shard.stop - shard.start:
        return "planned differently"  # the step's task drops these shards when it sees the same plan
    gate = GateTally()
    guard = asking.budget_guard(run, world)
    if guard is not None:
        guard = asking.shard_guard(guard, plan.requests, [turn.request for turn in turns])
    try:
        decisions = asking.ask(
            turns, policy_provider(run, gate=gate), guard=guard, renew_lease=lambda: _renew(shard.pk, owner)
        )
    except asking.RUN_STOPS as stop:
        return asking.stop_run(run, None, stop)
    if decisions is None or not _store(shard.pk, owner, turns, decisions, gate.as_dict()):
        return "lease lost"
    return ""


def requeue_expired() -> int:
    """The watchdog's part for shards: queue again those whose worker died (lease expired, not done)."""
    expired = list(
        RunShard.unscoped.filter(
            done=False,
            lease_expires_at__lt=timezone.now(),
            run__status__in=ACTIVE_STATUSES,
            run__next_step=F("step"),
        ).values_list("run_id", "step", "index")
    )
    for run_id, step, index in expired:
        _enqueue(run_id, step, index)
    return len(expired)


def _waiting(run_id: int, step: int):
    """The step's shards that are neither done nor leased (an expired lease counts as none)."""
    return RunShard.unscoped.filter(run_id=run_id, step=step, done=False).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=timezone.now())
    )


def _queue_open(run_id: int, step: int) -> int:
    open_shards = list(_waiting(run_id, step).values_list("index", flat=True))
    for index in open_shards:
        _enqueue(run_id, step, index)
    return len(open_shards)


def _call_for_help(run_id: int, step: int) -> None:
    """One more task for any open shard while shards wait for a worker (see the module's notes)."""
    if _waiting(run_id, step).exists():
        _enqueue(run_id, step, None)


def _enqueue(run_id: int, step: int, index: int | None) -> None:
    """Ask a worker to decide the shard (any open one when None) once the caller's writes are visible."""
    name = f"run-{run_id}-{step}-{'any' if index is None else index}"
    transaction.on_commit(
        lambda: async_task("simulations.tasks.decide_shard", run_id, step, index, task_name=name)
    )


def _lease_until():
    return timezone.now() + timedelta(seconds=lifecycle.lease_seconds())


def _claim(run_id: int, step: int, owner: str, *, index: int | None = None) -> RunShard | None:
    """Take the lease of shard ``index`` (else of the first open one) of ``step`` if it is free or
    expired and not done, while the run is active and still before that step."""
    open_shards = _waiting(run_id, step).filter(run__status__in=ACTIVE_STATUSES, run__next_step=step)
    if index is not None:
        open_shards = open_shards.filter(index=index)
    for shard_id in open_shards.order_by("index").values_list("pk", flat=True)[:8]:
        if open_shards.filter(pk=shard_id).update(lease_owner=owner, lease_expires_at=_lease_until()):
            return RunShard.unscoped.get(pk=shard_id)
    return None


def _renew(shard_id: int, owner: str) -> bool:
    """Extend our lease; False if we lost it or the run stopped (then we must not store)."""
    return bool(
        RunShard.unscoped.filter(
            pk=shard_id, lease_owner=owner, done=False, run__status__in=ACTIVE_STATUSES
        ).update(lease_expires_at=_lease_until())
    )


def _store(shard_id: int, owner: str, turns, decisions: list[AgentDecision], gate: dict[str, Any]) -> bool:
    """Decisions, gate counts and ``done`` in one UPDATE, only while we hold the lease and the
    step is not committed. ``lease_owner`` stays: it names who decided the shard."""
    stored = [{**decision.to_dict(), "asked": asked(turn)} for turn, decision in zip(turns, decisions)]
    return bool(
        RunShard.unscoped.filter(pk=shard_id, lease_owner=owner, done=False, run__next_step=F("step")).update(
            decisions=stored, gate=gate, done=True, lease_expires_at=None
        )
    )


def _release(shard_id: int, owner: str) -> None:
    RunShard.unscoped.filter(pk=shard_id, lease_owner=owner, done=False).update(
        lease_owner="", lease_expires_at=None
    )
