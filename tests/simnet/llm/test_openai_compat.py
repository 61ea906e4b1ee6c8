from __future__ import annotations

import json
import time

import pytest

from simnet.llm.base import LLMRequest, ProviderError, ProviderUnavailable, QuotaExceeded, Usage
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.pricing import cost_of, price_for
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Recorded, Reply

CHAT = "/v1/chat/completions"
ANSWER = json.dumps(shapes.DECISION)


def _provider(loopback, waits: list[float] | None = None, **overrides) -> OpenAICompatProvider:
    settings = {
        "base_url": f"{loopback.url}/v1",
        "model": "gpt-4o-mini",
        "api_key": "sk-test",
        "max_attempts": 3,
        "sleep": _recording(waits if waits is not None else []),
    }
    return OpenAICompatProvider(**{**settings, **overrides})


def _recording(waits: list[float]):
    """An async sleep that only notes how long it was asked to wait."""

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return sleep


def _request(
    key: str = "agent-1", user: str = "Feed:\nP1: hello", schema=shapes.DECISION_SCHEMA
) -> LLMRequest:
    return LLMRequest(key=key, system="You are Ada.", user=user, schema=schema, seed=7, temperature=0.3)


def test_json_schema_answer_with_cached_tokens(loopback):
    loopback.script(CHAT, Reply(200, shapes.chat_completion(ANSWER, prompt_tokens=1200, cached_tokens=1024)))

    [response] = _provider(loopback).generate([_request()])

    assert response.data == shapes.DECISION
    assert response.usage.input_tokens == 176
    assert response.usage.cached_input_tokens == 1024
    assert response.usage.output_tokens == 30
    expected = Usage(input_tokens=176, output_tokens=30, cached_input_tokens=1024)
    assert response.usage.cost_usd == pytest.approx(
        cost_of(price_for("openai_compat", "gpt-4o-mini"), expected)
    )
    recorded = loopback.requests_to(CHAT)[0]
    assert recorded.headers["authorization"] == "Bearer sk-test"
    assert recorded.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "decision", "schema": shapes.DECISION_SCHEMA, "strict": True},
    }
    assert (recorded.body["seed"], recorded.body["temperature"]) == (7, 0.3)
    assert recorded.body["messages"][0] == {"role": "system", "content": "You are Ada."}


def test_no_api_key_sends_no_authorization_and_text_needs_no_json(loopback):
    loopback.script(CHAT, Reply(200, shapes.chat_completion("Just words.")))

    [response] = _provider(loopback, api_key=None).generate([_request(schema=None)])

    assert (response.text, response.data, response.error) == ("Just words.", None, None)
    recorded = loopback.requests_to(CHAT)[0]
    assert "authorization" not in recorded.headers
    assert "response_format" not in recorded.body


def test_rejected_json_schema_falls_back_to_json_object_for_good(loopback):
    def respond(recorded: Recorded) -> Reply:
        if recorded.body["response_format"]["type"] == "json_schema":
            return Reply(400, shapes.VLLM_RESPONSE_FORMAT_REJECTED)
        return Reply(200, shapes.chat_completion(ANSWER))

    loopback.responder = respond
    provider = _provider(loopback, max_concurrency=1)

    first, second = provider.generate([_request("a1"), _request("a2")])

    assert first.data == second.data == shapes.DECISION
    formats = [r.body["response_format"]["type"] for r in loopback.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert "JSON schema" in loopback.requests[1].body["messages"][1]["content"]


def test_rate_limit_pauses_the_limiter_as_told_then_succeeds(loopback):
    loopback.script(
        CHAT,
        Reply(429, shapes.OPENAI_RATE_LIMITED, {"Retry-After": "1"}),
        Reply(200, shapes.chat_completion(ANSWER)),
    )
    waits: list[float] = []
    provider = _provider(loopback, waits)
    started = time.time()

    [response] = provider.generate([_request()])

    assert response.data == shapes.DECISION
    assert waits == []  # the wait was the limiter's pause (shared by every worker), not this call's own
    assert provider.limiter.store.paused_until("openai_compat:pause") == pytest.approx(started + 1, abs=0.5)
    assert time.time() - started >= 1.0


def test_retry_after_is_capped(loopback):
    loopback.script(
        CHAT,
        Reply(503, shapes.SERVER_ERROR, {"Retry-After": "3600"}),
        Reply(200, shapes.chat_completion(ANSWER)),
    )
    waits: list[float] = []

    _provider(loopback, waits, max_wait_s=5.0).generate([_request()])

    assert waits == [5.0]


def test_insufficient_quota_raises_at_once(loopback):
    loopback.script(CHAT, Reply(429, shapes.INSUFFICIENT_QUOTA))
    waits: list[float] = []

    with pytest.raises(QuotaExceeded, match="no quota left"):
        _provider(loopback, waits).generate([_request()])
    assert waits == [] and len(loopback.requests) == 1


def test_invalid_key_raises_provider_error(loopback):
    loopback.script(CHAT, Reply(401, shapes.OPENAI_INVALID_KEY))

    with pytest.raises(ProviderError, match="invalid key"):
        _provider(loopback).generate([_request()])


def _failing_for(marker: str, failure: Reply):
    def respond(recorded: Recorded) -> Reply:
        if marker in recorded.body["messages"][1]["content"]:
            return failure
        return Reply(200, shapes.chat_completion(ANSWER))

    return respond


def test_server_errors_exhaust_bounded_retries_into_a_per_request_error(loopback):
    loopback.responder = _failing_for("bad", Reply(500, shapes.SERVER_ERROR))
    waits: list[float] = []

    ok, failed = _provider(loopback, waits, backoff_s=0.5).generate(
        [_request("a1"), _request("a2", user="bad")]
    )

    assert ok.data == shapes.DECISION
    assert failed.error == "HTTP 500: the server failed or is busy"
    assert failed.retryable
    assert len([r for r in loopback.requests if "bad" in r.body["messages"][1]["content"]]) == 3
    assert waits == [0.5, 1.0]


def test_all_requests_failing_transiently_raise_provider_unavailable(loopback):
    loopback.script(CHAT, Reply(503, shapes.SERVER_ERROR))

    with pytest.raises(ProviderUnavailable):
        _provider(loopback).generate([_request("a1"), _request("a2")])


def test_unreachable_server_is_unavailable(loopback):
    url = loopback.url
    loopback.stop()

    with pytest.raises(ProviderUnavailable, match="connection"):
        OpenAICompatProvider(base_url=url, model="m", max_attempts=2, sleep=_recording([])).generate(
            [_request()]
        )


def test_truncated_body_is_a_retryable_per_request_error(loopback):
    loopback.responder = _failing_for(
        "bad", Reply(200, b'{"id": "chatcmpl-1", "choices": [{"index": 0, "mess')
    )

    ok, failed = _provider(loopback).generate([_request("a1"), _request("a2", user="bad")])

    assert ok.error is None
    assert failed.error.startswith("unreadable response body")
    assert failed.retryable


def test_answer_that_is_not_json_or_cut_short_is_an_error(loopback):
    def respond(recorded: Recorded) -> Reply:
        if "cut" in recorded.body["messages"][1]["content"]:
            return Reply(200, shapes.chat_completion('{"action": "li', finish_reason="length"))
        return Reply(200, shapes.chat_completion("I like it!"))

    loopback.responder = respond

    prose, cut = _provider(loopback).generate([_request("a1"), _request("a2", user="cut")])

    assert (prose.error, prose.text, prose.retryable) == (
        "model output is not a JSON object",
        "I like it!",
        False,
    )
    assert cut.error == "output truncated at max_tokens"


def test_other_client_errors_are_per_request_and_not_retried(loopback):
    loopback.responder = _failing_for(
        "bad", Reply(400, {"error": {"message": "messages too long", "type": "x"}})
    )

    ok, failed = _provider(loopback).generate([_request("a1"), _request("a2", user="bad")])

    assert ok.error is None
    assert (failed.error, failed.retryable) == ("HTTP 400: the server refused the request", False)
    assert len(loopback.requests) == 2


def test_free_text_cut_at_max_tokens_is_still_an_answer(loopback):
    loopback.script(CHAT, Reply(200, shapes.chat_completion("Well, I think", finish_reason="length")))

    [response] = _provider(loopback).generate([_request(schema=None)])

    assert (response.text, response.error) == ("Well, I think", None)


def test_unknown_model_is_a_provider_error(loopback):
    loopback.script(CHAT, Reply(404, {"error": 'model "qwen9" not found, try pulling it first'}))

    with pytest.raises(ProviderError, match="not found"):
        _provider(loopback).generate([_request()])


LEAK = "ami-secret-instance-role-AKIA0123456789"  # what an internal service would answer


def _refusal(text: str) -> dict:
    completion = shapes.chat_completion("")
    completion["choices"][0]["message"]["refusal"] = text
    return completion


@pytest.mark.parametrize(
    "failure",
    [
        Reply(401, {"error": {"message": LEAK, "type": "auth"}}),
        Reply(403, LEAK.encode()),
        Reply(404, {"error": LEAK}),
        Reply(429, {"error": {"message": LEAK, "code": "insufficient_quota"}}),
        Reply(400, {"object": "error", "message": LEAK}),
        Reply(500, LEAK.encode()),
        Reply(200, LEAK.encode()),
        Reply(200, _refusal(LEAK)),
    ],
)
def test_no_error_repeats_what_the_server_answered(loopback, failure):
    """``base_url`` can point anywhere: its answer must never come back through errors."""
    loopback.script(CHAT, failure)
    try:
        responses = _provider(loopback, max_attempts=1).generate([_request("a1"), _request("a2")])
    except Exception as raised:  # noqa: BLE001 - whichever way it fails, the text is checked
        described = [str(raised)]
    else:
        described = [response.error or "" for response in responses]
        assert all(described), "every request failed, so each carries an error"
    assert all(LEAK not in text for text in described), described
    if failure.status >= 400:
        assert all(f"HTTP {failure.status}" in text for text in described), described
