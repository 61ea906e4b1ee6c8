"""A step spread across two real ``qcluster`` processes on PostgreSQL + Redis survives SIGKILL mid-shard.

Each step of the run is cut into three shards of two turns, and the fake provider answers slowly,
so a shard lasts a while. The test waits until a worker holds a shard's lease and has answered
one of that shard's turns, kills that worker's whole process group, and reads back that the kill
landed while the lease was held and the shard was not done. The other worker then redoes the
shard once its lease expires (the watchdog queues it, here every half second) and the run must
complete with exactly one action per agent and step, having paid at most the one request that was
in flight when the worker died a second time.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from django.db import connection
from django.utils import timezone

from simulations.engine.step import plan_step
from simulations.models import Run, RunAction, RunShard, RunStatus
from simulations.runs import stepper, worlds
from simulations.runs.services import run_start
from tests.support.fake_provider import ENABLED_ENV as FAKE_PROVIDER_KINDS_ENV
from tests.support.fake_provider import logged_requests
from tests.support.subprocess_env import start_qcluster

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
]

STEPS = 4
AGENTS = 6  # the fake scenario's panel; everyone acts every step
SHARD_TURNS = 2  # three shards a step
LEASE_SECONDS = 2
ANSWER_DELAY_S = 0.5  # per request, one request per batch: a shard lasts about a second
WAIT_S = 60


def _worker_env(log) -> dict:
    return {
        "SIMNET_TEST_PROVIDER_KINDS": FAKE_PROVIDER_KINDS_ENV,
        "SIMNET_FAKE_PROVIDER": json.dumps({"log": str(log), "delay_s": ANSWER_DELAY_S}),
        "SIMNET_LEASE_SECONDS": str(LEASE_SECONDS),
        "SIMNET_SHARD_TURNS": str(SHARD_TURNS),
        "SIMNET_AGENT_BATCH": "1",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "30",
        "Q_RETRY": "40",
    }


def _shard_agents(run_id: int, step: int, start: int, stop: int) -> set[str]:
    run = Run.unscoped.select_related("scenario").get(pk=run_id)
    world = worlds.load_world(run)
    worlds.inject_live_stimuli(run, world)
    plan = plan_step(world)
    assert plan.step == step
    return {turn.agent_id for turn in plan.turns[start:stop]}


def _wait_mid_shard(run_id: int, log) -> RunShard:
    """The shard a worker holds the lease of and has answered one of its turns for (not all)."""
    deadline = time.monotonic() + WAIT_S
    watched: tuple[int, str] | None = None
    agents: set[str] = set()
    answered_before = 0
    while time.monotonic() < deadline:
        held = (
            RunShard.unscoped.filter(run_id=run_id, done=False, lease_expires_at__gt=timezone.now())
            .exclude(lease_owner="")
            .order_by("step", "index")
            .first()
        )
        answers = logged_requests(log)
        if held is None:
            watched = None
        elif watched != (held.pk, held.lease_owner):
            watched = (held.pk, held.lease_owner)
            agents = _shard_agents(run_id, held.step, held.start, held.stop)
            answered_before = len(answers)
        elif any(key in agents for key in answers[answered_before:]):
            return held
        time.sleep(0.02)
    raise AssertionError("no worker was seen holding a shard lease mid-shard")


def _kill_group(worker) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def _wait_until_done(run_id: int) -> Run:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = Run.unscoped.get(pk=run_id)
        if run.status == RunStatus.COMPLETED:
            return run
        stepper.resume_stalled()  # the watchdog's schedule, every half second
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not complete: {Run.unscoped.get(pk=run_id).status}")


def test_a_worker_killed_mid_shard_on_postgres_and_redis(fake_scenario, tenancy, fake_provider_env, settings):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL (scripts/test_all.sh starts both)")
    settings.SIMNET_LEASE_SECONDS = LEASE_SECONDS
    settings.SIMNET_SHARD_TURNS = SHARD_TURNS
    fake_scenario.steps = STEPS
    fake_scenario.save()
    log = fake_provider_env()
    workers = [start_qcluster(**_worker_env(log)) for _ in range(2)]
    try:
        run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario)[0]
        held = _wait_mid_shard(run.pk, log)
        worker_pid = int(held.lease_owner.split(":")[1])
        victim = next(w for w in workers if w.pid == os.getpgid(worker_pid))
        _kill_group(victim)
        workers.remove(victim)

        after_kill = RunShard.unscoped.get(pk=held.pk)
        assert after_kill.lease_owner == held.lease_owner and not after_kill.done  # killed holding it
        assert Run.unscoped.get(pk=run.pk).next_step == held.step  # mid-step: nothing committed
        run = _wait_until_done(run.pk)
    finally:
        for worker in workers:
            _kill_group(worker)

    expected = STEPS * AGENTS
    actions = RunAction.objects.filter(run=run)
    assert actions.count() == expected
    assert len(set(actions.values_list("step", "agent_key"))) == expected
    calls = len(logged_requests(log))
    assert expected <= calls <= expected + 1, f"{calls} provider calls for {expected} decisions"
    assert not RunShard.unscoped.filter(run=run).exists()
