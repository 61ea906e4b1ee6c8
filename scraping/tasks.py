"""django-q2 entry points: ids in, one service call, nothing else."""

from __future__ import annotations

from scraping.runner import import_run, resume_stalled_imports


def run_import(job_id: int) -> str:
    return import_run(job_id=job_id)


def watchdog() -> int:
    return resume_stalled_imports()
