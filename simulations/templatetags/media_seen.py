"""What form the agents saw a run's stimulus pictures in, for the report (``{% load media_seen %}``)."""

from __future__ import annotations

from django import template

from simulations.models import Run
from simulations.runs.media import seen_lines

register = template.Library()


@register.inclusion_tag("simulations/_media_seen.html")
def media_seen(run: Run) -> dict:
    """Recorded at start (``Run.reproducibility["media"]``); nothing shown for a run without pictures."""
    return {"lines": seen_lines(run)}
