from __future__ import annotations

import json

import pytest

from simnet.llm.anthropic_batch import custom_id, parse_custom_id
from simnet.llm.anthropic_provider import AnthropicProvider
from simnet.llm.base import LLMRequest, ProviderUnavailable, QuotaExceeded, Usage
from simnet.llm.pricing import cost_of, price_for
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Reply

BATCHES = "/v1/messages/batches"


def _provider(loopback) -> AnthropicProvider:
    """Anthropic's own API, played by the loopback server (so its error messages may be shown)."""
    return AnthropicProvider(api_key="sk-test", model="claude-haiku-4-5", max_retries=0)


@pytest.fixture(autouse=True)
def _loopback_plays_the_official_api(loopback, monkeypatch):
    """The SDK's own setting, as an operator would set it; ``base_url`` is a customer's server
    (tests/simnet/providers/test_anthropic_base_url.py)."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)


def _requests() -> list[LLMRequest]:
    keys = ["agent-1", "interview:agent-2", "agent-3"]
    return [
        LLMRequest(key=k, system="You are Ada.", user=f"feed for {k}", schema=shapes.DECISION_SCHEMA)
        for k in keys
    ]


def _jsonl(*entries: dict) -> bytes:
    return "\n".join(json.dumps(entry) for entry in entries).encode() + b"\n"


def test_custom_ids_round_trip_and_fit_the_api_pattern():
    value = custom_id(12, "interview:agent-2", structured=True)

    assert parse_custom_id(value) == (12, "interview:agent-2", True)
    assert parse_custom_id(custom_id(3, "a-b_c", structured=False)) == (3, "a-b_c", False)
    assert all(c.isalnum() or c in "-_" for c in value)
    with pytest.raises(ValueError, match="too long"):
        custom_id(0, "x" * 60, structured=True)


def test_submit_sends_one_entry_per_request_with_the_live_params(loopback):
    loopback.script(BATCHES, Reply(200, shapes.anthropic_batch("msgbatch_01", "in_progress", None)))
    provider = _provider(loopback)

    batch_id = provider.submit_batch(_requests())

    assert batch_id == "msgbatch_01"
    entries = loopback.requests_to(BATCHES)[0].body["requests"]
    assert [parse_custom_id(e["custom_id"]) for e in entries] == [
        (0, "agent-1", True),
        (1, "interview:agent-2", True),
        (2, "agent-3", True),
    ]
    assert entries[1]["params"] == provider.message_params(_requests()[1])


def test_collect_returns_none_while_the_batch_runs(loopback):
    loopback.script(
        f"{BATCHES}/msgbatch_01", Reply(200, shapes.anthropic_batch("msgbatch_01", "in_progress", None))
    )

    assert _provider(loopback).collect_batch("msgbatch_01") is None


def test_collect_orders_results_and_bills_half_price(loopback):
    results_url = f"{loopback.url}{BATCHES}/msgbatch_01/results"
    loopback.script(
        f"{BATCHES}/msgbatch_01", Reply(200, shapes.anthropic_batch("msgbatch_01", "ended", results_url))
    )
    succeeded = shapes.anthropic_tool_use(
        shapes.DECISION, input_tokens=1000, output_tokens=40, cache_read=3000
    )
    loopback.script(
        f"{BATCHES}/msgbatch_01/results",
        Reply(
            200,
            _jsonl(
                {"custom_id": custom_id(2, "agent-3", True), "result": {"type": "expired"}},
                {
                    "custom_id": custom_id(0, "agent-1", True),
                    "result": {"type": "succeeded", "message": succeeded},
                },
                {
                    "custom_id": custom_id(1, "interview:agent-2", True),
                    "result": {"type": "errored", "error": shapes.BAD_REQUEST},
                },
            ),
        ),
    )

    first, second, third = _provider(loopback).collect_batch("msgbatch_01")

    assert (first.key, first.data) == ("agent-1", shapes.DECISION)
    live = cost_of(
        price_for("anthropic", "claude-haiku-4-5"),
        Usage(input_tokens=1000, output_tokens=40, cached_input_tokens=3000),
    )
    assert first.usage.cost_usd == pytest.approx(live / 2)
    assert second.key == "interview:agent-2"
    assert second.error.startswith("invalid_request_error: messages: text content")
    assert not second.retryable
    assert (third.key, third.error, third.retryable) == ("agent-3", "batch request expired", True)


def test_submit_without_credit_raises_quota_exceeded(loopback):
    loopback.script(BATCHES, Reply(400, shapes.CREDIT_TOO_LOW))

    with pytest.raises(QuotaExceeded, match="credit balance"):
        _provider(loopback).submit_batch(_requests())


def test_batch_calls_failing_transiently_make_the_provider_unavailable(loopback):
    loopback.script(f"{BATCHES}/msgbatch_01", Reply(529, shapes.OVERLOADED))

    with pytest.raises(ProviderUnavailable):
        _provider(loopback).collect_batch("msgbatch_01")
