"""Run states and the lease that lets exactly one worker advance a run at a time.

A worker claims a run with one compare-and-set UPDATE (free or expired lease -> mine);
the step commits only if the lease is still ours and ``next_step`` is still the step we
computed, so a stale or duplicated task can never commit twice. Everything here is a
single UPDATE; nothing holds a database transaction open while an LLM is thinking.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import ACTIVE_STATUSES, Run, RunStatus


def lease_seconds() -> int:
    return int(getattr(settings, "SIMNET_LEASE_SECONDS", 90))


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
    """Extend our lease; False if we lost it (then we must not commit)."""
    now = timezone.now()
    return bool(
        Run.unscoped.filter(pk=run_id, lease_owner=owner).update(
            heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds())
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


def set_status(run: Run, status: str, reason: str = "", *, owner: str | None = None) -> bool:
    """Move an active ``run`` to ``status`` (and drop the lease); with ``owner``, only if we hold it.

    A run a user cancelled meanwhile stays cancelled."""
    query = Run.unscoped.filter(pk=run.pk, status__in=ACTIVE_STATUSES)
    if owner is not None:
        query = query.filter(lease_owner=owner)
    fields = {"status": status, "status_reason": reason, "lease_owner": "", "lease_expires_at": None}
    if status in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED):
        fields["finished_at"] = timezone.now()
    changed = bool(query.update(**fields))
    if changed:
        run.status, run.status_reason = status, reason
    return changed
