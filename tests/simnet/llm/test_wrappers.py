from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from simnet.llm.base import (
    LLMRequest,
    LLMResponse,
    Provider,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
    Usage,
)
from simnet.llm.wrappers import (
    BudgetProvider,
    CacheKey,
    CachingProvider,
    InMemoryDecisionStore,
    MeteredProvider,
    RetryingProvider,
)

PAID = Usage(input_tokens=100, output_tokens=10, cost_usd=0.25, latency_s=0.5)
FAILED = Usage(input_tokens=0, output_tokens=0, cost_usd=0.0, latency_s=0.1)


class ScriptedProvider:
    """Answers each request by ``answer(request, call_number)`` and records every batch."""

    name = "scripted"
    model = "m1"

    def __init__(self, answer: Callable[[LLMRequest, int], LLMResponse]) -> None:
        self.answer = answer
        self.batches: list[list[str]] = []

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        self.batches.append([r.key for r in requests])
        return [self.answer(r, len(self.batches)) for r in requests]


def _ok(request: LLMRequest, call: int = 1) -> LLMResponse:
    return LLMResponse(key=request.key, text=f'{{"n": {call}}}', data={"n": call}, usage=PAID)


def _requests(*keys: str) -> list[LLMRequest]:
    return [LLMRequest(key=k, system="card", user=f"feed of {k}", seed=1) for k in keys]


def test_wrappers_are_providers_named_after_the_wrapped_one():
    inner = ScriptedProvider(_ok)
    for wrapper in (RetryingProvider(inner), CachingProvider(inner), MeteredProvider(inner)):
        assert isinstance(wrapper, Provider)
        assert (wrapper.name, wrapper.model) == ("scripted", "m1")


# -- retry ------------------------------------------------------------------------------------


def test_retries_only_transient_failures_with_backoff_and_adds_up_usage():
    def answer(request: LLMRequest, call: int) -> LLMResponse:
        if request.key == "flaky" and call < 3:
            return LLMResponse(
                key="flaky", text="", error="429 rate_limit_error", retryable=True, usage=FAILED
            )
        if request.key == "broken":
            return LLMResponse(key="broken", text="", error="400 invalid", usage=FAILED)
        return _ok(request, call)

    inner = ScriptedProvider(answer)
    waits: list[float] = []

    ok, flaky, broken = RetryingProvider(inner, max_attempts=4, backoff_s=1.0, sleep=waits.append).generate(
        _requests("ok", "flaky", "broken")
    )

    assert inner.batches == [["ok", "flaky", "broken"], ["flaky"], ["flaky"]]
    assert waits == [1.0, 2.0]
    assert ok.data == {"n": 1}
    assert flaky.data == {"n": 3} and flaky.error is None
    assert flaky.usage.latency_s == pytest.approx(0.7) and flaky.usage.calls == 3
    assert broken.error == "400 invalid"


def test_retry_gives_up_after_max_attempts_and_returns_the_last_error():
    def answer(request: LLMRequest, call: int) -> LLMResponse:
        if request.key == "down":
            return LLMResponse(key="down", text="", error=f"529 overloaded #{call}", retryable=True)
        return _ok(request)

    inner = ScriptedProvider(answer)

    _, down = RetryingProvider(inner, max_attempts=3, sleep=lambda s: None).generate(_requests("ok", "down"))

    assert down.error == "529 overloaded #3"
    assert len(inner.batches) == 3


class FlappingProvider(ScriptedProvider):
    """Down (every request failing transiently) for its first ``failures`` batches."""

    def __init__(self, failures: int) -> None:
        super().__init__(_ok)
        self.failures = failures
        self.calls = 0

    def generate(self, requests):
        self.calls += 1
        if self.calls <= self.failures:
            raise ProviderUnavailable("every request failed transiently")
        return super().generate(requests)


def test_retry_survives_a_short_provider_wide_outage():
    [answer] = RetryingProvider(FlappingProvider(failures=1), sleep=lambda s: None).generate(_requests("a"))

    assert answer.error is None


def test_retry_reraises_an_outage_that_outlasts_the_attempts():
    down = FlappingProvider(failures=99)

    with pytest.raises(ProviderUnavailable):
        RetryingProvider(down, max_attempts=2, sleep=lambda s: None).generate(_requests("a"))
    assert down.calls == 2


def test_retry_does_not_retry_quota_errors():
    class BrokeProvider(ScriptedProvider):
        def generate(self, requests):
            self.batches.append([r.key for r in requests])
            raise QuotaExceeded("credit balance is too low")

    inner = BrokeProvider(_ok)
    with pytest.raises(QuotaExceeded):
        RetryingProvider(inner, sleep=lambda s: None).generate(_requests("a"))
    assert len(inner.batches) == 1


# -- cache ------------------------------------------------------------------------------------


def test_second_identical_call_is_free_and_identical():
    inner = ScriptedProvider(_ok)
    store = InMemoryDecisionStore()
    cached = CachingProvider(inner, store)

    [first] = cached.generate(_requests("a"))
    [second] = cached.generate(_requests("a"))

    assert (second.text, second.data) == (first.text, first.data)
    assert second.cached and not first.cached
    assert second.usage.cost_usd == 0.0 and second.usage.calls == 0
    assert inner.batches == [["a"]]
    assert len(store) == 1


def test_only_misses_reach_the_provider_and_errors_are_not_cached():
    def answer(request: LLMRequest, call: int) -> LLMResponse:
        if request.key == "bad":
            return LLMResponse(key="bad", text="", error="400 invalid")
        return _ok(request, call)

    inner = ScriptedProvider(answer)
    cached = CachingProvider(inner)
    cached.generate(_requests("a", "bad"))

    a, b, bad = cached.generate(_requests("a", "b", "bad"))

    assert inner.batches == [["a", "bad"], ["b", "bad"]]
    assert a.cached and not b.cached and bad.error == "400 invalid"
    assert (a.data, b.data) == ({"n": 1}, {"n": 2})


def test_cache_key_changes_with_every_part_of_the_call():
    base = LLMRequest(key="a", system="card", user="feed", schema={"type": "object"}, seed=1, temperature=0.7)
    variants = [
        LLMRequest(key="a", system="card2", user="feed", schema={"type": "object"}, seed=1, temperature=0.7),
        LLMRequest(key="a", system="card", user="feed2", schema={"type": "object"}, seed=1, temperature=0.7),
        LLMRequest(key="a", system="card", user="feed", schema=None, seed=1, temperature=0.7),
        LLMRequest(key="a", system="card", user="feed", schema={"type": "object"}, seed=2, temperature=0.7),
        LLMRequest(key="a", system="card", user="feed", schema={"type": "object"}, seed=1, temperature=0.2),
    ]
    key = CacheKey.for_request("anthropic", "claude-haiku-4-5", base)

    digests = {CacheKey.for_request("anthropic", "claude-haiku-4-5", v).digest for v in variants}
    digests.add(CacheKey.for_request("openai_compat", "claude-haiku-4-5", base).digest)
    digests.add(CacheKey.for_request("anthropic", "claude-sonnet-4-6", base).digest)

    assert key.digest not in digests and len(digests) == 7
    other_agent_same_prompt = LLMRequest(
        key="b", system="card", user="feed", schema={"type": "object"}, seed=1
    )
    assert CacheKey.for_request("anthropic", "claude-haiku-4-5", other_agent_same_prompt) == key


# -- metering and budget ----------------------------------------------------------------------


def test_meter_sums_usage_and_records_each_call_including_cache_hits():
    metered = MeteredProvider(CachingProvider(ScriptedProvider(_ok)))

    metered.generate(_requests("a", "b"))
    metered.generate(_requests("a"))

    assert metered.total.cost_usd == pytest.approx(0.5)
    assert metered.total.input_tokens == 200
    assert metered.total.calls == 2
    records = metered.drain()
    assert [(r.key, r.cached) for r in records] == [("a", False), ("b", False), ("a", True)]
    assert records[0].provider == "scripted" and records[0].usage == PAID
    assert metered.drain() == []
    assert metered.total.calls == 2


def test_budget_pauses_once_the_limit_is_spent():
    inner = ScriptedProvider(_ok)
    budget = BudgetProvider(inner, limit_usd=0.6, spent_usd=0.1)

    budget.generate(_requests("a", "b"))  # 0.1 + 0.5 = 0.6
    with pytest.raises(QuotaExceeded, match="budget"):
        budget.generate(_requests("c"))

    assert budget.spent_usd == pytest.approx(0.6)
    assert len(inner.batches) == 1
    assert issubclass(QuotaExceeded, ProviderError)
