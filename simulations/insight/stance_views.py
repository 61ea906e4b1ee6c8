"""The stance section of a run's report: the dynamics, and a button to poll the run's personas.

Thin like the other insight pages: the run is looked up in the caller's organization (404
otherwise), one service or selector is called, the section is rendered. The report page renders
the same section through ``{% load stance %}{% stance_section run %}``.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse

from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.mixins import org_view
from simnet.web import allow, can_write, post_only, submit_or_message
from simulations.insight import stance
from simulations.models import FINAL_STATUSES, Run

SECTION = "simulations/_stance.html"
PAGE = "simulations/stance.html"


def section_context(request, run: Run) -> dict:
    report = stance.stance_summary(organization=request.organization, run=run)
    return {
        "run": run,
        "stance": report,
        "can_poll": can_write(request) and run.scenario.format != "deliberation" and run.next_step > 0,
        "final": run.status in FINAL_STATUSES,
    }


def _run(request, run_id: int) -> Run:
    return get_for_org(Run.objects.select_related("scenario__panel"), request.organization, pk=run_id)


@org_view()
def run_stance(request, run_id: int):
    """The section on a page of its own (and what an HTMX refresh swaps in)."""
    run = _run(request, run_id)
    if refused := allow(request, "GET"):
        return refused
    template = SECTION if request.htmx else PAGE
    return render(request, template, section_context(request, run))


@org_view(roles.WRITE)
def run_stance_poll(request, run_id: int):
    run = _run(request, run_id)
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    submit_or_message(request, stance.stance_poll, organization=request.organization, run=run)
    if request.htmx:
        return render(request, SECTION, section_context(request, run))
    return redirect(reverse("run_stance", kwargs={"run_id": run.pk}))
