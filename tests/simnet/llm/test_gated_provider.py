"""The gate wrapper: refused texts are asked for again with a new seed, at most twice more, then
the answer becomes an error for that one agent; everything checked is counted."""

from __future__ import annotations

import json
from collections.abc import Sequence

from simnet.llm.base import FeedItem, LLMRequest, LLMResponse, Situation, Usage
from simnet.llm.testing import FakeProvider
from simnet.llm.wrappers import GATE_ATTEMPTS, CachingProvider, GatedProvider, GateTally

AD = "The gift that will change her life: a bike for the wife who already works out every day."
GOOD = "Buying your wife an exercise bike as a gift? Bold move."
JUNK = "Your own short words:"


class ScriptedWriter:
    """Answers each agent's decisions with the next text of its script (the last one repeats)."""

    name, model = "scripted", "s-1"

    def __init__(self, scripts: dict[str, list[str]]):
        self.scripts = scripts
        self.asked: list[LLMRequest] = []

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        answers = []
        for request in requests:
            done = sum(r.key == request.key for r in self.asked)
            self.asked.append(request)
            script = self.scripts[request.key]
            data = {
                "action": "reply",
                "target": "P1",
                "text": script[min(done, len(script) - 1)],
                "reason": "ad",
            }
            answers.append(
                LLMResponse(request.key, json.dumps(data), data=data, usage=Usage(input_tokens=10))
            )
        return answers


def _request(key: str, seed: int = 5) -> LLMRequest:
    feed = (FeedItem("p1", "brand", "brand", AD, "post", is_stimulus=True),)
    situation = Situation(key, 1, feed, format="feed")
    return LLMRequest(key, "You are a persona.", f"P1 @brand: {AD}", schema={"type": "object"}, seed=seed,
                      temperature=0.7, situation=situation)  # fmt: skip


def test_a_refused_text_is_asked_again_with_a_new_seed_and_warmer_temperature():
    writer = ScriptedWriter({"ann": [JUNK, GOOD]})
    tally = GateTally()
    [answer] = GatedProvider(writer, tally=tally).generate([_request("ann")])
    assert answer.error is None and answer.data["text"] == GOOD
    first, again = writer.asked
    assert again.seed != first.seed and again.temperature > first.temperature
    assert answer.usage.input_tokens == 20  # both attempts are paid for
    assert tally.as_dict() == {"checked": 2, "rejected": 1, "by_reason": {"scaffolding": 1}}


def test_every_attempt_refused_is_an_error_for_that_agent_only():
    writer = ScriptedWriter({"ann": [AD], "bob": [GOOD]})  # ann copies the ad every time
    tally = GateTally()
    ann, bob = GatedProvider(writer, tally=tally).generate([_request("ann"), _request("bob")])
    assert ann.error and "quality gate" in ann.error and "(copy)" in ann.error and ann.text == ""
    assert not ann.retryable  # the engine must not ask a fourth time
    assert bob.error is None and bob.data["text"] == GOOD
    assert sum(r.key == "ann" for r in writer.asked) == GATE_ATTEMPTS
    assert len({r.seed for r in writer.asked if r.key == "ann"}) == GATE_ATTEMPTS
    assert ann.usage.input_tokens == 10 * GATE_ATTEMPTS
    assert tally.as_dict() == {
        "checked": GATE_ATTEMPTS + 1,
        "rejected": GATE_ATTEMPTS,
        "by_reason": {"copy": 3},
    }


def test_requests_the_gate_cannot_judge_pass_untouched_and_uncounted():
    fake = FakeProvider()
    tally = GateTally()
    request = LLMRequest("judge", "Score this.", "text", schema={"type": "object"})
    [answer] = GatedProvider(fake, tally=tally).generate([request])
    assert answer == fake.generate([request])[0]
    assert tally.as_dict() == {"checked": 0, "rejected": 0, "by_reason": {}}


def test_a_replayed_step_reads_the_cache_and_is_judged_and_counted_the_same():
    writer = ScriptedWriter({"ann": [JUNK, GOOD]})
    cache = CachingProvider(writer)
    first, second = GateTally(), GateTally()
    one = GatedProvider(cache, tally=first).generate([_request("ann")])
    two = GatedProvider(cache, tally=second).generate([_request("ann")])
    assert one[0].data == two[0].data and two[0].cached
    assert len(writer.asked) == 2  # the replay paid nothing
    assert first.as_dict() == second.as_dict()
