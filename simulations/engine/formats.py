"""The run formats by name: each plans turns, parses answers and applies decisions."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Protocol

from simulations.engine.actions import ActionResult
from simulations.engine.feed_format import FeedFormat
from simulations.engine.roundtable import RoundtableFormat
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from simulations.engine.world import World


class Format(Protocol):
    name: str
    repair_note: str  # appended to a correction request after an unusable answer

    def plan(self, world: World, rng: random.Random, step: int) -> list[AgentTurn]: ...

    def parse(self, turn: AgentTurn, payload: Mapping[str, Any]) -> Decision | str: ...

    def apply(self, world: World, turn: AgentTurn, answer: AgentDecision, step: int) -> ActionResult: ...

    def finish(self, world: World, results: list[ActionResult]) -> dict[str, Any] | None:
        """Advance format state after a step; an event payload when something changed."""
        ...


FORMATS: dict[str, Format] = {"feed": FeedFormat(), "roundtable": RoundtableFormat()}
