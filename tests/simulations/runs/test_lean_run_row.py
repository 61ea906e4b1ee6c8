"""The lean run row: the world lives in its own row, a worker keeps the world it committed, full
snapshots come every few steps and the stored decisions rebuild the world before any step."""

from __future__ import annotations

import json

import pytest
from django.forms.models import model_to_dict

from simnet.llm.wrappers import CachedDecision, CacheKey
from simnet.providers.decision_store import DatabaseDecisionStore
from simnet.providers.models import DecisionCacheEntry
from simulations.models import Run, RunPanel, RunSnapshot, RunStatus, RunStep
from simulations.runs import lifecycle, stepper, worlds
from simulations.runs.persistence import GATE_KEY
from simulations.runs.services import run_fork, run_inject, run_start
from tests.support.runs import drive

STEPS = 7


@pytest.fixture
def long_scenario(fake_scenario):
    fake_scenario.steps = STEPS
    fake_scenario.save(update_fields=["steps"])
    return fake_scenario


def _run(scenario, tenancy):
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario, seeds=[11])[0]
    drive(run, steps=2)
    run_inject(run=Run.unscoped.get(pk=run.pk), actor=tenancy.member, text="We hear you, and we are sorry.")
    return drive(run)


def test_the_decisions_since_the_nearest_snapshot_rebuild_the_world_before_every_step(
    long_scenario, tenancy, settings
):
    settings.SIMNET_SNAPSHOT_EVERY = 1  # the truth: a full snapshot before every step
    run = _run(long_scenario, tenancy)
    assert run.status == RunStatus.COMPLETED
    truth = {s.step: s.state for s in RunSnapshot.objects.filter(run=run)}
    assert sorted(truth) == list(range(1, STEPS + 1))
    RunSnapshot.objects.filter(run=run).exclude(step=6).delete()  # steps 1-5 replay the live post at step 2
    for step in range(1, STEPS + 1):
        rebuilt = worlds.world_before(run, step).to_state(include_panel=False)
        expected = {k: v for k, v in truth[step].items() if k != GATE_KEY}
        assert rebuilt == expected, f"step {step}"
    assert any(p["stimulus_id"] for p in truth[STEPS]["posts"] if p["text"].startswith("We hear you"))


def test_full_snapshots_come_every_few_steps_and_at_the_end_with_one_delta_a_step(
    long_scenario, tenancy, settings
):
    settings.SIMNET_SNAPSHOT_EVERY = 3
    run = _run(long_scenario, tenancy)
    assert sorted(RunSnapshot.objects.filter(run=run).values_list("step", flat=True)) == [3, 6, 7]
    assert sorted(RunStep.objects.filter(run=run).values_list("step", flat=True)) == list(range(STEPS))
    final = RunSnapshot.objects.get(run=run, step=STEPS).state
    assert final["next_step"] == STEPS and worlds.load_world(run).to_state(include_panel=False) == {
        k: v for k, v in final.items() if k != GATE_KEY
    }
    assert len(RunPanel.objects.get(run=run).data["personas"]) == 6


def test_a_fork_between_snapshots_continues_from_the_rebuilt_world(long_scenario, tenancy, settings):
    settings.SIMNET_SNAPSHOT_EVERY = 3
    run = _run(long_scenario, tenancy)
    fork = run_fork(run=run, actor=tenancy.member, step=5)
    expected = worlds.world_before(run, 5).to_state(include_panel=False)
    assert {k: v for k, v in RunSnapshot.objects.get(run=fork, step=5).state.items() if k != GATE_KEY} == expected
    assert RunSnapshot.objects.get(run=fork, step=5).state[GATE_KEY] == fork.quality_gate
    finished = drive(fork)
    assert finished.status == RunStatus.COMPLETED and finished.next_step == STEPS


def test_the_run_row_that_heartbeats_and_events_update_stays_small(long_scenario, tenancy):
    run = _run(long_scenario, tenancy)
    row = json.dumps(model_to_dict(Run.unscoped.get(pk=run.pk)), default=str)
    assert len(row) < 4000, len(row)
    assert len(json.dumps(RunSnapshot.objects.get(run=run, step=STEPS).state)) > len(row)  # the world went elsewhere


def test_the_next_step_takes_the_world_this_worker_committed(started_run, monkeypatch):
    stepper.advance(run_id=started_run.pk)

    def no_reading(run):
        raise AssertionError("the kept world should have been used")

    monkeypatch.setattr(worlds, "load_world", no_reading)
    assert stepper.advance(run_id=started_run.pk) == "step 1 done"


def test_a_kept_world_of_another_step_is_not_used(started_run):
    stepper.advance(run_id=started_run.pk)
    run = Run.unscoped.get(pk=started_run.pk)
    stale = worlds.load_world(run)
    stale.next_step = 0  # what a worker that committed an older step would have kept
    worlds.keep(run.pk, stale)
    assert worlds.take(run).next_step == 1


def test_a_heartbeat_is_written_at_most_every_sixth_of_the_lease(started_run, settings):
    settings.SIMNET_LEASE_SECONDS = 600
    owner = lifecycle.worker_id()
    lifecycle.claim(started_run.pk, owner)
    Run.unscoped.filter(pk=started_run.pk).update(heartbeat_at=None)
    assert lifecycle.heartbeat(started_run.pk, owner)
    first = Run.unscoped.get(pk=started_run.pk).heartbeat_at
    assert first is not None
    Run.unscoped.filter(pk=started_run.pk).update(heartbeat_at=None)
    assert lifecycle.heartbeat(started_run.pk, owner)  # within the interval: no write
    assert Run.unscoped.get(pk=started_run.pk).heartbeat_at is None
    settings.SIMNET_LEASE_SECONDS = 0  # the interval has passed: the lost lease is seen
    Run.unscoped.filter(pk=started_run.pk).update(lease_owner="someone else")
    assert not lifecycle.heartbeat(started_run.pk, owner)


def test_the_decision_cache_reads_and_writes_a_batch_in_a_few_queries(tenancy, django_assert_max_num_queries):
    store = DatabaseDecisionStore(tenancy.org_a.pk)
    keys = [CacheKey("fake", "fake-1", f"{i:064x}", 1, 0.7) for i in range(2000)]
    with django_assert_max_num_queries(12):  # not one a decision (2,000)
        store.set_many({key: CachedDecision(text=f"answer {i}", data=None) for i, key in enumerate(keys)})
    store.set_many({keys[0]: CachedDecision(text="a later answer", data=None)})  # first answer stays
    with django_assert_max_num_queries(3):
        found = store.get_many(keys)
    assert len(found) == 2000 and found[keys[0]].text == "answer 0" and found[keys[1999]].text == "answer 1999"
    assert DecisionCacheEntry.unscoped.filter(organization=tenancy.org_a).count() == 2000
    assert DatabaseDecisionStore(tenancy.org_b.pk).get_many(keys) == {}  # another organization's cache


def test_a_task_takes_the_next_steps_from_its_kept_world_then_queues_the_run_once(
    long_scenario, tenancy, settings, monkeypatch
):
    from simulations.runs import stepper

    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=long_scenario, seeds=[3])[0]
    queued = []
    monkeypatch.setattr(stepper, "enqueue_step", queued.append)
    settings.SIMNET_TASK_SLICE_S = 0
    assert stepper.advance(run_id=run.pk) == "step 0 done" and queued == [run.pk]  # the first step builds it
    monkeypatch.setattr(worlds, "load_world", lambda run: pytest.fail("a step rebuilt its world"))

    settings.SIMNET_TASK_SLICE_S = 600
    assert stepper.advance(run_id=run.pk) == "completed" and queued == [run.pk]  # steps 1..6 in one task
    run = Run.unscoped.get(pk=run.pk)
    assert run.status == RunStatus.COMPLETED and run.next_step == STEPS and run.lease_owner == ""
    assert sorted(RunStep.objects.filter(run=run).values_list("step", flat=True)) == list(range(STEPS))


def test_a_pause_asked_for_between_steps_stops_the_task_at_the_next_step(long_scenario, tenancy, settings):
    from simulations.runs import stepper
    from simulations.runs.services import run_pause

    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=long_scenario, seeds=[3])[0]
    stepper.advance(run_id=run.pk)
    run_pause(run=Run.unscoped.get(pk=run.pk), actor=tenancy.member)
    settings.SIMNET_TASK_SLICE_S = 600
    assert stepper.advance(run_id=run.pk) == "paused"
    assert Run.unscoped.get(pk=run.pk).next_step == 1
