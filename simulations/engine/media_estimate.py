"""Input tokens of stimulus pictures shown to a vision model, as a low / expected / high range.

A picture travels with every turn whose feed shows its post, and a post is shown to a persona
once (a seen post is not shown again while it is in the seen window), so a picture costs its
tokens (``simnet.llm.vision.image_tokens``) once per persona who opens the app after it is
published. Low: only the promoted audience (``boost``) sees it; high: everyone who opens the app
does; expected: the promoted audience plus half of the others, since no model of organic reach
says more. Pictures are in the per-turn suffix, so they are never read from a prompt cache.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from simnet.llm.vision import image_tokens
from simulations.engine.config import WorldConfig
from simulations.engine.estimate import Range
from simulations.engine.persona import PanelSnapshot


@dataclass(frozen=True)
class StimulusPictures:
    boost: float  # share of the panel it is promoted to
    step: int  # published at this step
    sizes: tuple[tuple[int, int], ...]  # (width, height) of the picture and each keyframe


def picture_tokens(
    panel: PanelSnapshot, config: WorldConfig, steps: int, stimuli: Sequence[StimulusPictures]
) -> Range:
    low = expected = high = 0.0
    for stimulus in stimuli:
        tokens = sum(image_tokens(w, h) for w, h in stimulus.sizes)
        reach = _reach(panel, config, stimulus.step, steps)
        boost = min(max(stimulus.boost, 0.0), 1.0)
        low += boost * reach * tokens
        expected += (boost + (1 - boost) / 2) * reach * tokens
        high += reach * tokens
    return Range(low, expected, high)


def _reach(panel: PanelSnapshot, config: WorldConfig, first: int, steps: int) -> float:
    """Expected personas who open the app at least once from step ``first`` on."""
    clock = config.clock
    chances = Counter(clock.hour(step) for step in range(first, steps))  # steps at each hour of day
    total = 0.0
    for persona in panel.personas:
        online = sum(chances[hour] for hour in set(persona.active_hours))
        total += 1 - (1 - persona.activity_rate) ** online
    return total
