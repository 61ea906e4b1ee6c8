"""Cue-word stance evidence and the small text helpers behind profiles and cards."""

from __future__ import annotations

import pytest

from personas.builders.stances import find_stance_evidence, stance_hints
from personas.builders.text import content_terms, guess_language, hashtags, mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't support Tesla anymore.", [("Tesla", "oppose", "not support")]),
        ("Go Bears!", [("Bears", "support", "go")]),
        ("Vote for Prop 22 today", [("Prop 22", "support", "vote for")]),
        ("Shame on @acme for this", [("@acme", "oppose", "shame on")]),
        ("The Senate is corrupt", [("Senate", "oppose", "is corrupt")]),
        ("The new iPhone sucks", []),  # no capitalised name right before the cue
        ("I love it", []),  # pronouns are not targets
        (
            "Bank of America is the worst. Thanks Chase!",
            [("Bank of America", "oppose", "is the worst"), ("Chase", "support", "thanks")],
        ),
    ],
)
def test_stance_evidence(text, expected):
    found = [(target, e.position, e.cue) for target, e in find_stance_evidence("x", text)]
    assert found == expected


def test_stance_hints_merge_targets_and_keep_quotes():
    hints = stance_hints(
        [("1", "Boycott #Nike now."), ("2", "I love Nike shoes, honestly. Other stuff."), ("3", "Stop NIKE")]
    )
    assert len(hints) == 1
    nike = hints[0]
    assert (nike.target, nike.position, nike.support, nike.oppose) == ("#Nike", "oppose", 1, 2)
    assert [e.quote for e in nike.evidence] == [
        "Boycott #Nike now.",
        "I love Nike shoes, honestly.",
        "Stop NIKE",
    ]


def test_text_helpers():
    text = "Loving the #Hiking life with @Bob_1! https://x.co/abc The trail's views are stunning"
    assert hashtags(text) == ["#hiking"]
    assert mentions(text) == ["@bob_1"]
    assert content_terms(text) == ["loving", "life", "trail", "views", "stunning"]
    assert content_terms("x" * 40 + " ok") == []  # too long to be a word, too short to be a topic
    assert guess_language("the cat is on the mat") == "en"
    assert guess_language("el gato está en la casa de los vecinos") == "es"
    assert guess_language("hello") == ""
