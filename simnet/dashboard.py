"""The home page: the landing page for visitors, and an organization's recent runs, panels and
experiments at a glance, with the two first steps a new organization needs (the demo panels, and
the Peloton example run).

It reads every app, so it belongs to the composition root, beside urls and routing.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from personas.builders.public_texts import PublicDataMissing
from personas.models import Panel
from personas.services.demo import ensure_demo_history, ensure_demo_panels
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.tenancy.models import Organization
from simnet.web import actor, can_write, post_only, submit_or_message
from simulations.engine.stimuli import default_boost
from simulations.management.commands.seed_demo import HOLIDAY_AD
from simulations.models import FINAL_STATUSES, Experiment, Run, Scenario
from simulations.runs.services import run_start
from simulations.scenarios.services import scenario_create

PELOTON_SCENARIO = "Holiday ad (demo)"  # the name seed_demo gives it: a seeded organization reuses its own
PELOTON_AUTHOR = "FitBikeCo"


def dashboard_for(organization) -> dict:
    return {
        "recent_runs": list(Run.objects.for_org(organization).select_related("scenario")[:8]),
        "panels": list(Panel.objects.visible_to(organization)[:8]),
        "experiments": list(Experiment.objects.for_org(organization)[:5]),
        "has_demo_panels": Panel.objects.for_org(organization).filter(is_demo=True).exists(),
    }


def home(request):
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    if request.organization is None:
        return redirect("org_create")
    context = {"nav": "home", "can_write": can_write(request), **dashboard_for(request.organization)}
    return render(request, "dashboard.html", context)


def demo_panels_add(*, organization, actor) -> dict[str, Panel]:
    """The demo voter and board panels, and the imported demo history when the public texts were
    fetched (``make install``); what the organization has already is kept, nothing is doubled."""
    with transaction.atomic():
        _lock(organization)
        panels = ensure_demo_panels(organization=organization, actor=actor)
        try:
            panels |= ensure_demo_history(organization=organization, actor=actor)
        except PublicDataMissing:
            pass  # the two sampled panels are enough to start; the history needs a download
    return panels


def _lock(organization) -> None:
    """Serialize the one-click starts of one organization, so that two clicks at once look, in
    turn, for what the other made (SQLite's immediate transactions already do so)."""
    Organization.objects.select_for_update().get(pk=organization.pk)


def peloton_example_start(*, organization, actor, ip: str | None = None) -> Run:
    """Run the Peloton "holiday gift" ad on the demo voter panel with the organization's default
    provider. A run of it still under way is returned instead of a second one (a double click)."""
    with transaction.atomic():
        _lock(organization)
        return _peloton_run(organization=organization, actor=actor, ip=ip)


def _peloton_run(*, organization, actor, ip: str | None) -> Run:
    voters = demo_panels_add(organization=organization, actor=actor)["voters"]
    provider = ProviderConfig.objects.for_org(organization).filter(is_default=True).first()
    scenario = (
        Scenario.objects.for_org(organization)
        .filter(name=PELOTON_SCENARIO, panel=voters, provider=provider)
        .order_by("pk")
        .first()
    )
    if scenario is None:
        scenario = scenario_create(
            organization=organization, actor=actor, panel=voters, name=PELOTON_SCENARIO, steps=6,
            provider=provider, stimuli=[{
                "text": HOLIDAY_AD, "author_handle": PELOTON_AUTHOR, "step": 0,
                "boost": default_boost(outside_author=True),
            }],
        )  # fmt: skip
    unfinished = (
        Run.objects.for_org(organization).filter(scenario=scenario).exclude(status__in=FINAL_STATUSES)
    )
    if (run := unfinished.order_by("-pk").first()) is not None:
        return run
    return run_start(organization=organization, actor=actor, scenario=scenario, ip=ip)[0]


@org_view(roles.WRITE)
def demo_panels(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    panels = demo_panels_add(organization=request.organization, actor=actor(request))
    messages.success(request, f"The demo panels are ready: {', '.join(p.name for p in panels.values())}.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(back if safe else "home")


@org_view(roles.WRITE)
def peloton_example(request):
    if (not_allowed := post_only(request)) is not None:
        return not_allowed
    run = submit_or_message(
        request, peloton_example_start, organization=request.organization, actor=actor(request),
        ip=client_ip(request),
    )  # fmt: skip
    return redirect(reverse("run_detail", args=[run.pk]) if run is not None else "home")
