"""Run states and the lease that lets exactly one worker advance a run at a time.

A worker claims a run with one compare-and-set UPDATE (free or expired lease -> mine);
the step commits only if the lease is still ours and ``next_step`` is still the step we
computed, so a stale or duplicated task can never commit twice. Everything here is a
single UPDATE; nothing holds a database transaction open while an LLM is thinking.

A run stops in one place: ``finish()`` for every ending (completed, failed, cancelled), and
``pause()`` or ``pause_waiting()`` (a queued run no worker holds) for every pause, so each does
the same follow-ups whoever stops it: the organization's runs waiting for a concurrency slot
are woken, webhooks hear of it and, when the run ended, its report is stored and its
experiment checked for completion.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from simnet.webhooks.services import emit
from simulations.models import ACTIVE_STATUSES, FINAL_STATUSES, Experiment, Run, RunStatus
from simulations.runs.events import append_event
from simulations.runs.queue import enqueue_step

_last_beat: dict[str, float] = {}  # owner -> when this process last wrote its heartbeat


def lease_seconds() -> int:
    return settings.SIMNET_LEASE_SECONDS


def worker_id() -> str:
    """Identifies one attempt of one worker process (unique even across restarts)."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(run_id: int, owner: str) -> Run | None:
    """Take the run's lease if it is free or expired; the Run (fresh) or None."""
    now = timezone.now()
    claimed = (
        Run.unscoped.filter(pk=run_id, status__in=ACTIVE_STATUSES)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=owner))
        .update(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            heartbeat_at=now,
            status=RunStatus.RUNNING,
            started_at=Coalesce("started_at", now),
        )
    )
    return Run.unscoped.select_related("scenario", "organization").get(pk=run_id) if claimed else None


def heartbeat(run_id: int, owner: str) -> bool:
    """Extend our lease; False if we lost it (then we must not commit).

    Written at most every sixth of the lease: a step asks for it after every batch of agents,
    and thousands of writes a step would cost more than the step. The commit's compare-and-set
    still catches a lease lost in between."""
    now = time.monotonic()
    if now - _last_beat.get(owner, float("-inf")) < lease_seconds() / 6:
        return True
    _last_beat.clear()  # one owner per attempt: older attempts' entries are done with
    _last_beat[owner] = now
    at = timezone.now()
    return bool(
        Run.unscoped.filter(pk=run_id, lease_owner=owner).update(
            heartbeat_at=at, lease_expires_at=at + timedelta(seconds=lease_seconds())
        )
    )


def release(run_id: int, owner: str) -> None:
    Run.unscoped.filter(pk=run_id, lease_owner=owner).update(lease_owner="", lease_expires_at=None)


def stalled_runs() -> list[int]:
    """Active runs nobody is working on: lease expired, or queued with no lease for a while."""
    now = timezone.now()
    grace = now - timedelta(seconds=lease_seconds())
    return list(
        Run.unscoped.filter(status__in=ACTIVE_STATUSES)
        .filter(Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, created_at__lt=grace))
        .values_list("pk", flat=True)
    )


def finish(run: Run, status: str, reason: str = "", *, owner: str | None = None) -> bool:
    """End ``run`` as completed, failed or cancelled: the only way a run becomes final.

    Any unfinished run can end (a user may cancel a paused one); with ``owner``, only while we
    hold its lease. False, and no follow-up, when the run had already ended."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"{status!r} does not end a run")
    unfinished = Run.unscoped.filter(pk=run.pk).exclude(status__in=FINAL_STATUSES)
    return _stop(run, unfinished, owner, status, reason, finished_at=timezone.now())


def pause(run: Run, reason: str, *, owner: str | None = None) -> bool:
    """Pause an active ``run`` (a user's request, budget, quota, outage) until someone resumes it.

    With ``owner``, only while we hold its lease; a run cancelled meanwhile stays cancelled."""
    active = Run.unscoped.filter(pk=run.pk, status__in=ACTIVE_STATUSES)
    return _stop(run, active, owner, RunStatus.PAUSED, reason)


def pause_waiting(run: Run, reason: str) -> bool:
    """Pause ``run`` if it is queued and no worker holds it (a running run pauses itself at its
    next step, when the stepper sees ``pause_requested``)."""
    waiting = Run.unscoped.filter(pk=run.pk, status=RunStatus.QUEUED, lease_owner="")
    return _stop(run, waiting, None, RunStatus.PAUSED, reason)


def _stop(run: Run, query: QuerySet, owner: str | None, status: str, reason: str, **fields) -> bool:
    """Move the run ``query`` selects to ``status``, drop its lease, record the event and, once
    that commits, do the follow-ups."""
    if owner is not None:
        query = query.filter(lease_owner=owner)
    fields.update(status=status, status_reason=reason, lease_owner="", lease_expires_at=None)
    with transaction.atomic():
        if not query.update(**fields):
            return False
        run.status, run.status_reason = status, reason
        append_event(run, "status", {"status": status, "reason": reason})
        for follow_up in _follow_ups(run, status):
            transaction.on_commit(follow_up, robust=True)  # one failing (logged) never skips the others
    return True


def _follow_ups(run: Run, status: str) -> list:
    follow_ups = [
        lambda: _start_waiting_runs(run.organization_id),  # a stopped run frees its concurrency slot
        lambda: _emit_webhook(run, status),
    ]
    if status in FINAL_STATUSES:
        # The report is stored at once, so its first view is instant.
        follow_ups.append(lambda: async_task("simulations.tasks.store_run_report", run.pk))
        follow_ups.append(lambda: _finish_experiment(run.experiment_id))
    return follow_ups


def _start_waiting_runs(organization_id: int) -> None:
    waiting = Run.unscoped.filter(organization_id=organization_id, status=RunStatus.QUEUED, lease_owner="")
    for run_id in waiting.order_by("created_at").values_list("pk", flat=True)[:10]:
        enqueue_step(run_id)


def _emit_webhook(run: Run, status: str) -> None:
    event = {
        RunStatus.COMPLETED: "run.completed",
        RunStatus.FAILED: "run.failed",
        RunStatus.PAUSED: "run.paused",
    }
    if status not in event:
        return
    payload = {"run": run.pk, "status": status, "reason": run.status_reason}
    emit(organization=run.organization, event=event[status], payload=payload)


def _finish_experiment(experiment_id: int | None) -> None:
    """The last run of an experiment to end marks it completed and queues its comparison."""
    if experiment_id and experiment_mark_if_finished(experiment_id):
        async_task("simulations.tasks.store_experiment_comparison", experiment_id)


def finish_stalled_experiments() -> int:
    """The watchdog's second duty: complete running experiments whose runs have all ended (the
    follow-up of their last run was lost, e.g. its worker died right after the run's commit)."""
    stalled = list(
        Experiment.unscoped.filter(status="running")
        .annotate(
            runs_in_all=Count("runs"), unfinished=Count("runs", filter=~Q(runs__status__in=FINAL_STATUSES))
        )
        .filter(runs_in_all__gt=0, unfinished=0)
        .values_list("pk", flat=True)
    )
    for experiment_id in stalled:
        _finish_experiment(experiment_id)
    return len(stalled)


def experiment_mark_if_finished(experiment_id: int) -> bool:
    """Called when one of its runs ends: mark the experiment completed once all runs are final."""
    experiment = Experiment.unscoped.filter(pk=experiment_id).first()
    if experiment is None or experiment.status == "completed":
        return False
    if Run.unscoped.filter(experiment_id=experiment_id).exclude(status__in=FINAL_STATUSES).exists():
        return False
    if (
        not Experiment.unscoped.filter(pk=experiment_id)
        .exclude(status="completed")
        .update(status="completed")
    ):
        return False
    emit(
        organization=experiment.organization,
        event="experiment.completed",
        payload={"experiment": experiment.pk, "name": experiment.name},
    )
    return True
