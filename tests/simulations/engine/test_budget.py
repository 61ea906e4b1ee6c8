from __future__ import annotations

from simnet.llm.pricing import Price
from simnet.llm.testing import FakeProvider
from simulations.engine import (
    Budget,
    BudgetExhausted,
    BudgetGuard,
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
    run,
)
from simulations.engine.budget import tokens_spent

PRICE = Price(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)


class PricedFake(FakeProvider):
    """The fake, priced like a hosted model (its usage is counted with count_tokens)."""

    name = "anthropic"
    model = "claude-sonnet-4-5"


def world() -> World:
    return create_world(demo_panel(80, seed=8), WorldConfig(seed=8))


def test_a_token_budget_stops_the_run_before_it_is_exceeded() -> None:
    w = world()
    limit = 60_000
    report = run(w, PricedFake(), 200, budget=Budget(max_tokens=limit))
    assert report.stopped == "budget" and "exceed" in report.message
    spent = tokens_spent(w.spent)
    assert 0 < spent <= limit
    guard = BudgetGuard(Budget(max_tokens=limit), PRICE, w.spent)
    assert not guard.affordable(plan_step(w).requests)  # the next step really would not fit
    assert w.next_step == len(report.steps)


def test_a_dollar_budget_stops_the_run_before_it_is_exceeded() -> None:
    w = world()
    report = run(w, PricedFake(), 200, budget=Budget(max_usd=0.25))
    assert report.stopped == "budget"
    spent_usd = BudgetGuard(Budget(), PRICE, w.spent).spent_usd()
    assert 0.1 < spent_usd <= 0.25


def test_the_worst_case_reservation_covers_what_was_really_spent() -> None:
    w = world()
    for _ in range(4):
        plan = plan_step(w)
        guard = BudgetGuard(Budget(), PRICE)
        reserved = guard.worst_case(plan.requests)
        decisions = gather_decisions(plan.turns, PricedFake(), guard=guard)
        assert tokens_spent(guard.spent) <= reserved.tokens
        assert guard.spent_usd() <= reserved.usd
        apply_step(w, plan, decisions)


def test_gathering_refuses_a_batch_that_does_not_fit_and_sends_nothing() -> None:
    w = world()
    run(w, FakeProvider(), 1)
    plan = plan_step(w)
    provider = PricedFake()
    guard = BudgetGuard(Budget(max_tokens=10), PRICE)
    try:
        gather_decisions(plan.turns, provider, guard=guard)
    except BudgetExhausted:
        pass
    else:
        raise AssertionError("a batch over budget was sent")
    assert provider.requests == 0


def test_retries_are_skipped_when_only_the_first_round_fits() -> None:
    w = world()
    run(w, FakeProvider(), 1)
    turn = plan_step(w).turns[0]
    first_round = BudgetGuard(Budget(), PRICE).worst_case([turn.request]).tokens
    guard = BudgetGuard(Budget(max_tokens=first_round), PRICE)
    provider = PricedFake(garbage_once_for={turn.agent_id})
    (failed,) = gather_decisions([turn], provider, guard=guard)
    assert failed.decision is None and "no retry: budget" in (failed.error or "")
    assert provider.requests == 1 and tokens_spent(guard.spent) <= first_round
    (repaired,) = gather_decisions([turn], PricedFake(garbage_once_for={turn.agent_id}))  # without a budget
    assert repaired.decision is not None and repaired.attempts == 2


def test_a_free_provider_never_hits_a_dollar_budget() -> None:
    w = world()
    report = run(w, FakeProvider(), 5, budget=Budget(max_usd=0.0))
    assert report.stopped == "completed" and len(report.steps) == 5
