"""The run formats by name: each sets up a new world, plans turns, parses answers and applies decisions."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from simulations.engine.actions import ActionResult
from simulations.engine.config import WorldConfig
from simulations.engine.deliberation import DeliberationFormat
from simulations.engine.feed_format import FeedFormat
from simulations.engine.forum import ForumFormat
from simulations.engine.persona import PanelSnapshot
from simulations.engine.roundtable import RoundtableFormat
from simulations.engine.stimuli import Stimulus
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from simulations.engine.world import Embed, World


class Format(Protocol):
    name: str
    repair_note: str  # appended to a correction request after an unusable answer

    def setup(self, world: World) -> None:
        """Prepare a new world for this format; called once, before any stimulus."""
        ...

    def plan(self, world: World, rng: random.Random, step: int) -> list[AgentTurn]: ...

    def parse(self, turn: AgentTurn, payload: Mapping[str, Any]) -> Decision | str: ...

    def apply(self, world: World, turn: AgentTurn, answer: AgentDecision, step: int) -> ActionResult: ...

    def finish(self, world: World, results: list[ActionResult]) -> dict[str, Any] | None:
        """Advance format state after a step; an event payload when something changed."""
        ...


FORMATS: dict[str, Format] = {"feed": FeedFormat(), "roundtable": RoundtableFormat(), "forum": ForumFormat()}
FORMATS["deliberation"] = DeliberationFormat()


def create_world(
    panel: PanelSnapshot,
    config: WorldConfig,
    stimuli: Iterable[Stimulus] = (),
    *,
    embed: Embed | None = None,
) -> World:
    """A new run's world: the panel, then the format's setup, then the stimuli in order."""
    world = World.create(panel, config, embed=embed)
    FORMATS[config.format].setup(world)
    for stimulus in stimuli:
        world.inject(stimulus)
    return world
