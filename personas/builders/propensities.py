"""From daily action rates to the per-decision probabilities a simulation uses.

Histories record what people *did*, never what they *saw*, so turning "likes a day" into
"chance to like an item in the feed" needs an assumption about exposure. ``FeedExposure``
names every such assumption; both imported profiles and sampled personas go through the
same functions so their numbers mean the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FeedExposure:
    """Assumptions that turn daily rates into per-decision probabilities.

    Nobody logs what a person *saw*, only what they did, so the denominator is an
    assumption and is kept explicit: a person scrolls past ``items_seen_per_day`` feed items
    a day and the simulation has ``steps_per_day`` steps a day.
    """

    items_seen_per_day: float = 60.0
    steps_per_day: float = 24.0
    fallback_actions_per_day: float = 5.0  # used when the history has no usable times
    actions_per_visit: float = 3.0  # a visit (one online step) yields about this many actions

    def describe(self) -> str:
        return (
            f"daily rate / {self.items_seen_per_day:g} feed items seen a day (reactions, follows); "
            f"posts a day / {self.steps_per_day:g} steps a day (original posts); "
            f"{self.fallback_actions_per_day:g} actions a day when the history has no times; "
            f"online chance = visits a day (actions / {self.actions_per_visit:g}) / steps in active hours"
        )


DEFAULT_EXPOSURE = FeedExposure()


def propensities_from_daily(
    daily: Mapping[str, float], follows_per_day: float | None, exposure: FeedExposure = DEFAULT_EXPOSURE
) -> dict[str, float]:
    """Daily action rates -> the probabilities ``Situation.propensities`` expects.

    like/repost/quote/reply/follow: chance per feed item seen = daily rate of that action /
    ``exposure.items_seen_per_day``. post: chance per step = original posts a day /
    ``exposure.steps_per_day``. All values are capped at 1.
    """
    per_item = {
        kind: min(1.0, daily.get(kind, 0.0) / exposure.items_seen_per_day)
        for kind in ("like", "repost", "quote", "reply")
    }
    per_item["post"] = min(1.0, daily.get("post", 0.0) / exposure.steps_per_day)
    per_item["follow"] = min(1.0, (follows_per_day or 0.0) / exposure.items_seen_per_day)
    return per_item


def online_chance(
    actions_per_day: float, active_hours: Sequence[int], exposure: FeedExposure = DEFAULT_EXPOSURE
) -> float:
    """Chance to be online in a step of an active hour (``Persona.activity_rate``).

    Visits a day = actions a day / ``exposure.actions_per_visit``, spread over the steps that
    fall in ``active_hours`` (all hours when empty). Capped at 1.
    """
    active_share = len(active_hours) / 24 if active_hours else 1.0
    return min(1.0, actions_per_day / exposure.actions_per_visit / (exposure.steps_per_day * active_share))
