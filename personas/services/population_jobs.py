"""Sampling a population in the background (django-q2), with its progress on the job's row.

``population_job_start`` checks the arguments at once (so a mistake is a form error, not a failed
job) and queues the job; ``population_job_execute`` (the task) draws the personas, telling the row
how far it is, and writes the panel in one transaction at the end. A job that fails says why on
its row and leaves no panel, no persona and no follow behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from personas.builders.population_data import DEFAULT_SOURCE
from personas.models import PopulationJob
from personas.services import synthetic
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import SYSTEM, Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError

log = logging.getLogger(__name__)
TASK = "personas.tasks.sample_population"
PROGRESS_EVERY_S = 1.0  # the row is updated at most this often
# 100,000 personas take minutes (drawing, cards, graph, inserts), past a step's queue timeout; a task
# redelivered meanwhile finds the job taken and does nothing.
TASK_TIMEOUT_S = 3600
# A running job writes a heartbeat with its progress; the last one comes just before the one-transaction
# save, which takes a few minutes at 100,000 personas. Silence longer than this means the worker died.
STALE_AFTER_S = 900


def population_job_start(
    *,
    organization,
    actor: Actor | None,
    n: int,
    seed: int,
    name: str = "",
    source: str = synthetic.DEFAULT_SOURCE,
    quotas: Mapping[str, Mapping[str, float]] | None = None,
    description: str = "",
    avg_following: float = synthetic.DEFAULT_AVG_FOLLOWING,
    homophily: float = synthetic.DEFAULT_HOMOPHILY,
) -> PopulationJob:
    """A queued job for ``synthetic.panel_create_population`` with these arguments (checked now)."""
    require_role(actor_role(organization, actor), roles.WRITE, "create panels")
    resolved = synthetic.check_population(
        n=n, seed=seed, source=source, quotas=quotas, avg_following=avg_following, homophily=homophily
    )
    params = {
        "n": n, "seed": seed, "name": name, "source": source or DEFAULT_SOURCE, "quotas": resolved,
        "description": description, "avg_following": avg_following, "homophily": homophily,
    }  # fmt: skip
    with transaction.atomic():
        job = PopulationJob.objects.create(
            organization=organization, params=params, total=n, phase="queued", created_by=actor_user(actor)
        )
        transaction.on_commit(
            lambda: async_task(TASK, job.pk, task_name=f"population-{job.pk}", timeout=TASK_TIMEOUT_S)
        )
    return job


def population_job_execute(*, job_id: int) -> PopulationJob:
    """Run a queued job once (a redelivered task finds it taken and does nothing)."""
    claimed = PopulationJob.unscoped.filter(pk=job_id, status=PopulationJob.Status.QUEUED).update(
        status=PopulationJob.Status.RUNNING, phase="starting", heartbeat_at=timezone.now()
    )
    job = PopulationJob.unscoped.select_related("organization", "created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        panel = synthetic.panel_create_population(
            organization=job.organization, actor=_acting(job), progress=_reporter(job.pk), **job.params
        )
    except ApplicationError as exc:
        return _finish(job, PopulationJob.Status.FAILED, message=exc.message)
    except Exception as exc:  # the row must say the job ended; the traceback goes to the log
        log.exception("population job %s failed", job.pk)
        return _finish(job, PopulationJob.Status.FAILED, message=f"The sampling stopped: {exc}")
    return _finish(job, PopulationJob.Status.COMPLETED, panel=panel)


def _acting(job: PopulationJob) -> Actor:
    """Who the job acts for: the person who started it (their role is checked again), or, for a job
    started with an API token (checked when it started), the job itself."""
    return job.created_by if job.created_by_id else SYSTEM


def _reporter(job_id: int) -> synthetic.Progress:
    last = [0.0]

    def report(phase: str, done: int) -> None:
        now = timezone.now().timestamp()
        if now - last[0] >= PROGRESS_EVERY_S or phase == "saving":
            last[0] = now
            PopulationJob.unscoped.filter(pk=job_id).update(
                phase=phase, done=done, heartbeat_at=timezone.now()
            )

    return report


def fail_dead_population_jobs() -> int:
    """Fail the running jobs whose worker went silent (killed, out of memory): without this their page
    would say "running" forever, since a redelivered task finds the job taken. Their one transaction
    never committed, so nothing of them is left to clean up."""
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_S)
    return PopulationJob.unscoped.filter(status=PopulationJob.Status.RUNNING, heartbeat_at__lt=stale).update(
        status=PopulationJob.Status.FAILED,
        phase="failed",
        finished_at=timezone.now(),
        message=f"The worker stopped while sampling (no sign of life for {STALE_AFTER_S // 60} minutes); "
        "nothing was saved. Start the job again.",
    )


def _finish(job: PopulationJob, status: str, *, message: str = "", panel=None) -> PopulationJob:
    job.status, job.message, job.panel, job.finished_at = status, message, panel, timezone.now()
    job.phase = "done" if panel is not None else "failed"
    if panel is not None:
        job.done = job.total
    job.save(update_fields=["status", "message", "panel", "finished_at", "phase", "done"])
    return job
