"""Reads for the simulation pages; every function is given the organization explicitly."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from simnet.tenancy.access import get_for_org
from simulations.models import (
    FINAL_STATUSES,
    Experiment,
    Interview,
    ProviderConfig,
    Run,
    RunAction,
    RunEvent,
    RunStatus,
)
from simulations.reports import JUDGE_KINDS

ACTIVITY_LIMIT = 30
LIVE_ONLY_KINDS = ("post", "counters", "progress")  # shown in place, not in the activity list


def _action_count():
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
        .defer("state", "panel_snapshot", "estimate", "reproducibility")
        .annotate(action_count=_action_count())
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
    holds it back (simulations/stepper.py starts it when a running one ends); "" otherwise."""
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


def provider_list(*, organization):
    return ProviderConfig.objects.for_org(organization).order_by("name", "id")


def hosted_provider_list(*, organization):
    """The organization's hosted language models (the ones that judge reports and write persona
    summaries), its default first."""
    hosted = provider_list(organization=organization).filter(kind__in=JUDGE_KINDS)
    return hosted.order_by("-is_default", "name", "id")


def experiment_list(*, organization):
    return (
        Experiment.objects.for_org(organization)
        .select_related("scenario")
        .annotate(
            run_count=Count("runs", distinct=True),
            finished_count=Count("runs", filter=Q(runs__status__in=FINAL_STATUSES), distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def experiment_get(*, organization, experiment_id: int) -> Experiment:
    return get_for_org(Experiment.objects.select_related("scenario"), organization, pk=experiment_id)


def experiment_runs_by_variant(experiment: Experiment) -> list[tuple[dict, list[Run]]]:
    """Each variant with its runs (seed order)."""
    runs = (
        Run.objects.filter(experiment=experiment)
        .defer("state", "panel_snapshot", "estimate", "reproducibility")
        .annotate(action_count=_action_count())
        .order_by("variant", "seed", "id")
    )
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.variant, []).append(run)
    return [(variant, grouped.get(variant["label"], [])) for variant in experiment.variants]
