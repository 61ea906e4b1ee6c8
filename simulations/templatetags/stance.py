"""The stance section of a run's report (``{% load stance %}{% stance_section run %}``): the same
section the stance page renders, so the two never differ."""

from __future__ import annotations

from django import template

from simulations.insight.stance_views import SECTION, section_context
from simulations.models import Run

register = template.Library()


@register.inclusion_tag(SECTION, takes_context=True)
def stance_section(context, run: Run) -> dict:
    return {**section_context(context["request"], run), "csrf_token": context.get("csrf_token")}
