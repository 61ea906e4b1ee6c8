"""A content policy as data: its rules, their triggers and a rate limit (stored in ``WorldConfig``).

Kept apart from ``moderation`` (which applies a policy to a world) because the run's config
holds the policy and the world holds the config. ``from_dict`` raises ``ValueError`` with a
reason a person can act on, so the scenario form and API show it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulations.engine.harm_lexicon import harm_score

POST_ACTIONS = ("remove", "downrank", "label")  # by severity: the first that fires decides
RULE_ACTIONS = (*POST_ACTIONS, "friction")
DEFAULT_LABEL = "Flagged: may be harmful"


@dataclass(frozen=True)
class Rule:
    action: str
    threshold: float | None = None  # classifier score (0..1) at or above which it fires
    keywords: tuple[str, ...] = ()
    label: str = DEFAULT_LABEL
    abandon_share: float = 0.3  # friction: share of triggering replies the writer abandons

    def __post_init__(self) -> None:
        if self.action not in RULE_ACTIONS:
            raise ValueError(f"unknown moderation action {self.action!r}; expected one of {RULE_ACTIONS}")
        if self.threshold is None and not self.keywords:
            raise ValueError(f"the {self.action} rule needs a classifier threshold or keywords")
        if self.threshold is not None and not 0.0 < self.threshold <= 1.0:
            raise ValueError("a classifier threshold must be within (0, 1]")
        if not 0.0 <= self.abandon_share <= 1.0:
            raise ValueError("the friction abandon share must be within 0..1")

    def trigger(self, text: str) -> str | None:
        """Why this rule fires on ``text`` (for the event), or None."""
        lowered = text.lower()
        for keyword in self.keywords:
            if re.search(rf"\b{re.escape(keyword.lower())}\b", lowered):
                return f"keyword '{keyword}'"
        if self.threshold is not None:
            score = harm_score(text)
            if score >= self.threshold:
                return f"harm score {score:.2f} ≥ {self.threshold:.2f}"
        return None


@dataclass(frozen=True)
class RateLimit:
    posts: int
    steps: int

    def __post_init__(self) -> None:
        if self.posts < 1 or self.steps < 1:
            raise ValueError("a rate limit allows at least one write per at least one step")


@dataclass(frozen=True)
class ModerationPolicy:
    rules: tuple[Rule, ...] = ()
    rate_limit: RateLimit | None = None

    @property
    def active(self) -> bool:
        return bool(self.rules) or self.rate_limit is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [
                {
                    "action": r.action,
                    "threshold": r.threshold,
                    "keywords": list(r.keywords),
                    "label": r.label,
                    "abandon_share": r.abandon_share,
                }
                for r in self.rules
            ],
            "rate_limit": (
                {"posts": self.rate_limit.posts, "steps": self.rate_limit.steps} if self.rate_limit else None
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ModerationPolicy:
        """A policy from stored settings; raises ValueError with a readable reason when invalid."""
        data = data or {}
        rules = []
        for raw in data.get("rules") or ():
            threshold = raw.get("threshold")
            rules.append(
                Rule(
                    action=str(raw.get("action", "")),
                    threshold=None if threshold in (None, "") else float(threshold),
                    keywords=tuple(str(k).strip() for k in raw.get("keywords") or () if str(k).strip()),
                    label=str(raw.get("label") or DEFAULT_LABEL),
                    abandon_share=float(raw.get("abandon_share", 0.3)),
                )
            )
        limit = data.get("rate_limit")
        rate_limit = RateLimit(int(limit["posts"]), int(limit["steps"])) if limit else None
        return cls(tuple(rules), rate_limit)
