"""Hosted providers against busy_loopback servers that speak their protocol: calls really overlap,
the rate limiter holds across provider instances sharing a store, and a 429's retry-after
pauses the other instances too."""

from __future__ import annotations

import json
import threading
import time

import pytest

from simnet.llm.anthropic_provider import AnthropicProvider
from simnet.llm.base import LLMRequest
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.ratelimit import InMemoryRateStore, RateLimiter, RateLimits
from tests.support import llm_shapes as shapes
from tests.support import wide_loopback
from tests.support.http_loopback import Recorded, Reply

CHAT = "/v1/chat/completions"
LATENCY_S = 0.2

busy_loopback = wide_loopback.busy_loopback  # a fixture: many connections at once


class SlowServer:
    """Answers every call after ``LATENCY_S`` and notes when each arrived and how many overlapped."""

    def __init__(self, answer: dict) -> None:
        self.answer = answer
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.arrivals.append(time.monotonic())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(LATENCY_S)
        with self._lock:
            self.in_flight -= 1
        return Reply(200, self.answer)


def _requests(n: int, tag: str = "") -> list[LLMRequest]:
    return [LLMRequest(key=f"{tag}a{i}", system="You are Ada.", user=f"{tag} feed {i}") for i in range(n)]


def _openai(busy_loopback, **settings) -> OpenAICompatProvider:
    return OpenAICompatProvider(base_url=f"{busy_loopback.url}/v1", model="gpt-4o-mini", **settings)


def _anthropic(busy_loopback, **settings) -> AnthropicProvider:
    return AnthropicProvider(api_key="sk-test", base_url=busy_loopback.url, max_retries=1, **settings)


@pytest.mark.parametrize(("concurrency", "n"), [(8, 16), (4, 16)])
def test_openai_compat_calls_overlap_up_to_the_concurrency(busy_loopback, concurrency, n):
    server = SlowServer(shapes.chat_completion("hi"))
    busy_loopback.responder = server
    provider = _openai(busy_loopback, max_concurrency=concurrency)

    started = time.monotonic()
    answers = provider.generate(_requests(n))
    elapsed = time.monotonic() - started

    ideal = LATENCY_S * n / concurrency  # 0.4 s at 8, 0.8 s at 4; one at a time would take 3.2 s
    assert [a.text for a in answers] == ["hi"] * n
    assert ideal * 0.95 <= elapsed < (ideal + LATENCY_S * n) / 2, elapsed  # nearer overlap than one by one
    assert server.most_in_flight == concurrency


def test_anthropic_calls_overlap_up_to_the_concurrency(busy_loopback):
    server = SlowServer(shapes.anthropic_text("hi"))
    busy_loopback.responder = server
    provider = _anthropic(busy_loopback, max_concurrency=8)

    started = time.monotonic()
    answers = provider.generate(_requests(16))
    elapsed = time.monotonic() - started

    assert [a.text for a in answers] == ["hi"] * 16
    assert LATENCY_S * 2 * 0.95 <= elapsed < (LATENCY_S * 2 + LATENCY_S * 16) / 2, elapsed
    assert server.most_in_flight == 8


def _in_parallel(*calls) -> None:
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.parametrize("shared", [True, False])
def test_requests_per_minute_hold_across_two_instances_sharing_the_store(busy_loopback, shared):
    """4 requests per (shortened, 2 s) minute: 8 calls from two workers at once go 4 at once, then
    one every 0.5 s; with separate stores (the positive control) all 8 go at once. A loaded machine
    may start a call late, never early, so the late side has more room."""
    server = SlowServer(shapes.chat_completion("hi"))
    busy_loopback.responder = server
    limits = RateLimits(requests_per_minute=4, window_s=2.0)
    store = InMemoryRateStore()
    workers = [
        _openai(
            busy_loopback, limiter=RateLimiter(store if shared else InMemoryRateStore(), "org1:p1", limits)
        )
        for _ in range(2)
    ]

    _in_parallel(*(lambda w=w, i=i: w.generate(_requests(4, f"w{i}")) for i, w in enumerate(workers)))

    offsets = sorted(arrival - min(server.arrivals) for arrival in server.arrivals)
    assert len(offsets) == 8
    if shared:
        for k, offset in enumerate(offsets[4:], start=1):
            assert 0.5 * k - 0.08 <= offset < 0.5 * k + 0.3, offsets
    else:
        assert offsets[-1] < 0.4, offsets


def test_tokens_per_minute_space_calls_by_their_size(busy_loopback):
    busy_loopback.responder = SlowServer(shapes.chat_completion("hi"))
    request = _requests(1)[0]
    # each call counts its prompt and its 200-token output budget: about 210 tokens
    limiter = RateLimiter(InMemoryRateStore(), "org1:p1", RateLimits(tokens_per_minute=420, window_s=1.0))
    provider = _openai(busy_loopback, limiter=limiter, max_concurrency=8)

    started = time.monotonic()
    provider.generate([request] * 4)  # two fit in the bucket, two more wait about half a window each

    assert 0.9 <= time.monotonic() - started < 2.5  # unlimited, the four take about 0.2 s


def _rate_limited_once(answer: dict, retry_after: str):
    """The first call answers 429 with ``retry-after``; every later one ``answer``, at once."""
    arrivals: dict[str, float] = {}
    lock = threading.Lock()

    def respond(recorded: Recorded) -> Reply:
        with lock:
            first = not arrivals
            tag = json.dumps(recorded.body).split(" feed ")[0][-2:]
            arrivals.setdefault(tag, time.monotonic())
        if first:
            return Reply(429, shapes.OPENAI_RATE_LIMITED, {"retry-after": retry_after})
        return Reply(200, answer)

    return respond, arrivals


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("kind", ["openai_compat", "anthropic"])
def test_a_429_retry_after_pauses_the_other_instance_too(busy_loopback, kind, shared):
    answer = shapes.chat_completion("hi") if kind == "openai_compat" else shapes.anthropic_text("hi")
    busy_loopback.responder, arrivals = _rate_limited_once(answer, retry_after="1")
    store = InMemoryRateStore()
    build = _openai if kind == "openai_compat" else _anthropic
    first, other = (
        build(busy_loopback, limiter=RateLimiter(store if shared else InMemoryRateStore(), "org1:p1"))
        for _ in range(2)
    )
    worker = threading.Thread(target=first.generate, args=(_requests(1, "w1"),))
    worker.start()
    while "w1" not in arrivals:
        time.sleep(0.01)
    time.sleep(0.1)  # the 429 has come back and been recorded

    [answer_of_other] = other.generate(_requests(1, "w2"))
    worker.join()

    waited = arrivals["w2"] - arrivals["w1"]
    assert answer_of_other.text == "hi"
    if shared:
        assert 0.95 <= waited < 2.5, waited
    else:
        assert waited < 0.5, waited
