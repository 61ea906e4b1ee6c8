"""Runs survive a killed worker: kill -9 a real qcluster at random points, 10+ times.

The run must complete with exactly one action per agent and step, no duplicates, and at most
one extra provider call per kill (only the request in flight when the worker died is paid
twice; everything answered before is in the decision cache).
"""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest

from simnet.testing import start_qcluster
from simulations import stepper
from simulations.models import Run, RunAction, RunStatus
from simulations.services import run_start
from simulations.test_providers import logged_requests

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

KILLS = 10
LEASE_SECONDS = 2


def _worker_env(log) -> dict:
    return {
        "SIMNET_TEST_PROVIDERS": "1",
        "SIMNET_FAKE_PROVIDER": json.dumps({"log": str(log), "delay_s": 0.04}),
        "SIMNET_LEASE_SECONDS": str(LEASE_SECONDS),
        "SIMNET_AGENT_BATCH": "1",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "30",
        "Q_RETRY": "40",
    }


def _kill(worker) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def _wait_until_done(run_id: int, timeout: float) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.unscoped.get(pk=run_id)
        if run.status == RunStatus.COMPLETED:
            return run
        if run.lease_expires_at is None or run.lease_expires_at.timestamp() < time.time():
            stepper.resume_stalled()  # what the watchdog schedule does every minute
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not complete: {Run.unscoped.get(pk=run_id).status}")


def _kill_test(scenario, user, log, settings_override):
    settings_override.SIMNET_LEASE_SECONDS = LEASE_SECONDS
    run = run_start(organization=scenario.organization, user=user, scenario=scenario)[0]
    rng = random.Random(7)
    for _ in range(KILLS):
        worker = start_qcluster(**_worker_env(log))
        time.sleep(rng.uniform(1.5, 3.0))  # qcluster takes ~1 s to start: kills land mid-step
        _kill(worker)
        time.sleep(LEASE_SECONDS + 0.2)
        stepper.resume_stalled()
    worker = start_qcluster(**_worker_env(log))
    try:
        run = _wait_until_done(run.pk, timeout=120)
    finally:
        _kill(worker)
    expected = scenario.steps * 6
    actions = RunAction.objects.filter(run=run)
    assert actions.count() == expected
    assert len(set(actions.values_list("step", "agent_key"))) == expected
    calls = len(logged_requests(log))
    assert expected <= calls <= expected + KILLS, f"{calls} provider calls for {expected} decisions"


def test_orm_broker_run_survives_kill_9(fake_scenario, tenancy, fake_provider_env, settings):
    fake_scenario.steps = 8
    fake_scenario.save()
    _kill_test(fake_scenario, tenancy.member, fake_provider_env(), settings)


@pytest.mark.redis
def test_redis_broker_run_survives_kill_9(fake_scenario, tenancy, fake_provider_env, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: scripts/test_all.sh starts redis-server for this")
    fake_scenario.steps = 8
    fake_scenario.save()
    _kill_test(fake_scenario, tenancy.member, fake_provider_env(), settings)
