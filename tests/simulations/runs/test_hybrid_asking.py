"""How a hybrid step asks its writer: texts together (a batch's worth of model calls at once, not
one per batch of turns), and a budget that holds only what can reach the model."""

from __future__ import annotations

import pytest

from simnet.llm.pricing import Price
from simulations.engine.budget import Budget, BudgetExhausted, BudgetGuard
from simulations.engine.turns import AgentTurn
from simulations.learning.hybrid import HybridProvider
from simulations.learning.words_budget import WordsBudget
from simulations.models import Policy, RunAction
from simulations.runs import asking
from simulations.runs.services import run_start
from tests.simulations.learning.test_hybrid import _model
from tests.simulations.learning.test_words_budget import CountingWriter, _crowd
from tests.simulations.runs.test_policy import _scenario
from tests.support.generated_panels import community_panel
from tests.support.runs import drive

PRICE = Price(3.0, 15.0, 0.3, 3.75)


class BatchRecordingWriter(CountingWriter):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def generate(self, requests):
        self.batches.append(len(requests))
        return super().generate(requests)


def _turns(n: int) -> list[AgentTurn]:
    return [AgentTurn(r.key, r, "feed", "feed", feed=("p1",)) for r in _crowd(n)]


def test_a_hybrid_step_sends_its_texts_a_batch_at_a_time(settings):
    settings.SIMNET_AGENT_BATCH = 8
    writer = BatchRecordingWriter()
    turns = _turns(200)
    hybrid = HybridProvider(_model(), writer, budget=WordsBudget(max_calls=36))  # one attempt a text
    hybrid.plan_words([t.request for t in turns])

    decisions = asking.ask(turns, hybrid, guard=None, renew_lease=lambda: True)

    assert len(decisions) == 200 and writer.calls == 36  # more than 36 of the crowd reply
    assert writer.batches == [8, 8, 8, 8, 4]  # before: a text or two per batch of 8 turns


def test_a_hybrid_budget_holds_only_the_texts_a_model_writes():
    turns = _turns(200)
    hybrid = HybridProvider(_model(), CountingWriter(), budget=WordsBudget(max_calls=5))
    hybrid.plan_words([t.request for t in turns])
    requests = [t.request for t in turns]
    five = BudgetGuard(Budget(), PRICE).worst_case([r for r in requests if hybrid.asks_model(r)])
    assert sum(hybrid.asks_model(r) for r in requests) == 5

    guard = BudgetGuard(Budget(max_tokens=five.tokens), PRICE)
    with pytest.raises(BudgetExhausted):  # every prompt's worst case: 200 of them
        guard.reserve(requests)
    guard.count_only(hybrid.asks_model)
    guard.reserve(requests)  # the five texts fit
    assert guard.worst_case(requests) == five


@pytest.mark.django_db
def test_a_hybrid_run_with_a_tight_token_budget_runs_on_its_texts(tenancy, fake_provider_env):
    """Its budget fits the words the model writes, not every agent's prompt (reserving those, as
    before, paused the run at its first step)."""
    scenario = _scenario(tenancy, community_panel(tenancy.org_a), policy=Policy.HYBRID)
    scenario.settings = {**scenario.settings, "words": {"max_calls": 2, "share": None}}
    scenario.save(update_fields=["settings"])
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0]
    run.budget_tokens = 12_000
    run.save(update_fields=["budget_tokens"])

    run = drive(run)

    assert run.status == "completed", run.status_reason
    assert RunAction.objects.filter(run=run).count() > 4 * 2 * 3  # a crowd acted, not just the writers
    assert 0 < run.input_tokens + run.cached_tokens + run.output_tokens <= 12_000
