"""Taking steps in-process: completion, idempotent redelivery, per-agent errors, quota pauses."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from simulations.models import Run, RunAction, RunEvent, RunPost, RunStatus
from simulations.runs import stepper
from simulations.runs.services import run_resume, run_start
from tests.support.fake_provider import logged_requests

pytestmark = pytest.mark.django_db(transaction=True)


def _start(scenario, user):
    return run_start(organization=scenario.organization, actor=user, scenario=scenario)[0]


def _drive(run_id: int, limit: int = 50) -> Run:
    for _ in range(limit):
        stepper.advance(run_id=run_id)
        run = Run.unscoped.get(pk=run_id)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return run
    raise AssertionError("run did not settle")


def test_run_completes_with_one_action_per_active_agent_and_step(fake_scenario, tenancy, fake_provider_env):
    run = _drive(_start(fake_scenario, tenancy.member).pk)
    assert run.status == RunStatus.COMPLETED and run.next_step == 4
    actions = RunAction.objects.filter(run=run)
    assert actions.count() == 6 * 4  # activity_rate 1.0: everyone acts every step
    assert RunPost.objects.filter(run=run, is_stimulus=True).count() == 1
    assert len(logged_requests(fake_provider_env())) >= 24
    seqs = list(RunEvent.objects.filter(run=run).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_same_step_delivered_three_times_concurrently_commits_once(fake_scenario, tenancy):
    run = _start(fake_scenario, tenancy.member)
    barrier = threading.Barrier(3)

    def deliver():
        barrier.wait()
        try:
            stepper.advance(run_id=run.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.refresh_from_db()
    assert run.next_step == 1
    assert RunAction.objects.filter(run=run, step=0).count() == 6


def test_one_agents_error_is_recorded_and_the_run_goes_on(fake_scenario, tenancy, fake_provider_env):
    from personas.models import Persona

    broken = Persona.objects.for_org(tenancy.org_a).get(handle="p2")
    fake_provider_env(error_for=[str(broken.pk)])
    run = _drive(_start(fake_scenario, tenancy.member).pk)
    assert run.status == RunStatus.COMPLETED
    errors = RunAction.objects.filter(run=run, agent_key=str(broken.pk))
    assert errors.count() == 4 and set(errors.values_list("outcome", flat=True)) == {"error"}
    others = RunAction.objects.filter(run=run).exclude(agent_key=str(broken.pk))
    assert others.count() == 20 and not others.filter(outcome="error").exists()


def test_quota_error_pauses_with_a_message_and_resume_continues(fake_scenario, tenancy, fake_provider_env):
    log = fake_provider_env(quota_after_requests=9)
    run = _drive(_start(fake_scenario, tenancy.member).pk)
    assert run.status == RunStatus.PAUSED and "quota" in run.status_reason.lower()
    paused_at = run.next_step
    fake_provider_env(log=str(log))  # the account has credit again
    run_resume(run=run, actor=tenancy.member)
    run = _drive(run.pk)
    assert run.status == RunStatus.COMPLETED and paused_at < 4
    assert RunAction.objects.filter(run=run).count() == 24


def test_a_post_injected_while_paused_is_stored_even_when_nobody_is_online(fake_scenario, tenancy):
    from personas.models import Persona
    from simulations.runs.services import run_inject, run_pause

    Persona.objects.for_org(tenancy.org_a).update(activity_rate=0.0)  # nobody ever reads a feed
    run = _start(fake_scenario, tenancy.member)
    stepper.advance(run_id=run.pk)
    run_pause(run=Run.unscoped.get(pk=run.pk), actor=tenancy.member)
    run_inject(run=Run.unscoped.get(pk=run.pk), actor=tenancy.member, text="Half price today only")
    run = _drive(run_resume(run=Run.unscoped.get(pk=run.pk), actor=tenancy.member).pk)

    assert run.status == RunStatus.COMPLETED and not RunAction.objects.filter(run=run).exists()
    injected = RunPost.objects.get(run=run, is_stimulus=True, text="Half price today only")
    assert injected.step == 1
    shown = [e.payload for e in RunEvent.objects.filter(run=run, kind="post")]
    assert any(p["post_key"] == injected.post_key for p in shown), "the room is told about it"
