"""Simulation pages."""

from __future__ import annotations

from django.shortcuts import render

from simnet.tenancy.access import get_for_org
from simnet.tenancy.mixins import org_view

from .models import Experiment, Run


@org_view()
def run_list(request):
    runs = Run.objects.for_org(request.organization).select_related("scenario")
    return render(request, "simulations/run_list.html", {"nav": "simulations", "runs": runs})


@org_view()
def run_detail(request, run_id: int):
    run = get_for_org(Run.objects.select_related("scenario"), request.organization, pk=run_id)
    return render(request, "simulations/run_detail.html", {"nav": "simulations", "run": run})


@org_view()
def experiment_list(request):
    experiments = Experiment.objects.for_org(request.organization)
    return render(request, "simulations/experiment_list.html", {"nav": "experiments", "experiments": experiments})


@org_view()
def experiment_detail(request, experiment_id: int):
    experiment = get_for_org(Experiment.objects, request.organization, pk=experiment_id)
    return render(request, "simulations/experiment_detail.html", {"nav": "experiments", "experiment": experiment})
