"""Honesty diagnostics flag a simulation that is more uniform or more agreeable than the real people."""

from __future__ import annotations

import pytest

from simulations.analysis.diagnostics import COLLAPSE_RATIO, diagnose, mean_action_entropy
from simulations.analysis.records import ActionKind, ActionRecord, Reaction, reactions_from_actions

REAL = [
    ("p1", "post", "Rode 20 miles this morning, legs are dead but happy."),
    ("p1", "reply", "This ad is sexist garbage."),
    ("p1", "like", ""),
    ("p1", "like", ""),
    ("p2", "quote", "lol what a hostage video"),
    ("p2", "reply", "Honestly terrible, awful, the worst marketing I have seen all year."),
    ("p2", "repost", ""),
    ("p2", "post", "Great coffee."),
]
COLLAPSED = [
    ("p1", "reply", "What a lovely idea!"),
    ("p1", "reply", "What a lovely gift!"),
    ("p2", "reply", "What a lovely idea!"),
    ("p2", "reply", "What a lovely ad!"),
    ("p3", "reply", "Not in the real history, so not compared."),
]


def test_entropy_of_action_mix_by_hand():
    rows = [Reaction("p1", ActionKind(a)) for a in ("post", "reply", "like", "like")]
    assert mean_action_entropy(rows) == pytest.approx(1.5)  # shares 1/4, 1/4, 1/2
    assert mean_action_entropy([Reaction("p1", ActionKind.IGNORE)]) is None


def test_a_collapsed_polite_simulation_is_flagged_on_every_check():
    result = diagnose(COLLAPSED, REAL)
    assert result.personas_compared == 2
    checks = {c.name: c for c in result.checks}
    assert checks["action_entropy"].simulated == 0.0 and checks["action_entropy"].flagged
    assert checks["sentiment_spread"].flagged and checks["length_spread"].flagged
    agreeable = checks["agreeableness"]
    assert agreeable.simulated == 0.0 and agreeable.real == pytest.approx(2 / 5) and agreeable.flagged
    assert all(c.threshold == COLLAPSE_RATIO for c in result.checks)
    assert "more agreeable than they really are: 0% of their texts are negative against 40%" in result.warning
    assert "action variety is only 0%" in result.warning


def test_a_faithful_simulation_is_not_flagged():
    result = diagnose(REAL, REAL)
    assert result.flagged == () and result.warning == ""
    assert all(c.ratio == pytest.approx(1.0) for c in result.checks)


def test_missing_data_is_reported_not_flagged():
    result = diagnose([("p1", "like", "")], [("p1", "like", ""), ("p1", "reply", "Nice bike.")])
    checks = {c.name: c for c in result.checks}
    assert checks["sentiment_spread"].ratio is None and not checks["sentiment_spread"].flagged
    assert checks["sentiment_spread"].message == "Not enough data to compare sentiment spread."
    assert checks["agreeableness"].message.startswith("Agreeableness not judged")


def test_simulated_actions_become_reactions_without_failures():
    actions = [
        ActionRecord(1, "p1", ActionKind.REPLY, "s", "r1", "Sexist."),
        ActionRecord(1, "p2", ActionKind.ERROR, outcome="timeout"),
        ActionRecord(1, "p3", ActionKind.LIKE, "s", outcome="refused"),
    ]
    assert reactions_from_actions(actions) == [Reaction("p1", ActionKind.REPLY, "Sexist.")]
