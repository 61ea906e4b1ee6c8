"""Which of a step's agents get words from the language model when a cheap policy decides for all.

In a crowd of 100,000 the cheap policy (the reaction model, or the rules) decides every agent's
action; only the agents whose action needs words (a post, a reply, a quote) could cost a model
call. The budget picks, before anything is written, which of them get one:

- ``share``: a sampled share of them (exactly ``round(share × n)``), and/or
- ``max_calls``: at most this many writer requests in the step.

The pick ranks the agents by a hash of (agent, step, seed), so it is the same whatever the batch
order, batch size, shard or worker, and the same on a replay. Each admitted text is one model call:
a text the quality gate refuses is not asked for again under a budget, so a step never makes more
than ``max_calls`` calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simnet.llm.base import LLMRequest

SETTINGS_KEY = "words"  # Scenario.settings[SETTINGS_KEY] = {"max_calls": int | None, "share": float | None}


@dataclass(frozen=True)
class WordsBudget:
    max_calls: int | None = None
    share: float | None = None

    def __post_init__(self) -> None:
        if self.max_calls is not None and self.max_calls < 0:
            raise ValueError("max_calls cannot be negative")
        if self.share is not None and not 0.0 <= self.share <= 1.0:
            raise ValueError("share is a fraction within 0..1")

    @property
    def limited(self) -> bool:
        return self.max_calls is not None or self.share is not None

    def admitted(self, worded: Sequence[LLMRequest]) -> frozenset[str]:
        """The keys of the requests (agents) among ``worded`` whose words the model writes."""
        ranked = sorted(worded, key=_rank)
        if self.share is not None:
            ranked = ranked[: round(self.share * len(ranked))]
        if self.max_calls is not None:
            ranked = ranked[: self.max_calls]
        return frozenset(request.key for request in ranked)

    def to_settings(self) -> dict[str, Any]:
        return {"max_calls": self.max_calls, "share": self.share}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> WordsBudget:
        """The budget stored in a scenario's settings (none stored: no limit)."""
        words = (settings or {}).get(SETTINGS_KEY) or {}
        share = words.get("share")
        return cls(max_calls=words.get("max_calls"), share=None if share is None else float(share))


NO_LIMIT = WordsBudget()


def _rank(request: LLMRequest) -> tuple[bytes, str]:
    step = request.situation.step if request.situation else 0
    digest = hashlib.blake2b(f"{request.key}|{step}|{request.seed}".encode(), digest_size=8).digest()
    return digest, request.key
