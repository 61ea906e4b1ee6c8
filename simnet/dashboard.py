"""The home page: an organization's recent runs, panels and experiments at a glance.

It reads every app, so it belongs to the composition root, beside urls and routing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from personas.models import Panel
from simulations.models import Experiment, Run


def dashboard_for(organization) -> dict:
    return {
        "recent_runs": list(Run.objects.for_org(organization).select_related("scenario")[:8]),
        "panels": list(Panel.objects.visible_to(organization)[:8]),
        "experiments": list(Experiment.objects.for_org(organization)[:5]),
    }


@login_required
def home(request):
    if request.organization is None:
        return redirect("org_create")
    return render(request, "dashboard.html", {"nav": "home", **dashboard_for(request.organization)})
