"""A language model's summary opens the card runs read, within the card's token budget."""

from __future__ import annotations

import pytest

from personas.builders.cards import EXAMPLES_HEADING, SUMMARY_MAX_SHARE, card_with_summary
from simnet.llm.tokens import count_tokens

SUMMARY = "Maria is a nurse who rides the bus. She cares about transit and writes short, warm posts."
HEAD = "You are Maria (@maria).\nBio: Nurse and cyclist."
EXAMPLES = [f"- Post {i}: the 42 bus was late again, third time this week, bus lanes now!" for i in range(8)]
CARD = "\n".join([HEAD, EXAMPLES_HEADING, *EXAMPLES])


def test_without_a_summary_the_card_is_unchanged() -> None:
    assert card_with_summary(CARD, "", 500) == CARD
    assert card_with_summary(CARD, " \n ", 10) == CARD


def test_the_summary_line_comes_first_and_the_card_follows_whole_when_it_fits() -> None:
    text = card_with_summary(CARD, f"  {SUMMARY}\n", 500)
    assert text == f"In short: {SUMMARY}\n{CARD}"


@pytest.mark.parametrize("budget", [40, 80, 120, 160, 200])
def test_the_card_gives_up_whole_example_lines_to_stay_within_budget(budget: int) -> None:
    text = card_with_summary(CARD, SUMMARY, budget)
    lines = text.split("\n")
    assert count_tokens(text) <= budget
    assert lines[0].startswith("In short: Maria is a nurse")
    assert count_tokens(lines[0]) <= max(int(SUMMARY_MAX_SHARE * budget), 16)
    kept = lines[1:]
    assert kept == CARD.split("\n")[: len(kept)] or kept[-1].endswith("…")  # a prefix of whole lines
    assert kept[-1] != EXAMPLES_HEADING  # never a heading without examples


def test_a_long_summary_is_cut_to_its_share_of_the_budget() -> None:
    text = card_with_summary(CARD, SUMMARY * 20, 200)
    first, rest = text.split("\n", 1)
    assert count_tokens(first) <= SUMMARY_MAX_SHARE * 200 and first.endswith("…")
    assert rest.startswith(HEAD) and count_tokens(text) <= 200
