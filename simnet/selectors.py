"""Reads for project-level pages."""

from __future__ import annotations

from personas.models import Panel
from simulations.models import Experiment, Run


def dashboard_for(organization) -> dict:
    return {
        "recent_runs": list(Run.objects.for_org(organization).select_related("scenario")[:8]),
        "panels": list(Panel.objects.visible_to(organization)[:8]),
        "experiments": list(Experiment.objects.for_org(organization)[:5]),
    }
