"""Reads of experiments and their runs."""

from __future__ import annotations

from django.db.models import Count, Q

from simnet.tenancy.access import get_for_org
from simulations.models import (
    FINAL_STATUSES,
    Experiment,
    Run,
)
from simulations.runs.selectors import action_count


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
        .defer("estimate", "reproducibility")
        .annotate(action_count=action_count())
        .order_by("variant", "seed", "id")
    )
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.variant, []).append(run)
    return [(variant, grouped.get(variant["label"], [])) for variant in experiment.variants]
