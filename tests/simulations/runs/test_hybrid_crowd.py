"""A hybrid run under a words budget, through the worker: the cheap policy decides for everyone,
the model writes at most the budget's texts a step, and the report names who was model-driven."""

from __future__ import annotations

from collections import Counter

import pytest

from simulations.insight.model_driven import model_driven_summary
from simulations.learning.hybrid import MODEL_WORDS, OVER_BUDGET
from simulations.models import Policy, RunAction
from simulations.runs.services import run_start
from tests.simulations.runs.test_policy import _scenario
from tests.support.generated_panels import community_panel
from tests.support.runs import drive

pytestmark = pytest.mark.django_db


def test_the_budget_caps_model_words_per_step_and_the_report_counts_them(tenancy, fake_provider_env):
    panel = community_panel(tenancy.org_a)
    scenario = _scenario(tenancy, panel, policy=Policy.HYBRID)
    scenario.settings = {**scenario.settings, "words": {"max_calls": 2, "share": None}}
    scenario.save(update_fields=["settings"])
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
    assert run.status == "completed"

    rows = RunAction.objects.filter(run=run)
    written = Counter(rows.filter(reason__contains=MODEL_WORDS).values_list("step", flat=True))
    unvoiced = rows.filter(reason__contains=OVER_BUDGET)
    assert written and max(written.values()) <= 2  # never more than the budget in a step
    assert unvoiced.exists() and not unvoiced.filter(action__in=("reply", "quote", "post")).exists()
    assert all(r.text for r in rows.filter(reason__contains=MODEL_WORDS))
    assert run.llm_calls <= 2 * run.total_steps  # the model calls the run paid for

    summary = model_driven_summary(run, {})
    assert summary["model_decisions"] == sum(written.values()) and summary["over_budget"] == unvoiced.count()
    assert 0 < summary["persona_share"] < 1
