"""Enqueueing background work, always after the surrounding transaction commits."""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task


def enqueue_step(run_id: int) -> None:
    """Ask a worker to take the run's next step once the caller's writes are visible."""
    transaction.on_commit(lambda: async_task("simulations.tasks.advance_run", run_id, task_name=f"run-{run_id}"))
