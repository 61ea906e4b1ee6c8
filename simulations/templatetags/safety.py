"""Trust & safety sections of the run report and the experiment comparison
(``{% load safety %}{% safety_report run %}`` / ``{% safety_comparison experiment %}``), so the
shared pages need one line each; both render nothing for runs and experiments that are not
safety tests (no content policy, no bridging or downranking feed)."""

from __future__ import annotations

from django import template

from simulations.insight import safety
from simulations.models import Experiment, Run

register = template.Library()


@register.inclusion_tag("simulations/_safety_report.html")
def safety_report(run: Run) -> dict:
    if not safety.is_safety_scenario(run.scenario):
        return {"safety": None}
    return {"safety": safety.run_safety_view(run), "run": run}


@register.inclusion_tag("simulations/_safety_comparison.html")
def safety_comparison(experiment: Experiment) -> dict:
    return {"safety": safety.experiment_safety(experiment), "experiment": experiment}


@register.filter
def per10k(value) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def harm_name(value: str) -> str:
    return {
        "threat": "Threats",
        "harassment": "Harassment",
        "identity_attack": "Targeted abuse (identity attacks)",
        "pile_on": "Pile-on replies",
        "any": "Any harm",
    }.get(value, value)


@register.filter
def pct1(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
