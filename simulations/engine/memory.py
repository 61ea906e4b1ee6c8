"""Bounded per-agent memory with a hard token budget.

Three parts, rendered in this order: a rolling summary, the agent's recent own actions, and the
items it saw recently. New entries push old ones out; an action pushed out is folded into the
summary's tallies ("earlier: liked 4, replied 1") so nothing is simply forgotten. Every entry's
token count is computed once, when it is added, so keeping the budget costs no re-counting:
``tokens`` is always exactly ``count_tokens(render())`` and never above ``budget``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from simnet.llm.tokens import count_tokens, trim_to_tokens

MAX_ACTIONS = 6
MAX_SEEN = 6
ENTRY_TOKENS = 18  # one remembered action or item, at most
SUMMARY_SHARE = 0.4  # the summary never takes more than this share of the budget
_LABEL_TOKENS = 2  # "You:" / "Seen:" (a word and a colon)


def memory_entry(text: str) -> tuple[str, int]:
    """``text`` cut to one entry's budget, with its token count."""
    entry = trim_to_tokens(" ".join(text.split()), ENTRY_TOKENS)
    return entry, count_tokens(entry)


class Memory:
    def __init__(
        self,
        budget: int,
        *,
        summary: str = "",
        tallies: Mapping[str, int] | None = None,
        actions: list[tuple[str, str, int]] | None = None,
        seen: list[tuple[str, int]] | None = None,
    ) -> None:
        if budget < 10:
            raise ValueError("a memory budget under 10 tokens cannot hold anything useful")
        self.budget = budget
        self.tallies: dict[str, int] = dict(tallies or {})
        self._note = summary  # a summary written from outside (e.g. by an LLM), kept verbatim
        self.actions: deque[tuple[str, str, int]] = deque(actions or ())  # (verb, text, tokens)
        self.seen: deque[tuple[str, int]] = deque(seen or ())  # (text, tokens)
        self._summary, self._summary_tokens = self._build_summary()

    # --- writing ---------------------------------------------------------------------------------
    def record_action(self, verb: str, text: str) -> None:
        """Remember one own action, e.g. ``("liked", "s3 liked @ann: taxes are…")``."""
        entry, tokens = memory_entry(text)
        self.actions.append((verb, entry, tokens))
        if len(self.actions) > MAX_ACTIONS:
            self._fold(self.actions.popleft())
        self._fit()

    def record_seen(self, entry: tuple[str, int]) -> None:
        """Remember a seen item; ``entry`` comes from ``memory_entry`` (cached per post by the caller)."""
        self.seen.append(entry)
        if len(self.seen) > MAX_SEEN:
            self.seen.popleft()
        self._fit()

    def set_summary(self, text: str) -> None:
        """Replace the free-text part of the summary (trimmed to its share of the budget)."""
        self._note = text.strip()
        self._summary, self._summary_tokens = self._build_summary()
        self._fit()

    # --- reading ---------------------------------------------------------------------------------
    @property
    def summary(self) -> str:
        return self._summary

    @property
    def tokens(self) -> int:
        total = self._summary_tokens
        if self.actions:
            total += _LABEL_TOKENS + sum(t for _, _, t in self.actions) + len(self.actions) - 1
        if self.seen:
            total += _LABEL_TOKENS + sum(t for _, t in self.seen) + len(self.seen) - 1
        return total

    def render(self) -> str:
        parts = [self._summary] if self._summary else []
        if self.actions:
            parts.append("You: " + "; ".join(text for _, text, _ in self.actions))
        if self.seen:
            parts.append("Seen: " + "; ".join(text for text, _ in self.seen))
        return " ".join(parts)

    # --- keeping the budget ----------------------------------------------------------------------
    def _fold(self, action: tuple[str, str, int]) -> None:
        verb = action[0]
        self.tallies[verb] = self.tallies.get(verb, 0) + 1
        self._summary, self._summary_tokens = self._build_summary()

    def _build_summary(self) -> tuple[str, int]:
        parts = [self._note] if self._note else []
        if self.tallies:
            counts = ", ".join(f"{verb} {n}" for verb, n in sorted(self.tallies.items()))
            parts.append(f"Earlier: {counts}.")
        text = trim_to_tokens(" ".join(parts), int(self.budget * SUMMARY_SHARE))
        return text, count_tokens(text)

    def _fit(self) -> None:
        """Drop the oldest seen items first, then fold the oldest actions, until within budget."""
        while self.tokens > self.budget and self.seen:
            self.seen.popleft()
        while self.tokens > self.budget and self.actions:
            self._fold(self.actions.popleft())

    # --- snapshot --------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "budget": self.budget,
            "note": self._note,
            "tallies": dict(self.tallies),
            "actions": [list(entry) for entry in self.actions],
            "seen": [list(entry) for entry in self.seen],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Memory:
        return cls(
            state["budget"],
            summary=state["note"],
            tallies=state["tallies"],
            actions=[(verb, text, tokens) for verb, text, tokens in state["actions"]],
            seen=[(text, tokens) for text, tokens in state["seen"]],
        )
