"""Cue lexicons: what fires, what a negation cancels, and what only a whole clause means."""

from __future__ import annotations

import pytest

from simulations.analysis.lexicon import (
    accusation_cues,
    joke_cues,
    opens_with_agreement,
    opens_with_disagreement,
    support_cues,
)


def test_accusation_cues_match_spelling_variants():
    assert accusation_cues("Tone deaf, body-shaming and SEXIST.") == ("tone deaf", "body-shaming", "sexist")
    assert accusation_cues("bodyshaming at its finest") == ("bodyshaming",)


def test_a_negation_in_the_same_clause_cancels_a_cue():
    assert accusation_cues("It is not sexist at all") == ()
    assert accusation_cues("I don't think it's sexist. It is gross.") == ("gross",)
    assert support_cues("I don't love it. Love this ad though") == ("love this",)


def test_a_negated_cue_in_a_question_is_rhetorical_and_counts():
    assert accusation_cues("How is this not sexist?") == ("sexist",)


def test_joke_cues_include_laughing_emoji_once():
    assert joke_cues("lol hostage video 😂😂 blink twice") == ("lol", "hostage", "blink twice", "😂")
    assert joke_cues("A calm review of the bike.") == ()


@pytest.mark.parametrize(
    ("text", "agrees", "disagrees"),
    [
        ("Exactly.", True, False),
        ("This!", True, False),
        ("Exactly this", True, False),
        ("So true 👏", True, False),
        ("This ad is sexist", False, False),
        ("No, it's a bike.", False, True),
        ("Nope", False, True),
        ("No one asked for this", False, False),
        ("Hard disagree. It's fine.", False, True),
    ],
)
def test_agreement_markers_count_only_as_a_whole_opening_clause(text, agrees, disagrees):
    assert opens_with_agreement(text) is agrees
    assert opens_with_disagreement(text) is disagrees
