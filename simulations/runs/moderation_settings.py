"""A content policy in ``Scenario.settings["moderation"]``: reading, checking and describing it.

The one place the web side checks a policy (the builder, the API and experiment variants give the
same errors), below the pages so that the run's world (``worlds.world_config``) and the reports
read it the same way. The policy itself is engine data (``engine.moderation_policy``).
"""

from __future__ import annotations

from typing import Any

from simulations.engine.moderation_policy import ModerationPolicy

SETTINGS_KEY = "moderation"
NO_POLICY: dict[str, Any] = {"rules": [], "rate_limit": None}
# Presets an experiment variant can pick in the builder (the API takes any policy).
POLICY_PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "none": ("No content policy", NO_POLICY),
    "remove": ("Remove posts scoring ≥ 0.5", {"rules": [{"action": "remove", "threshold": 0.5}]}),
    "label": ("Label posts scoring ≥ 0.5", {"rules": [{"action": "label", "threshold": 0.5}]}),
    "downrank": ("Downrank posts scoring ≥ 0.5", {"rules": [{"action": "downrank", "threshold": 0.5}]}),
    "friction": (
        "Friction: 'are you sure?' before hostile replies (30% abandon)",
        {"rules": [{"action": "friction", "threshold": 0.5, "abandon_share": 0.3}]},
    ),
    "rate_limit": (
        "Rate limit: 1 post per author per 2 steps",
        {"rules": [], "rate_limit": {"posts": 1, "steps": 2}},
    ),
}


def parse_policy(data: Any) -> ModerationPolicy:
    """The engine policy of stored or submitted data; ValueError with a readable reason."""
    if data is None:
        return ModerationPolicy()
    try:
        if not isinstance(data, dict):
            raise TypeError("it must be an object with 'rules' and 'rate_limit'")
        return ModerationPolicy.from_dict(data)
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"a content policy could not be read: {error}") from None


def moderation_errors(data: Any, format: str = "feed") -> dict[str, list[str]]:
    """Why ``data`` is not a usable policy (empty when it is). Only the feed applies one: a policy on
    another format would be stored and never act, so it is refused."""
    try:
        policy = parse_policy(data)
    except ValueError as error:
        return {SETTINGS_KEY: [str(error)[:1].upper() + str(error)[1:] + "."]}
    if policy.active and format != "feed":
        return {SETTINGS_KEY: ["Content policies apply to the social feed format only."]}
    return {}


def moderation_settings(data: Any) -> dict[str, Any]:
    """``{"moderation": ...}`` for ``Scenario.settings`` (normalised), or nothing without a policy."""
    policy = parse_policy(data)
    return {SETTINGS_KEY: policy.to_dict()} if policy.active else {}


def scenario_policy(settings: dict | None) -> ModerationPolicy:
    """The policy a run of this scenario applies (none when the settings have none)."""
    return parse_policy((settings or {}).get(SETTINGS_KEY))


def describe(settings: dict | None) -> list[str]:
    """The policy in words, one line a rule, for pages."""
    policy = scenario_policy(settings)
    lines = []
    for rule in policy.rules:
        triggers = []
        if rule.threshold is not None:
            triggers.append(f"harm score ≥ {rule.threshold:g}")
        if rule.keywords:
            triggers.append("keywords: " + ", ".join(rule.keywords))
        extra = f" ({rule.abandon_share:.0%} abandon)" if rule.action == "friction" else ""
        extra += f" with '{rule.label}'" if rule.action == "label" else ""
        lines.append(f"{rule.action}{extra} when {' or '.join(triggers)}")
    if policy.rate_limit:
        lines.append(
            f"rate limit: {policy.rate_limit.posts} writes per author per {policy.rate_limit.steps} steps"
        )
    return lines
