"""The demo's deliberation: the sampled voters panel in a deliberative poll on the minimum wage.

Played by the rule policy so the demo runs in seconds without a model; the report says the
stances are rule-derived. Idempotent: created once, by name.
"""

from __future__ import annotations

from personas.models import Panel
from simulations.models import Policy, Scenario
from simulations.scenarios.services import scenario_create

NAME = "Minimum wage town hall (demo)"
QUESTION = "Should the federal minimum wage rise to $15 an hour?"
BRIEFING = (
    "Supporters say a $15 floor lifts pay for millions and reduces reliance on public assistance; "
    "opponents say it costs jobs in low-wage regions and small businesses. The CBO estimated higher pay "
    "for 17 million workers and 1.3 million fewer jobs (median estimate)."
)


def ensure_demo_deliberation(*, organization, user, panel: Panel) -> Scenario:
    existing = Scenario.objects.for_org(organization).filter(name=NAME).first()
    if existing is not None:
        return existing
    return scenario_create(
        organization=organization, actor=user, panel=panel, name=NAME, format=Scenario.Format.DELIBERATION,
        steps=5, policy=Policy.RULES,
        deliberation={"question": QUESTION, "briefing": BRIEFING, "group_size": 5, "agree_side": "left"},
    )  # fmt: skip
