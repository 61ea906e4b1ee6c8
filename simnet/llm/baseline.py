"""A calibrated statistical policy: no model, no network, instant, reproducible.

It answers from the structured ``Situation`` alone. Propensities are per seen feed item (like,
repost, quote, reply, follow) or per step (post), as learnt from the persona's history:

    P(action a on item i this step) = p_a * w_i,  w_i = 1 - tilt + 2 * tilt * relevance_i
    P(post this step) = p_post

so a post that matches the reader's interests is engaged with more (up to (1 + tilt) * p_a, an
unrelated one down to (1 - tilt) * p_a) and two posts get different predictions; averaged over
items of mean relevance 0.5 the rate per seen item is p_a. One decision per step caps the step
total at 1; when the propensities ask for more, all are scaled down together (and the
calibration then cannot hold).

On a forum (``Situation.format == "forum"``) the item actions are upvote (at the like rate),
reply and downvote (its own propensity, else a share of the like rate, weighted towards the
posts *least* relevant to the reader).

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
from simnet.llm.stance_rules import rule_answer

ITEM_ACTIONS = ("like", "repost", "quote", "reply", "follow")
FORUM_ACTIONS = ("upvote", "downvote", "reply")
DOWNVOTE_SHARE = 0.25  # downvotes per upvote when a persona has no downvote propensity

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
        decision = rule_answer(request.situation, rng) or decide(request.situation, rng, self.relevance_tilt)
        usage = Usage(latency_s=time.perf_counter() - started)
        return LLMResponse(key=request.key, text=json.dumps(decision), data=decision, usage=usage)


def decide(situation: Situation, rng: random.Random, relevance_tilt: float = 0.5) -> dict[str, Any]:
    """One decision in the engine's shape: ``{"action", "target", "text", "reason"}``."""
    propensities = situation.propensities or FALLBACK_PROPENSITIES
    chances = [
        (action, index, rate * _weight(action, situation.feed[index].relevance, relevance_tilt))
        for action, rate in _item_rates(situation, propensities).items()
        for index in _eligible(action, situation)
    ]
    chances.append(("post", None, _clamp(propensities.get("post", 0.0))))
    total = sum(chance for _, _, chance in chances)
    scale = 1.0 / total if total > 1.0 else 1.0
    per_action: dict[str, float] = {}
    for action, _, chance in chances:
        per_action[action] = per_action.get(action, 0.0) + chance * scale

    draw = rng.random()
    for action, index, chance in chances:
        if draw < chance * scale:
            return _act(action, per_action[action], index, situation, rng)
        draw -= chance * scale
    return {
        "action": "ignore",
        "target": None,
        "text": None,
        "reason": f"nothing prompted a reaction ({1 - total * scale:.0%} of steps)",
    }


def _item_rates(situation: Situation, propensities: Mapping[str, float]) -> dict[str, float]:
    """Each item action's propensity per seen item, in the situation's format's action names."""
    if situation.format != "forum":
        return {action: _clamp(propensities.get(action, 0.0)) for action in ITEM_ACTIONS}
    like = _clamp(propensities.get("like", 0.0))
    return {
        "upvote": like,
        "downvote": _clamp(propensities.get("downvote", DOWNVOTE_SHARE * like)),
        "reply": _clamp(propensities.get("reply", 0.0)),
    }


def _weight(action: str, relevance: float, relevance_tilt: float) -> float:
    """How much more (or less) than the propensity this item draws: one voted down is an unrelated one."""
    fit = _clamp(relevance)
    if action == "downvote":
        fit = 1.0 - fit
    return 1 - relevance_tilt + 2 * relevance_tilt * fit


def _act(
    action: str, chance: float, index: int | None, situation: Situation, rng: random.Random
) -> dict[str, Any]:
    reason = f"calibrated baseline: {action} chance {chance:.1%} this step"
    if index is None:
        topic = _post_topic(situation)
        return {"action": "post", "target": None, "text": _templated("post", topic, rng), "reason": reason}
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
