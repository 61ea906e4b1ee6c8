"""Reads of runs: the list, the room, interviews; every function is given the organization explicitly."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from simnet.tenancy.access import get_for_org
from simulations.models import (
    Interview,
    Run,
    RunAction,
    RunEvent,
    RunStatus,
)

ACTIVITY_LIMIT = 30
LIVE_ONLY_KINDS = ("post", "counters", "progress")  # shown in place, not in the activity list


def action_count():
    """Actions so far (ignores excluded, as in the live progress payload), in one subquery."""
    actions = (
        RunAction.objects.filter(organization_id=OuterRef("organization_id"), run=OuterRef("pk"))
        .exclude(action="ignore")
        .order_by()
        .values("run")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(actions, output_field=IntegerField()), Value(0))


def run_list(*, organization, status: str = ""):
    runs = (
        Run.objects.for_org(organization)
        .select_related("scenario", "experiment")
        .defer("estimate", "reproducibility")
        .annotate(action_count=action_count())
    )
    if status:
        runs = runs.filter(status=status)
    return runs


def has_active_runs(runs) -> bool:
    return any(run.status in (RunStatus.QUEUED, RunStatus.RUNNING) for run in runs)


def running_count(*, organization) -> int:
    """Runs of the organization taking steps now: what its concurrency limit counts."""
    return Run.objects.for_org(organization).filter(status=RunStatus.RUNNING).count()


def slot_wait_reason(run: Run, *, running: int, limit: int) -> str:
    """Why a queued run has not started, in words, when the organization's concurrency limit
    holds it back (simulations/runs/stepper.py starts it when a running one ends); "" otherwise."""
    if run.status != RunStatus.QUEUED or run.started_at is not None or running < limit:
        return ""
    return (
        f"Waiting for a free slot: {running} of your organization's runs are going (the limit is {limit}). "
        "It starts by itself when one ends."
    )


def run_get(*, organization, run_id: int) -> Run:
    return get_for_org(Run.objects.select_related("scenario", "scenario__provider"), organization, pk=run_id)


def run_activity(run: Run, *, up_to_seq: int) -> list[RunEvent]:
    """The latest events worth a line in the activity list, newest first."""
    events = RunEvent.objects.filter(run=run, seq__lte=up_to_seq).exclude(kind__in=LIVE_ONLY_KINDS)
    return list(events.order_by("-seq")[:ACTIVITY_LIMIT])


def run_interviews(run: Run) -> list[Interview]:
    return list(Interview.objects.filter(run=run).order_by("-created_at", "-id"))






