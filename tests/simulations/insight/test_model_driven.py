"""The report says which personas a language model drove, how many, and which share."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from simulations.insight.model_driven import model_driven_summary
from simulations.learning.hybrid import MODEL_WORDS, OVER_BUDGET
from simulations.models import Policy, RunAction
from tests.factories import RunFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

ROWS = [  # (step, agent, action, reason, outcome)
    (0, "1", "reply", f"reaction model: reply chance 9.0%; {MODEL_WORDS}", "ok"),
    (0, "2", "like", f"reaction model: reply chance 8.0%; reply {OVER_BUDGET}", "ok"),
    (0, "3", "like", "reaction model: like chance 20.0%", "ok"),
    (0, "4", "error", "", "error"),
    (1, "1", "post", f"calibrated baseline: post chance 2.0% this step; {MODEL_WORDS}", "ok"),
    (1, "5", "quote", f"reaction model: quote chance 3.0%; {MODEL_WORDS}", "ok"),
    (1, "3", "ignore", "reaction model: ignore", "ok"),
]
HANDLES = {str(i): f"user{i}" for i in range(1, 6)}


def _run(org_a, policy: str, settings: dict | None = None):
    scenario = ScenarioFactory(organization=org_a, settings=settings or {})
    run = RunFactory(scenario=scenario, policy=policy)
    for step, agent, action, reason, outcome in ROWS:
        RunAction.objects.create(
            organization=org_a,
            run=run,
            step=step,
            agent_key=agent,
            action=action,
            reason=reason,
            outcome=outcome,
        )
    return run


def test_a_hybrid_crowd_counts_the_personas_whose_words_the_model_wrote(org_a):
    run = _run(org_a, Policy.HYBRID, {"words": {"max_calls": 2, "share": None}})
    summary = model_driven_summary(run, HANDLES)
    assert summary["decisions"] == 6 and summary["personas"] == 4  # the failed decision is no decision
    assert summary["model_decisions"] == 3 and summary["model_personas"] == 2
    assert summary["persona_share"] == pytest.approx(0.5) and summary["named"] == ["user1", "user5"]
    assert summary["over_budget"] == 1 and summary["decider"] == "rules"
    page = render_to_string("simulations/_model_driven.html", {"report": {"model_driven": summary}})
    assert "2 of 4 personas (50.0%)" in page and "3 of 6 decisions (50.0%)" in page
    assert "at most 2 texts a step" in page and "1 decision to write went over the words budget" in page
    assert "@user1, @user5" in page


def test_the_rules_drive_nobody_and_the_llm_everybody(org_a):
    rules = model_driven_summary(_run(org_a, Policy.RULES), HANDLES)
    assert rules["model_personas"] == 0 and rules["persona_share"] == 0 and rules["named"] == []
    llm = model_driven_summary(_run(org_a, Policy.LLM), HANDLES)
    assert llm["model_decisions"] == 6 and llm["model_personas"] == 4 and llm["over_budget"] == 0
    page = render_to_string("simulations/_model_driven.html", {"report": {"model_driven": rules}})
    assert "0 of 4 personas (0.0%)" in page and "No language model took part" in page
