"""The quality gate's share of refused texts, for the run room and the report (``{% load gate %}``)."""

from __future__ import annotations

from django import template

from simnet.llm.quality_gate import HIGH_REJECT_SHARE
from simulations.models import Run
from simulations.runs.persistence import run_gate

register = template.Library()

REASON_WORDS = {
    "copy": "copied the post or the prompt",
    "scaffolding": "prompt labels left in",
    "digits": "numbers instead of words",
    "off_topic": "off topic",
    "cut": "cut off mid-sentence",
    "empty": "empty",
}


@register.inclusion_tag("simulations/_gate_share.html")
def gate_share(run: Run) -> dict:
    """The counts with n and a one-decimal percentage ("12 of 340 texts refused, 3.5%"): a rounded
    whole percent would show a few refusals in a long run as 0%."""
    gate = run_gate(run)
    reasons = sorted(gate["by_reason"].items(), key=lambda item: (-item[1], item[0]))
    return {
        "gate": gate,
        "percent": f"{100 * gate['rejected'] / gate['checked']:.1f}%" if gate["checked"] else "",
        "threshold": f"{HIGH_REJECT_SHARE:.0%}",
        "reasons": [(REASON_WORDS.get(name, name), count) for name, count in reasons],
    }
