"""A run answered through Message Batches waits for them without pausing, and goes on once
they have ended."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from simnet.llm.base import AnswersPending
from simnet.llm.testing import FakeProvider
from simulations.models import Run, RunEvent, RunStatus
from simulations.runs import lifecycle, stepper


class BatchesNotEnded:
    """Raises ``AnswersPending`` until ``ended`` is set, then answers as the fake provider."""

    name, model = "anthropic", "claude-batch"

    def __init__(self) -> None:
        self.ended = False
        self.inner = FakeProvider()

    def generate(self, requests):
        if not self.ended:
            raise AnswersPending(["msgbatch_01"], len(requests), retry_after_s=60.0)
        return self.inner.generate(requests)


def test_a_run_waits_for_its_batch_then_goes_on(started_run, monkeypatch):
    batches = BatchesNotEnded()
    monkeypatch.setattr(stepper, "policy_provider", lambda run, **kwargs: batches)

    assert stepper.advance(run_id=started_run.pk) == "waiting: message batch"
    run = Run.unscoped.get(pk=started_run.pk)
    assert run.status == RunStatus.RUNNING and run.next_step == 0 and run.lease_owner == ""
    assert run.status_reason == "Waiting for the provider's batch: 6 answers are waiting in Message Batch " \
        "msgbatch_01 (answered within 24 hours, most within an hour)."
    stepper.advance(run_id=started_run.pk)  # polled again: no second event for the same wait
    assert RunEvent.objects.filter(run=run, kind="status", payload__reason=run.status_reason).count() == 1

    Run.unscoped.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert run.pk in lifecycle.stalled_runs()  # the watchdog queues it again every minute

    batches.ended = True
    assert stepper.advance(run_id=started_run.pk) == "step 0 done"
    run = Run.unscoped.get(pk=started_run.pk)
    assert run.next_step == 1 and run.status == RunStatus.RUNNING and run.status_reason == ""
