from __future__ import annotations

import threading

import pytest

from simnet.llm.anthropic_provider import AnthropicProvider, cache_min_tokens
from simnet.llm.base import LLMRequest, ProviderError, ProviderUnavailable, QuotaExceeded, Usage
from simnet.llm.pricing import cost_of, price_for
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Recorded, Reply

MESSAGES = "/v1/messages"
RETRY_NOW = {"retry-after-ms": "1"}  # the SDK honours it, so retries do not slow the tests


def _provider(loopback, **overrides) -> AnthropicProvider:
    """Anthropic's own API, played by the loopback server (so its error messages may be shown)."""
    settings = {"api_key": "sk-test", "model": "claude-haiku-4-5", "max_retries": 2}
    return AnthropicProvider(**{**settings, **overrides})


@pytest.fixture(autouse=True)
def _loopback_plays_the_official_api(loopback, monkeypatch):
    """The SDK's own setting, as an operator would set it; ``base_url`` is a customer's server
    (tests/simnet/providers/test_anthropic_base_url.py)."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)


def _request(key: str = "agent-1", system: str = "You are Ada.", schema=shapes.DECISION_SCHEMA) -> LLMRequest:
    return LLMRequest(key=key, system=system, user="Feed:\nP1: hello", schema=schema, max_tokens=150)


def test_tool_use_answer_becomes_data_with_usage_and_cost(loopback):
    loopback.script(MESSAGES, Reply(200, shapes.anthropic_tool_use(shapes.DECISION, cache_read=2048)))

    [response] = _provider(loopback).generate([_request()])

    assert response.error is None
    assert response.data == shapes.DECISION
    assert response.key == "agent-1"
    expected = Usage(input_tokens=52, output_tokens=41, cached_input_tokens=2048)
    assert response.usage.input_tokens == 52
    assert response.usage.cached_input_tokens == 2048
    assert response.usage.cache_write_tokens == 0
    assert response.usage.cost_usd == pytest.approx(
        cost_of(price_for("anthropic", "claude-haiku-4-5"), expected)
    )
    assert response.usage.latency_s > 0

    sent = loopback.requests_to(MESSAGES)[0].body
    assert sent["tools"][0]["input_schema"] == shapes.DECISION_SCHEMA
    assert sent["tool_choice"] == {
        "type": "tool",
        "name": "record_decision",
        "disable_parallel_tool_use": True,
    }
    assert sent["max_tokens"] == 150
    assert "temperature" not in sent  # API 2026-10-21 rejects sampling parameters


def test_text_answer_without_schema(loopback):
    loopback.script(
        MESSAGES, Reply(200, shapes.anthropic_text("I would rather not say.", cache_creation=1500))
    )

    [response] = _provider(loopback).generate([_request(schema=None)])

    assert response.text == "I would rather not say."
    assert response.data is None
    assert response.usage.cache_write_tokens == 1500
    assert "tools" not in loopback.requests_to(MESSAGES)[0].body


def test_output_format_mode_sends_json_schema_and_parses_text(loopback):
    loopback.script(MESSAGES, Reply(200, shapes.anthropic_text('{"action": "ignore", "target": null}')))

    [response] = _provider(loopback, structured="output_format").generate([_request()])

    assert response.data == {"action": "ignore", "target": None}
    sent = loopback.requests_to(MESSAGES)[0].body
    assert sent["output_config"]["format"] == {"type": "json_schema", "schema": shapes.DECISION_SCHEMA}
    assert "tools" not in sent


@pytest.mark.parametrize(
    ("model", "system_words", "cached"),
    [
        ("claude-haiku-4-5", 100, False),
        ("claude-haiku-4-5", 4200, True),
        ("claude-sonnet-4-6", 1100, True),
        ("claude-3-5-haiku-latest", 1100, False),
    ],
)
def test_cache_control_only_on_prefix_long_enough_to_cache(loopback, model, system_words, cached):
    loopback.script(MESSAGES, Reply(200, shapes.anthropic_tool_use(shapes.DECISION)))
    system = " ".join(["card"] * system_words)  # one token a word

    _provider(loopback, model=model).generate([_request(system=system)])

    [block] = loopback.requests_to(MESSAGES)[0].body["system"]
    assert block["text"] == system
    assert ("cache_control" in block) is cached
    if cached:
        assert block["cache_control"] == {"type": "ephemeral"}


def test_cache_minimums_follow_the_model_family():
    assert cache_min_tokens("claude-sonnet-4-5-20250929") == 1024
    assert cache_min_tokens("claude-3-5-haiku-latest") == 2048
    assert cache_min_tokens("claude-haiku-4-5") == 4096


def test_rate_limit_then_success_is_retried_by_the_sdk(loopback):
    loopback.script(
        MESSAGES,
        Reply(429, shapes.RATE_LIMITED, RETRY_NOW),
        Reply(200, shapes.anthropic_tool_use(shapes.DECISION)),
    )

    [response] = _provider(loopback).generate([_request()])

    assert response.data == shapes.DECISION
    assert len(loopback.requests_to(MESSAGES)) == 2


def _by_key(failing_key: str, failure: Reply):
    def respond(recorded: Recorded) -> Reply:
        if failing_key in recorded.body["messages"][0]["content"]:
            return failure
        return Reply(200, shapes.anthropic_tool_use(shapes.DECISION))

    return respond


@pytest.mark.parametrize(
    ("failure", "attempts"),
    [(Reply(429, shapes.RATE_LIMITED, RETRY_NOW), 3), (Reply(529, shapes.OVERLOADED, RETRY_NOW), 3)],
)
def test_persistent_rate_limit_or_overload_is_a_retryable_per_request_error(loopback, failure, attempts):
    loopback.responder = _by_key("bad", failure)
    requests = [
        _request("a1"),
        LLMRequest(key="a2", system="s", user="bad feed", schema=shapes.DECISION_SCHEMA),
    ]

    ok, failed = _provider(loopback).generate(requests)

    assert ok.error is None and ok.data == shapes.DECISION
    assert failed.key == "a2" and failed.retryable
    assert str(failure.status) in failed.error
    bad_calls = [r for r in loopback.requests if "bad" in r.body["messages"][0]["content"]]
    assert len(bad_calls) == attempts  # 1 + max_retries


def test_every_request_failing_transiently_raises_provider_unavailable(loopback):
    loopback.script(MESSAGES, Reply(529, shapes.OVERLOADED, RETRY_NOW))

    with pytest.raises(ProviderUnavailable, match="overloaded"):
        _provider(loopback, max_retries=1).generate([_request("a1"), _request("a2")])


def test_invalid_request_is_a_per_request_error_with_the_message(loopback):
    loopback.responder = _by_key("bad", Reply(400, shapes.BAD_REQUEST))
    requests = [LLMRequest(key="a0", system="s", user="bad"), _request("a1")]

    failed, ok = _provider(loopback).generate(requests)

    assert failed.error == "400 invalid_request_error: messages: text content blocks must be non-empty"
    assert not failed.retryable
    assert ok.error is None
    assert len(loopback.requests) == 2  # a 400 is not retried


def test_invalid_key_raises_provider_error(loopback):
    loopback.script(MESSAGES, Reply(401, shapes.INVALID_KEY))

    with pytest.raises(ProviderError, match="invalid key") as raised:
        _provider(loopback).generate([_request()])
    assert not isinstance(raised.value, QuotaExceeded)


@pytest.mark.parametrize(
    ("status", "body"), [(400, shapes.CREDIT_TOO_LOW), (429, shapes.SPEND_LIMIT), (402, shapes.BAD_REQUEST)]
)
def test_credit_and_spend_limit_errors_raise_quota_exceeded(loopback, status, body):
    loopback.script(MESSAGES, Reply(status, body, {**RETRY_NOW, "x-should-retry": "false"}))

    with pytest.raises(QuotaExceeded):
        _provider(loopback).generate([_request()])
    assert len(loopback.requests) == 1


def test_truncated_response_body_is_a_retryable_per_request_error(loopback):
    loopback.responder = _by_key("bad", Reply(200, b'{"id": "msg_01", "type": "message", "content": [{"ty'))
    requests = [_request("a1"), LLMRequest(key="a2", system="s", user="bad", schema=shapes.DECISION_SCHEMA)]

    ok, failed = _provider(loopback).generate(requests)

    assert ok.data == shapes.DECISION
    assert failed.error.startswith("unreadable response body")
    assert failed.retryable


def test_structured_answer_cut_at_max_tokens_is_an_error_that_keeps_the_text(loopback):
    message = shapes.anthropic_message([{"type": "text", "text": '{"action": "li'}], stop_reason="max_tokens")
    loopback.script(MESSAGES, Reply(200, message))

    [response] = _provider(loopback, structured="output_format").generate([_request()])

    assert response.error == "output truncated at max_tokens"
    assert response.text == '{"action": "li'
    assert not response.retryable


def test_free_text_cut_at_max_tokens_is_still_an_answer(loopback):
    message = shapes.anthropic_message([{"type": "text", "text": "Well, I think"}], stop_reason="max_tokens")
    loopback.script(MESSAGES, Reply(200, message))

    [response] = _provider(loopback).generate([_request(schema=None)])

    assert (response.text, response.error) == ("Well, I think", None)


def test_batch_runs_concurrently_and_keeps_request_order(loopback):
    in_flight = threading.Barrier(3, timeout=5)

    def respond(recorded: Recorded) -> Reply:
        in_flight.wait()  # only passes when three calls are in flight together
        feed = recorded.body["messages"][0]["content"]
        return Reply(200, shapes.anthropic_tool_use({**shapes.DECISION, "reason": feed}))

    loopback.responder = respond
    requests = [
        LLMRequest(key=f"a{i}", system="s", user=f"feed {i}", schema=shapes.DECISION_SCHEMA) for i in range(6)
    ]

    responses = _provider(loopback, max_concurrency=3).generate(requests)

    assert [r.key for r in responses] == [f"a{i}" for i in range(6)]
    assert [r.data["reason"] for r in responses] == [f"feed {i}" for i in range(6)]


def test_missing_api_key_is_a_provider_error():
    with pytest.raises(ProviderError, match="API key"):
        AnthropicProvider(api_key="")


def test_unknown_model_is_a_provider_error(loopback):
    loopback.script(MESSAGES, Reply(404, shapes.anthropic_error("not_found_error", "model: claude-9")))

    with pytest.raises(ProviderError, match="not found"):
        _provider(loopback, model="claude-9").generate([_request()])


def test_unreachable_server_makes_the_provider_unavailable(loopback):
    url = loopback.url
    loopback.stop()
    provider = AnthropicProvider(api_key="sk-test", base_url=url, max_retries=0)

    with pytest.raises(ProviderUnavailable, match="connection"):
        provider.generate([_request()])
