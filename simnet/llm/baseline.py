"""A calibrated statistical policy: no model, no network, instant, reproducible.

It answers from the structured ``Situation`` alone. Propensities are per seen feed item (like,
repost, quote, reply, follow) or per step (post), as learnt from the persona's history, and the
policy is built so the expected rate of each item action per seen item equals that propensity:

    P(action a this step) = p_a * (eligible items)          (post: p_post)
    P(target = item i | a) = w_i / sum(w),  w_i = 1 - tilt + 2 * tilt * relevance_i

so a relevant item is likelier to be the one liked, while the per-item total stays p_a. One
decision per step caps the step total at 1; when the propensities ask for more, all are scaled
down together (and the calibration then cannot hold).

It is the yardstick an LLM run is compared with, and a free stand-in for load and engine tests.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from simnet.llm.base import FeedItem, LLMRequest, LLMResponse, Situation, Usage

ITEM_ACTIONS = ("like", "repost", "quote", "reply", "follow")

# Used only when a situation carries no propensities at all (a persona with no history):
# modest rates of a typical lurking account, per seen item (post: per step).
FALLBACK_PROPENSITIES: Mapping[str, float] = {
    "like": 0.02,
    "repost": 0.005,
    "quote": 0.002,
    "reply": 0.005,
    "follow": 0.002,
    "post": 0.05,
}

TEXT_TEMPLATES: Mapping[str, tuple[str, ...]] = {
    "reply": ("Good point about {topic}.", "Not so sure about {topic}.", "Interesting take on {topic}."),
    "quote": ("Worth a read on {topic}.", "This, on {topic}.", "Thoughts on {topic}?"),
    "post": ("Thinking about {topic} today.", "Anyone else following {topic}?", "More on {topic} soon."),
}

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_STOPWORDS = frozenset(
    "about after again also because been before being could does from have into just like more most "  # noqa: SIM905
    "much only other over really should some such than that their them then there these they this "
    "those very what when where which while will with would your".split()
)


class BaselineProvider:
    name = "baseline"
    model = "calibrated-propensity-v1"

    def __init__(self, *, relevance_tilt: float = 0.5) -> None:
        if not 0.0 <= relevance_tilt <= 1.0:
            raise ValueError("relevance_tilt must be within 0..1")
        self.relevance_tilt = relevance_tilt

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        return [self._answer(request) for request in requests]

    def _answer(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        if request.situation is None:
            return LLMResponse(key=request.key, text="", error="the baseline policy needs a Situation")
        rng = random.Random(_seed_for(request, request.situation))
        decision = decide(request.situation, rng, self.relevance_tilt)
        usage = Usage(latency_s=time.perf_counter() - started)
        return LLMResponse(key=request.key, text=json.dumps(decision), data=decision, usage=usage)


def decide(situation: Situation, rng: random.Random, relevance_tilt: float = 0.5) -> dict[str, Any]:
    """One decision in the engine's shape: ``{"action", "target", "text", "reason"}``."""
    propensities = situation.propensities or FALLBACK_PROPENSITIES
    candidates = {action: _eligible(action, situation) for action in ITEM_ACTIONS}
    chances = {
        action: _clamp(propensities.get(action, 0.0)) * len(candidates[action]) for action in ITEM_ACTIONS
    }
    chances["post"] = _clamp(propensities.get("post", 0.0))
    total = sum(chances.values())
    if total > 1.0:
        chances = {action: chance / total for action, chance in chances.items()}

    draw = rng.random()
    for action, chance in chances.items():
        if draw < chance:
            return _act(action, chance, candidates.get(action, []), situation, rng, relevance_tilt)
        draw -= chance
    return {
        "action": "ignore",
        "target": None,
        "text": None,
        "reason": f"nothing prompted a reaction ({1 - sum(chances.values()):.0%} of steps)",
    }


def _act(
    action: str,
    chance: float,
    candidates: list[int],
    situation: Situation,
    rng: random.Random,
    relevance_tilt: float,
) -> dict[str, Any]:
    reason = f"calibrated baseline: {action} chance {chance:.1%} this step"
    if action == "post":
        topic = _post_topic(situation)
        return {"action": "post", "target": None, "text": _templated("post", topic, rng), "reason": reason}
    weights = [
        1 - relevance_tilt + 2 * relevance_tilt * _clamp(situation.feed[i].relevance) for i in candidates
    ]
    index = rng.choices(candidates, weights=weights)[0] if sum(weights) > 0 else rng.choice(candidates)
    item = situation.feed[index]
    text = _templated(action, _topic(item.text), rng) if action in TEXT_TEMPLATES else None
    return {"action": action, "target": f"P{index + 1}", "text": text, "reason": reason}


def _eligible(action: str, situation: Situation) -> list[int]:
    """Feed positions ``action`` can apply to: never one's own posts; follow only unfollowed authors."""
    return [
        i
        for i, item in enumerate(situation.feed)
        if item.author_id != situation.agent_id and not (action == "follow" and item.author_followed)
    ]


def _post_topic(situation: Situation) -> str:
    interests = situation.traits.get("interests")
    if isinstance(interests, (list, tuple)) and interests:
        return str(interests[0])
    if situation.feed:
        best: FeedItem = max(situation.feed, key=lambda item: item.relevance)
        return _topic(best.text)
    return "my day"


def _topic(text: str) -> str:
    """The two longest content words of ``text``, in reading order (deterministic)."""
    words = [w for w in _WORD.findall(text) if w.lower() not in _STOPWORDS]
    if not words:
        return "this"
    longest = sorted(range(len(words)), key=lambda i: (-len(words[i]), i))[:2]
    return " ".join(words[i] for i in sorted(longest))


def _templated(action: str, topic: str, rng: random.Random) -> str:
    return rng.choice(TEXT_TEMPLATES[action]).format(topic=topic)


def _seed_for(request: LLMRequest, situation: Situation) -> int:
    """Distinct per agent and step even when the engine passes one run seed to everyone."""
    material = f"{request.seed}|{request.key}|{situation.step}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big")


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
