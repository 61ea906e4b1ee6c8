"""Unusable answers get one retry, then become error actions; no agent can stop a step."""

from __future__ import annotations

from collections.abc import Sequence

from simnet.llm.base import LLMRequest, LLMResponse, ProviderUnavailable, QuotaExceeded
from simnet.llm.testing import CORRECTION_MARKER, FakeProvider
from simulations.engine import (
    ActionType,
    AgentDecision,
    Outcome,
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
    run,
)


def world() -> World:
    w = create_world(demo_panel(40, seed=3), WorldConfig(seed=3))
    run(w, FakeProvider(), 2)  # some posts to react to
    return w


def test_garbage_once_is_repaired_by_one_correction_request() -> None:
    w = world()
    plan = plan_step(w)
    agent = plan.turns[0].agent_id
    provider = FakeProvider(garbage_once_for={agent})
    decisions = gather_decisions(plan.turns, provider)
    repaired = decisions[0]
    assert repaired.decision is not None and repaired.error is None and repaired.attempts == 2
    assert repaired.usage.calls == 2
    assert provider.requests == len(plan.turns) + 1 and provider.per_key[agent] == 2
    result = apply_step(w, plan, decisions).results[0]
    assert result.outcome is not Outcome.ERROR


def test_the_correction_request_names_the_problem() -> None:
    w = world()
    plan = plan_step(w)
    seen: list[LLMRequest] = []

    class Recorder(FakeProvider):
        def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
            seen.extend(requests)
            return super().generate(requests)

    gather_decisions(plan.turns[:1], Recorder(garbage_once_for={plan.turns[0].agent_id}))
    first, retry = seen
    assert retry.system == first.system and retry.user.startswith(first.user)
    assert CORRECTION_MARKER in retry.user and "no JSON object" in retry.user
    assert retry.seed != first.seed


def test_garbage_twice_becomes_an_error_action_and_the_step_completes() -> None:
    w = world()
    plan = plan_step(w)
    bad = plan.turns[1].agent_id
    result = apply_step(w, plan, gather_decisions(plan.turns, FakeProvider(garbage_always_for={bad})))
    by_agent = {r.agent_id: r for r in result.results}
    assert len(by_agent) == len(plan.turns)
    failed = by_agent[bad]
    assert (failed.action, failed.outcome) == (ActionType.ERROR, Outcome.ERROR)
    assert "after one retry" in failed.message
    assert sum(r.outcome is Outcome.ERROR for r in result.results) == 1
    assert any(e.kind == "agent_errors" and e.data["count"] == 1 for e in result.events)


def test_one_agents_provider_error_does_not_stop_the_step() -> None:
    w = world()
    plan = plan_step(w)
    broken = plan.turns[0].agent_id
    provider = FakeProvider(error_for={broken})
    result = apply_step(w, plan, gather_decisions(plan.turns, provider))
    assert provider.per_key[broken] == 1  # a non-transient error is not retried
    errors = [r for r in result.results if r.outcome is Outcome.ERROR]
    assert [r.agent_id for r in errors] == [broken] and "always fails" in errors[0].message
    assert w.next_step == plan.step + 1


class Flaky:
    """Fails transiently on the first request of each agent, then answers like the fake."""

    name, model = "flaky", "f-1"

    def __init__(self) -> None:
        self.inner = FakeProvider()
        self.failed: set[str] = set()

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        answers = self.inner.generate(requests)
        out = []
        for request, answer in zip(requests, answers):
            if request.key not in self.failed:
                self.failed.add(request.key)
                out.append(LLMResponse(request.key, "", error="429 slow down", retryable=True))
            else:
                out.append(answer)
        return out


def test_a_transient_error_is_retried_once_with_the_same_prompt() -> None:
    w = world()
    plan = plan_step(w)
    decisions = gather_decisions(plan.turns, Flaky())
    assert all(d.decision is not None and d.attempts == 2 for d in decisions)


def test_missing_decisions_are_errors_and_foreign_ones_are_refused() -> None:
    w = world()
    plan = plan_step(w)
    decisions = gather_decisions(plan.turns[1:], FakeProvider())
    stranger = AgentDecision("not-planned", None, error="x")
    for bad in (decisions + [stranger], decisions + decisions[:1]):
        try:
            apply_step(w, plan, bad)
        except ValueError:
            pass
        else:
            raise AssertionError("a foreign or duplicate decision was applied")
    result = apply_step(w, plan, decisions)
    assert result.results[0].outcome is Outcome.ERROR and "no decision" in result.results[0].message


def test_quota_stops_the_run_cleanly_between_steps() -> None:
    w = create_world(demo_panel(40, seed=3), WorldConfig(seed=3))
    report = run(w, FakeProvider(quota_after_calls=3), 10)
    assert report.stopped == "quota" and len(report.steps) == 3 and w.next_step == 3


def test_provider_unavailable_stops_the_run_without_applying_the_step() -> None:
    class Down:
        name, model = "down", "d"

        def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
            raise ProviderUnavailable("every request failed transiently")

    w = world()
    before = w.to_state()
    report = run(w, Down(), 3)
    assert report.stopped == "unavailable" and w.to_state() == before


def test_quota_exceeded_propagates_from_gather() -> None:
    w = world()
    try:
        gather_decisions(plan_step(w).turns, FakeProvider(quota_after_calls=0))
    except QuotaExceeded:
        pass
    else:
        raise AssertionError("QuotaExceeded was swallowed")


def test_an_answer_the_provider_flagged_is_still_read_or_corrected() -> None:
    w = world()
    turns = plan_step(w).turns[:2]
    readable, unreadable = turns[0].agent_id, turns[1].agent_id

    class Flagging(FakeProvider):
        def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
            out = []
            for r, a in zip(requests, super().generate(requests)):
                if r.key == readable:
                    out.append(LLMResponse(r.key, a.text, error="output truncated at max_tokens"))
                elif r.key == unreadable and CORRECTION_MARKER not in r.user:
                    out.append(LLMResponse(r.key, '{"action": "li', error="output truncated at max_tokens"))
                else:
                    out.append(a)
            return out

    first, second = gather_decisions(turns, Flagging())
    assert first.decision is not None and first.attempts == 1
    assert second.decision is not None and second.attempts == 2
