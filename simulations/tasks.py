"""django-q2 entry points: ids in, one service call, nothing else."""

from __future__ import annotations

from . import stepper


def advance_run(run_id: int) -> str:
    return stepper.advance(run_id=run_id)


def watchdog() -> int:
    return stepper.resume_stalled()
