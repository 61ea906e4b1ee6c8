"""Which personas of a run were model-driven: whose decisions carry words a language model wrote.

In a hybrid crowd a cheap policy decides for everyone and the model writes only some agents'
words (``simulations.learning.words_budget``); the report says how many decisions and personas
that was, which share, who, and how many speakers the words budget left without words. Under the
llm policy every decision is the model's; under the rules (or the rule-baseline provider) none is.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from simnet.providers.build import choice_for
from simulations.learning.hybrid import MODEL_WORDS, OVER_BUDGET
from simulations.learning.words_budget import WordsBudget
from simulations.models import Policy, Run, RunAction

NAMED = 20  # model-driven personas named in the report; the rest are counted


def _driven(run: Run, decided: QuerySet[RunAction]) -> QuerySet[RunAction]:
    if run.policy == Policy.RULES or choice_for(run.scenario.provider).kind == "baseline":
        return decided.none()
    if run.policy == Policy.HYBRID:
        return decided.filter(reason__contains=MODEL_WORDS)
    return decided  # llm: the model decided and wrote everything


def model_driven_summary(run: Run, handles: dict[str, str]) -> dict[str, Any]:
    """Counts and shares of model-driven decisions and personas, and the first ``NAMED`` of them."""
    decided = RunAction.objects.filter(run=run).exclude(outcome="error")
    driven = _driven(run, decided)
    decisions, personas = decided.count(), decided.values("agent_key").distinct().count()
    driven_decisions = driven.count()
    keys = list(driven.order_by("agent_key").values_list("agent_key", flat=True).distinct())
    budget = WordsBudget.from_settings(run.scenario.settings)
    return {
        "policy": run.policy,
        "decider": ("reaction model" if run.policy_model_id else "rules")
        if run.policy == Policy.HYBRID
        else run.policy,
        "decisions": decisions,
        "model_decisions": driven_decisions,
        "decision_share": driven_decisions / decisions if decisions else None,
        "personas": personas,
        "model_personas": len(keys),
        "persona_share": len(keys) / personas if personas else None,
        "named": [handles.get(key, key) for key in keys[:NAMED]],
        "over_budget": decided.filter(reason__contains=OVER_BUDGET).count()
        if run.policy == Policy.HYBRID
        else 0,
        "budget": budget.to_settings() if budget.limited else None,
    }
