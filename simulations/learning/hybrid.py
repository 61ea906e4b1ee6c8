"""The hybrid policy: a learned reaction model decides, a language model writes the words.

For a feed or forum decision, the reaction model (fitted on the panel's real history) gives each
shown post a probability per action; one action is drawn from them with the request's seed, as
the rule baseline draws from propensities. Likes, reposts, votes, follows and ignoring need no
words, so they cost nothing. For a reply, a quote or a new post the writer (any provider: the
offline model, a hosted one) gets a short "write only the words" request in the persona's voice,
conditioned on the decision and the post it answers. The words pass the quality gate
(``simnet.llm.wrappers.GatedProvider``: a text that copies that post, leaks the prompt or stops
mid-sentence is asked for again with a new seed); when every attempt fails, the decision is an
error for that agent, never a copied reply.

Meetings and interviews have no learned reactions: their requests go to the writer unchanged.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simnet.llm.base import ZERO_USAGE, FeedItem, LLMRequest, LLMResponse, Provider, Situation, Usage
from simnet.llm.wrappers import GatedProvider
from simulations.learning.reactions import Exposure, ReactionModel

WRITER_TOKENS = 80
WRITER_RULES = (
    "Write only the words of your {action}, in your own voice: one to three whole sentences. Answer the post, "
    "do not repeat it. No quotation marks, no hashtags unless you use them, no JSON, no preamble."
)
# The reaction model's actions in a forum's words (it learns no reposts, quotes or follows there).
FORUM_NAMES = {"like": "upvote", "reply": "reply"}
WORDED = frozenset({"reply", "quote", "post"})
MODEL_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # exposures in a run carry no real time


@dataclass(frozen=True)
class _Words:
    text: str | None  # None when the writer failed (the gate refused every attempt)
    usage: Usage
    error: str | None


@dataclass(frozen=True)
class _Choice:
    action: str
    item: FeedItem | None  # None for a new post
    index: int | None
    chance: float


class HybridProvider:
    """A ``Provider`` whose decisions come from ``model`` and whose words come from ``writer``
    (through the quality gate: ``provider_for`` gates it already, any other writer is gated here)."""

    name = "hybrid"

    def __init__(self, model: ReactionModel, writer: Provider) -> None:
        self.reactions = model
        self.writer = writer if isinstance(writer, GatedProvider) else GatedProvider(writer)
        self.model = f"reactions+{writer.name}/{writer.model}" if writer.model else f"reactions+{writer.name}"

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        passed = [r for r in requests if not _decides(r)]
        answers = dict(zip((id(r) for r in passed), self.writer.generate(passed), strict=True)) if passed else {}
        decided = {id(r): self._decide(r) for r in requests if _decides(r)}
        worded = [(r, decided[id(r)]) for r in requests if id(r) in decided and decided[id(r)].action in WORDED]
        words = self._write(worded)
        return [answers[id(r)] if id(r) in answers else self._respond(r, decided[id(r)], words.get(id(r))) for r in requests]

    def _decide(self, request: LLMRequest) -> _Choice:
        situation = request.situation
        assert situation is not None
        chances = [*self._item_chances(situation), _Choice("post", None, None, _post_rate(situation))]
        total = sum(c.chance for c in chances)
        scale = 1.0 / total if total > 1.0 else 1.0
        draw = random.Random(request.seed).random()
        for choice in chances:
            if draw < choice.chance * scale:
                return choice
            draw -= choice.chance * scale
        return _Choice("ignore", None, None, 1 - total * scale)

    def _item_chances(self, situation: Situation) -> list[_Choice]:
        chances = []
        for index, item in enumerate(situation.feed):
            if item.author_id == situation.agent_id:
                continue
            exposure = Exposure(situation.agent_id, item.post_id, item.text, item.author_handle, MODEL_TIME)
            for action, chance in self.reactions.probabilities(exposure).items():
                name = _action_name(action, situation.format, item)
                if name:
                    chances.append(_Choice(name, item, index, chance))
        return chances

    def _write(self, worded: list[tuple[LLMRequest, _Choice]]) -> dict[int, _Words]:
        """request id -> the writer's words (or why there are none) and what they cost."""
        if not worded:
            return {}
        answers = self.writer.generate([_writer_request(request, choice) for request, choice in worded])
        return {
            id(request): _Words(_clean(answer.text) if answer.error is None else None, answer.usage, answer.error)
            for (request, _), answer in zip(worded, answers, strict=True)
        }

    def _respond(self, request: LLMRequest, choice: _Choice, words: _Words | None) -> LLMResponse:
        text, usage = (words.text, words.usage) if words else (None, ZERO_USAGE)
        if choice.action in WORDED and not text:
            problem = words.error if words and words.error else "no words"
            return LLMResponse(request.key, "", usage=usage, error=f"the writer's {choice.action}: {problem}")
        decision: dict[str, Any] = {
            "action": choice.action,
            "target": f"P{choice.index + 1}" if choice.index is not None else None,
            "text": text,
            "reason": f"reaction model: {choice.action} chance {choice.chance:.1%}",
        }
        return LLMResponse(request.key, json.dumps(decision), data=decision, usage=usage)


def _decides(request: LLMRequest) -> bool:
    return request.situation is not None and request.situation.format in ("feed", "forum")


def _action_name(action: str, format_name: str, item: FeedItem) -> str:
    if action == "ignore" or (action == "follow" and item.author_followed):
        return ""
    return FORUM_NAMES.get(action, "") if format_name == "forum" else action


def _post_rate(situation: Situation) -> float:
    return min(max(float(situation.propensities.get("post", 0.0)), 0.0), 1.0)


def _writer_request(request: LLMRequest, choice: _Choice) -> LLMRequest:
    situation = request.situation
    voice = situation.voice if situation and situation.voice else request.system
    if choice.item is None:
        interests = ", ".join(map(str, (situation.traits.get("interests") or [])[:3])) if situation else ""
        ask = f"Write a new post of your own{f' about {interests}' if interests else ''}."
    else:
        ask = f'Post by @{choice.item.author_handle}: "{choice.item.text}"\nWrite your {choice.action} to it.'
    return LLMRequest(
        key=request.key,
        system=f"{voice}\n{WRITER_RULES.format(action=choice.action)}",
        user=ask,
        max_tokens=min(request.max_tokens, WRITER_TOKENS),
        seed=request.seed,
        temperature=request.temperature,
        text_kind=choice.action,
        answers=choice.item.text if choice.item else "",
    )


def _clean(text: str) -> str:
    return text.strip().strip('"').strip()
