"""django-q2 entry points of the personas app: ids in, one service call, nothing else."""

from __future__ import annotations

from personas.services import population_jobs


def sample_population(job_id: int) -> str:
    return population_jobs.population_job_execute(job_id=job_id).status


def watchdog() -> int:
    return population_jobs.fail_dead_population_jobs()
