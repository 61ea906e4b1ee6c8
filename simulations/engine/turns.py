"""The data that crosses the provider boundary: planned turns, their plan, and decisions.

A ``StepPlan`` is computed without changing the world; its requests go to a provider outside any
transaction (whole, or split into batches); the ``AgentDecision``s that come back are plain,
serialisable data, so batches decided by different workers can be stored and applied together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from simnet.llm.base import ZERO_USAGE, LLMRequest, Usage
from simulations.engine.world import usage_from_dict


@dataclass(frozen=True)
class AgentTurn:
    """One agent asked for one decision: the request, and how to read the answer."""

    agent_id: str
    request: LLMRequest
    format: str  # "feed" or "roundtable": which parser and applier handle it
    kind: str  # feed | open | speak | vote
    feed: tuple[str, ...] = ()  # post ids shown, in P1..Pk order
    promoted: tuple[str, ...] = ()  # the boosted stimulus posts among them


@dataclass(frozen=True)
class StepPlan:
    step: int
    format: str
    turns: tuple[AgentTurn, ...]
    rng_state: list[Any]  # the world RNG after planning; apply_step installs it

    @property
    def requests(self) -> list[LLMRequest]:
        return [turn.request for turn in self.turns]

    @property
    def agent_ids(self) -> list[str]:
        return [turn.agent_id for turn in self.turns]

    def batches(self, size: int) -> list[tuple[AgentTurn, ...]]:
        """The turns in consecutive batches of at most ``size`` (for several workers or calls)."""
        if size < 1:
            raise ValueError("batch size must be at least 1")
        return [self.turns[i : i + size] for i in range(0, len(self.turns), size)]


@dataclass(frozen=True)
class Decision:
    """What an agent chose, read from its answer but not yet checked against the world.

    ``target_post_id`` is already mapped from the P-id; ``target_handle`` is a raw @handle.
    """

    action: str
    target_post_id: str | None = None
    target_handle: str | None = None
    text: str | None = None
    reason: str = ""
    position: str | None = None


@dataclass(frozen=True)
class AgentDecision:
    """The final answer for one turn: a decision, or an error after at most one retry."""

    agent_id: str
    decision: Decision | None
    error: str | None = None
    usage: Usage = ZERO_USAGE
    attempts: int = 1
    raw: str = ""  # the last answer's text, kept for debugging a bad decision

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "decision": asdict(self.decision) if self.decision else None,
            "error": self.error,
            "usage": asdict(self.usage),
            "attempts": self.attempts,
            "raw": self.raw,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgentDecision:
        decision = data.get("decision")
        return cls(
            agent_id=data["agent_id"],
            decision=Decision(**decision) if decision else None,
            error=data.get("error"),
            usage=usage_from_dict(data.get("usage", {})),
            attempts=data.get("attempts", 1),
            raw=data.get("raw", ""),
        )


def missing_decision(agent_id: str) -> AgentDecision:
    return AgentDecision(agent_id, None, error="no decision was gathered for this agent", attempts=0)


def index_decisions(decisions: Sequence[AgentDecision]) -> dict[str, AgentDecision]:
    indexed: dict[str, AgentDecision] = {}
    for decision in decisions:
        if decision.agent_id in indexed:
            raise ValueError(f"two decisions for agent {decision.agent_id}")
        indexed[decision.agent_id] = decision
    return indexed
