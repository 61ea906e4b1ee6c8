"""The hybrid policy: a cheap policy decides, a language model writes the words.

For a feed or forum decision, the reaction model (fitted on the panel's real history) gives each
shown post a probability per action; one action is drawn from them with the request's seed, as
the rule baseline draws from propensities. A panel with no history to learn from is decided by
the rule policy itself (``simnet.llm.baseline.decide``, its templated words dropped) until it has
one. Likes, reposts, votes, follows and ignoring need no words, so they cost nothing. For a
reply, a quote or a new post the writer (any provider: the offline model, a hosted one) gets a
short "write only the words" request in the persona's voice, conditioned on the decision and the
post it answers. The words pass the quality gate
(``simnet.llm.wrappers.GatedProvider``: a text that copies that post, leaks the prompt or stops
mid-sentence is asked for again with a new seed); when every attempt fails, the decision is an
error for that agent, never a copied reply.

With a ``WordsBudget`` (a crowd of 100,000 where words for every speaker would cost too much),
only the agents the budget admits get words; ``plan_words`` must see the step's requests first,
so the pick is the step's, not a batch's. An agent left without words still acts, without them:
a reply becomes a like of the same post, a quote a repost of it (a forum reply an upvote), a new
post nothing. The post keeps the engagement the policy gave it, no words are invented (no template
passed off as a person's), and the reason says "over the words budget" so the report can count them.
Within a budget every admitted text is asked for once: a text the quality gate refuses is not asked
again (that call would be over the budget) and its agent reacts without words, as above.

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
from simnet.llm.baseline import decide as rule_decision
from simnet.llm.wrappers import GatedProvider
from simulations.learning.reactions import Exposure, ReactionModel
from simulations.learning.words_budget import NO_LIMIT, WordsBudget

WRITER_TOKENS = 80
WRITER_RULES = (
    "Write only the words of your {action}, in your own voice: one to three whole sentences. Answer the post, "
    "do not repeat it. No quotation marks, no hashtags unless you use them, no JSON, no preamble."
)
# The reaction model's actions in a forum's words (it learns no reposts, quotes or follows there).
FORUM_NAMES = {"like": "upvote", "reply": "reply"}
WORDED = frozenset({"reply", "quote", "post"})
# What an agent the words budget leaves without words does instead (None: nothing).
UNWORDED = {
    "feed": {"reply": "like", "quote": "repost", "post": None},
    "forum": {"reply": "upvote", "post": None},
}
OVER_BUDGET = "over the words budget"
MODEL_WORDS = "words by the model"  # in the reason of a decision whose words a model wrote
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
    reason: str = ""


class HybridProvider:
    """A ``Provider`` whose decisions come from ``model`` (the rule policy when None) and whose words
    come from ``writer`` (through the quality gate: ``provider_for`` gates it already, any other
    writer is gated here), for the agents ``budget`` admits."""

    name = "hybrid"

    def __init__(
        self, model: ReactionModel | None, writer: Provider, *, budget: WordsBudget = NO_LIMIT
    ) -> None:
        self.reactions = model
        self.writer = _gated(writer, once=budget.limited)
        decider = "reactions" if model is not None else "rules"
        self.model = f"{decider}+{writer.name}/{writer.model}" if writer.model else f"{decider}+{writer.name}"
        self.budget = budget
        self._admitted: frozenset[str] | None = None
        self._planned: dict[tuple[str, int], _Choice] = {}

    def plan_words(self, step_requests: Sequence[LLMRequest]) -> frozenset[str]:
        """Decide the whole step (cheap) and fix which agents get words; needed before ``generate``
        when the budget limits anything. Returns the admitted keys."""
        self._planned = {(r.key, r.seed): self._decide(r) for r in step_requests if _decides(r)}
        worded = [r for r in step_requests if _decides(r) and self._planned[(r.key, r.seed)].action in WORDED]
        self._admitted = self.budget.admitted(worded)
        return self._admitted

    def admit(self, keys: frozenset[str]) -> None:
        """The step's admitted keys as ``plan_words`` found them before (for the same step and
        budget), so a task that gathers only a part of the step need not decide all of it."""
        self._admitted = keys

    def asks_model(self, request: LLMRequest) -> bool:
        """Whether answering ``request`` calls the writer: a request the cheap policy does not
        decide, or a decision that needs words within the budget. The choice is kept for
        ``generate``, so asking first costs nothing more."""
        if not _decides(request):
            return True
        choice = self._planned.setdefault((request.key, request.seed), self._choice(request))
        return self._within_budget(request, choice).action in WORDED

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        if self.budget.limited and self._admitted is None:
            raise RuntimeError(
                "a words budget needs the step's requests first: call plan_words(plan.requests)"
            )
        passed = [r for r in requests if not _decides(r)]
        answers = (
            dict(zip((id(r) for r in passed), self.writer.generate(passed), strict=True)) if passed else {}
        )
        decided = {id(r): self._within_budget(r, self._choice(r)) for r in requests if _decides(r)}
        worded = [
            (r, decided[id(r)]) for r in requests if id(r) in decided and decided[id(r)].action in WORDED
        ]
        words = self._write(worded)
        return [
            answers[id(r)] if id(r) in answers else self._respond(r, decided[id(r)], words.get(id(r)))
            for r in requests
        ]

    def _choice(self, request: LLMRequest) -> _Choice:
        planned = self._planned.get((request.key, request.seed))
        return planned if planned is not None else self._decide(request)

    def _within_budget(self, request: LLMRequest, choice: _Choice) -> _Choice:
        if choice.action not in WORDED or self._admitted is None or request.key in self._admitted:
            return choice
        return _unworded(request, choice, f"{choice.action} {OVER_BUDGET}")

    def _decide(self, request: LLMRequest) -> _Choice:
        situation = request.situation
        assert situation is not None
        if self.reactions is None:
            return _rule_choice(request, situation)
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
        assert self.reactions is not None
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
            id(request): _Words(
                _clean(answer.text) if answer.error is None else None, answer.usage, answer.error
            )
            for (request, _), answer in zip(worded, answers, strict=True)
        }

    def _respond(self, request: LLMRequest, choice: _Choice, words: _Words | None) -> LLMResponse:
        text, usage = (words.text, words.usage) if words else (None, ZERO_USAGE)
        if choice.action in WORDED and not text:
            problem = words.error if words and words.error else "no words"
            if not self.budget.limited:
                return LLMResponse(
                    request.key, "", usage=usage, error=f"the writer's {choice.action}: {problem}"
                )
            # within a budget a refused text is not asked for again (that call would be over it)
            choice, text = _unworded(request, choice, f"{choice.action} without words: {problem}"), None
        reason = _reason_of(choice)
        decision: dict[str, Any] = {
            "action": choice.action,
            "target": f"P{choice.index + 1}" if choice.index is not None else None,
            "text": text,
            "reason": f"{reason}; {MODEL_WORDS}" if text else reason,
        }
        return LLMResponse(request.key, json.dumps(decision), data=decision, usage=usage)


def _gated(writer: Provider, *, once: bool) -> GatedProvider:
    """``writer`` behind the quality gate; asked once per text (no retry) when a budget counts calls."""
    if not isinstance(writer, GatedProvider):
        return GatedProvider(writer, max_attempts=1) if once else GatedProvider(writer)
    return GatedProvider(writer.inner, tally=writer.tally, max_attempts=1) if once else writer


def _unworded(request: LLMRequest, choice: _Choice, why: str) -> _Choice:
    """What an agent that gets no words does instead: the same post engaged without words."""
    situation = request.situation
    instead = UNWORDED.get(situation.format if situation else "feed", UNWORDED["feed"]).get(choice.action)
    note = f"{_reason_of(choice)}; {why}"
    if instead is None or choice.item is None:
        return _Choice("ignore", None, None, choice.chance, note)
    return _Choice(instead, choice.item, choice.index, choice.chance, note)


def _reason_of(choice: _Choice) -> str:
    return choice.reason or f"reaction model: {choice.action} chance {choice.chance:.1%}"


def _rule_choice(request: LLMRequest, situation: Situation) -> _Choice:
    """The rule policy's decision (the baseline's own seeded draw), without its templated words."""
    decided = rule_decision(situation, random.Random(request.seed))
    target = decided.get("target")
    index = int(target[1:]) - 1 if target else None
    item = situation.feed[index] if index is not None else None
    return _Choice(decided["action"], item, index, 0.0, decided["reason"])


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
