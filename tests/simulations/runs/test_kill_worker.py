"""Runs survive a killed worker: SIGKILL a real qcluster in the middle of a step, ten times.

Before each kill the test waits until the worker holds the run's lease in a step later than the
one the previous kill interrupted and has answered a decision of it (the provider answers slowly,
so a step lasts a while). What a kill interrupted is read back from the run row once the worker
is dead: a kill that landed before the claim or after the commit does not count, and at least 8
of the 10 must have caught a held lease mid-step. The run must then complete with exactly one
action per agent and step, and at most one extra provider call per kill (only the request in
flight when the worker died is paid twice; everything answered before is in the decision cache).
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from itertools import pairwise

import pytest
from django.utils import timezone

from simulations.models import ACTIVE_STATUSES, Run, RunAction, RunStatus
from simulations.runs import stepper
from simulations.runs.services import run_start
from tests.support.fake_provider import ENABLED_ENV as FAKE_PROVIDER_KINDS_ENV
from tests.support.fake_provider import logged_requests
from tests.support.subprocess_env import start_qcluster

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

KILLS = 10
MID_STEP_KILLS_REQUIRED = 8
STEPS = 12  # each kill lands at least one step further on; the last leaves steps to finish
AGENTS = 6  # the fake scenario's panel; everyone acts every step
LEASE_SECONDS = 2
ANSWER_DELAY_S = 0.2  # per request, one request per batch: a step is ~1.2 s of asked batches
MID_STEP_WAIT_S = 60  # bound per kill; a kill that waited this long still counts against the run


@dataclass(frozen=True)
class Kill:
    step: int  # the run's next step when its worker died
    mid_step: bool  # the dead worker still held the lease of that uncommitted step


class Watchdog:
    """What the watchdog schedule does every minute, every half second here: re-queue a run
    whose worker died (lease expired) so the next worker picks it up."""

    def __init__(self) -> None:
        self.next_at = 0.0

    def poke(self) -> None:
        if time.monotonic() >= self.next_at:
            stepper.resume_stalled()
            self.next_at = time.monotonic() + 0.5


def _worker_env(log) -> dict:
    return {
        "SIMNET_TEST_PROVIDER_KINDS": FAKE_PROVIDER_KINDS_ENV,
        "SIMNET_FAKE_PROVIDER": json.dumps({"log": str(log), "delay_s": ANSWER_DELAY_S}),
        "SIMNET_LEASE_SECONDS": str(LEASE_SECONDS),
        "SIMNET_AGENT_BATCH": "1",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "30",
        "Q_RETRY": "40",
    }


def _kill(worker) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def _held_lease(run: Run) -> tuple[str, int] | None:
    """(lease owner, step) while a worker holds an unexpired lease on ``run``, else None."""
    if run.lease_owner and run.lease_expires_at and run.lease_expires_at > timezone.now():
        return run.lease_owner, run.next_step
    return None


def _wait_mid_step(run_id: int, log, after_step: int, watchdog: Watchdog) -> tuple[str, int] | None:
    """Wait until a worker holds the lease of a step later than ``after_step`` and has answered a
    request since it was seen holding it; that (owner, step), or None once the run has ended or
    after MID_STEP_WAIT_S."""
    deadline = time.monotonic() + MID_STEP_WAIT_S
    seen, answers_when_seen = None, 0
    while time.monotonic() < deadline:
        run = Run.unscoped.get(pk=run_id)
        if run.status not in ACTIVE_STATUSES:
            return None
        held = _held_lease(run)
        answers = len(logged_requests(log))
        if held is None or held[1] <= after_step:
            seen = None
            if held is None:
                watchdog.poke()
        elif held != seen:
            seen, answers_when_seen = held, answers
        elif answers > answers_when_seen:
            return held
        time.sleep(0.03)
    return None


def _what_the_kill_interrupted(run_id: int, held: tuple[str, int] | None) -> Kill:
    """Read once the worker is dead: did it die holding the lease of the step it was answering?"""
    run = Run.unscoped.get(pk=run_id)
    return Kill(step=run.next_step, mid_step=held == (run.lease_owner, run.next_step))


def _wait_until_done(run_id: int, timeout: float, watchdog: Watchdog) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.unscoped.get(pk=run_id)
        if run.status == RunStatus.COMPLETED:
            return run
        if _held_lease(run) is None:
            watchdog.poke()
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not complete: {Run.unscoped.get(pk=run_id).status}")


def _kill_mid_step(run_id: int, log, watchdog: Watchdog) -> list[Kill]:
    kills: list[Kill] = []
    for _ in range(KILLS):
        worker = start_qcluster(**_worker_env(log))
        try:
            held = _wait_mid_step(run_id, log, after_step=kills[-1].step if kills else -1, watchdog=watchdog)
        finally:
            _kill(worker)
        kills.append(_what_the_kill_interrupted(run_id, held))
    return kills


def _kill_test(scenario, user, log, settings_override):
    settings_override.SIMNET_LEASE_SECONDS = LEASE_SECONDS
    run = run_start(organization=scenario.organization, actor=user, scenario=scenario)[0]
    watchdog = Watchdog()
    kills = _kill_mid_step(run.pk, log, watchdog)
    worker = start_qcluster(**_worker_env(log))
    try:
        run = _wait_until_done(run.pk, timeout=120, watchdog=watchdog)
    finally:
        _kill(worker)

    mid_step = [kill for kill in kills if kill.mid_step]
    assert len(mid_step) >= MID_STEP_KILLS_REQUIRED, f"kills that caught a held lease mid-step: {kills}"
    steps = [kill.step for kill in kills]
    assert all(a < b for a, b in pairwise(steps)), f"the run did not advance between kills: {steps}"
    expected = STEPS * AGENTS
    actions = RunAction.objects.filter(run=run)
    assert actions.count() == expected
    assert len(set(actions.values_list("step", "agent_key"))) == expected
    calls = len(logged_requests(log))
    assert expected <= calls <= expected + KILLS, f"{calls} provider calls for {expected} decisions"


def test_orm_broker_run_survives_kill_9(fake_scenario, tenancy, fake_provider_env, settings):
    fake_scenario.steps = STEPS
    fake_scenario.save()
    _kill_test(fake_scenario, tenancy.member, fake_provider_env(), settings)


@pytest.mark.redis
def test_redis_broker_run_survives_kill_9(fake_scenario, tenancy, fake_provider_env, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: scripts/test_all.sh starts redis-server for this")
    fake_scenario.steps = STEPS
    fake_scenario.save()
    _kill_test(fake_scenario, tenancy.member, fake_provider_env(), settings)
