"""A scenario's deliberation settings (``settings["deliberation"]``) as the engine's config.

Kept apart from ``worlds`` so that validating a scenario form and building a run's world read
the settings the same way, with the same errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulations.engine.config import DeliberationConfig

KEYS = ("question", "briefing", "group_size", "agree_side")


def deliberation_from_settings(settings: Mapping[str, Any] | None, steps: int) -> DeliberationConfig:
    """The config (defaults when unset); raises ``ValueError`` with a readable message."""
    raw = (settings or {}).get("deliberation") or {}
    if not isinstance(raw, Mapping):
        raise ValueError("deliberation must be an object with question, briefing, group_size, agree_side")  # noqa: TRY004 (a user's setting)
    unknown = set(raw) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown deliberation settings: {', '.join(sorted(unknown))}")
    size = raw.get("group_size", 5)
    if not isinstance(size, int) or isinstance(size, bool):
        raise ValueError("deliberation.group_size must be a whole number")  # noqa: TRY004 (a user's setting)
    side = str(raw.get("agree_side") or "left")
    if side not in ("left", "right"):
        raise ValueError("deliberation.agree_side must be left or right")
    return DeliberationConfig(
        question=str(raw.get("question") or ""),
        briefing=str(raw.get("briefing") or ""),
        group_size=size,
        agree_side=side,
        steps=steps,
    )


def deliberation_config(scenario: Any) -> DeliberationConfig:
    """A deliberation scenario's config; other formats get the defaults (their settings unread)."""
    if scenario.format != "deliberation":
        return DeliberationConfig()
    return deliberation_from_settings(scenario.settings, scenario.steps)
