"""The narrative section of a run's report (``{% load narrative %}{% narrative_section run %}``):
the same section the poll view renders, so the page and its updates never differ."""

from __future__ import annotations

from django import template

from simulations.insight.narrative_views import SECTION, section_context
from simulations.models import Run

register = template.Library()


@register.inclusion_tag(SECTION, takes_context=True)
def narrative_section(context, run: Run) -> dict:
    return {**section_context(context["request"], run), "csrf_token": context.get("csrf_token")}
