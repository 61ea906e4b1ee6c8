"""The hybrid policy: the reaction model decides, the writer only writes, and copies are refused."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from simnet.llm.base import FeedItem, LLMRequest, LLMResponse, Situation, Usage
from simnet.llm.wrappers import GATE_ATTEMPTS
from simulations.learning.hybrid import HybridProvider
from simulations.learning.reactions import Exposure, fit_reactions

AT = datetime(2024, 1, 1, tzinfo=UTC)
FITNESS = "morning workout at the gym, new training plan"
COOKING = "slow cooked dinner recipe with garlic"


def _model():
    """fan replies to fitness posts and ignores cooking ones; the others only ignore."""
    exposures, actions = [], []
    for i in range(60):
        for persona in ("fan", "other"):
            text = FITNESS if i % 2 else COOKING
            exposures.append(Exposure(persona, f"p{i}", f"{text} {i}", "coach", AT))
            actions.append("reply" if persona == "fan" and i % 2 else "like" if i % 7 == 0 else "ignore")
    return fit_reactions(exposures, actions)


class Writer:
    """Answers in the persona's voice, or copies the post when told to."""

    name, model = "writer", "w-1"

    def __init__(self, copy_first: int = 0):
        self.copy_first = copy_first
        self.asked: list[LLMRequest] = []

    def generate(self, requests):
        answers = []
        for request in requests:
            self.asked.append(request)
            copy = len(self.asked) <= self.copy_first
            post = request.user.split('"')[1] if '"' in request.user else ""
            text = post if copy else "Love this, my legs still hurt from yesterday."
            answers.append(LLMResponse(request.key, text, usage=Usage(input_tokens=10, output_tokens=5)))
        return answers


def _request(seed: int, text: str = FITNESS, format_name: str = "feed") -> LLMRequest:
    item = FeedItem("p1", "9", "coach", text, "post")
    situation = Situation("fan", 1, (item,), {"post": 0.0}, {}, format_name, voice="You are Fan (@fan).")
    return LLMRequest("fan", "system with JSON rules", "user", seed=seed, situation=situation)


def test_decisions_follow_the_model_and_only_words_reach_the_writer():
    writer = Writer()
    hybrid = HybridProvider(_model(), writer)
    fitness = Counter(r.data["action"] for r in hybrid.generate([_request(s) for s in range(200)]))
    cooking = Counter(r.data["action"] for r in hybrid.generate([_request(s, COOKING) for s in range(200)]))
    assert fitness["reply"] > 120 and cooking["reply"] < fitness["reply"] / 3
    assert len(writer.asked) == fitness["reply"] + cooking["reply"]
    assert all("JSON rules" not in r.system and r.system.startswith("You are Fan") for r in writer.asked)


def test_a_copy_is_asked_again_then_refused():
    model = _model()
    seed = next(s for s in range(50) if HybridProvider(model, Writer()).generate([_request(s)])[0].data["text"])
    writer = Writer(copy_first=1)
    reply = HybridProvider(model, writer).generate([_request(seed)])[0]
    assert reply.data["action"] == "reply" and reply.data["text"] == "Love this, my legs still hurt from yesterday."
    first, again = writer.asked
    assert first.text_kind == "reply" and first.answers == FITNESS
    assert again.seed != first.seed and again.temperature > first.temperature
    stubborn = Writer(copy_first=10_000)
    answers = HybridProvider(_model(), stubborn).generate([_request(s) for s in range(20)])
    refused = [a for a in answers if a.error]
    assert refused and all("quality gate" in a.error and "(copy)" in a.error for a in refused)
    assert len(stubborn.asked) == GATE_ATTEMPTS * len(refused)
    assert all(a.usage.input_tokens == 10 * GATE_ATTEMPTS for a in refused)


def test_forum_speaks_votes_and_meetings_pass_through():
    hybrid = HybridProvider(_model(), Writer())
    actions = {r.data["action"] for r in hybrid.generate([_request(s, format_name="forum") for s in range(200)])}
    assert actions <= {"upvote", "reply", "ignore"} and "reply" in actions
    meeting = _request(1, format_name="roundtable")
    answer = hybrid.generate([meeting])[0]
    assert answer.text == "Love this, my legs still hurt from yesterday." and json.dumps(answer.data) == "null"
