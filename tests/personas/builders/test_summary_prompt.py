"""The summary request (free text, from the card only) and the tidying of what a model answers."""

from __future__ import annotations

import pytest

from personas.builders.summary_prompt import (
    MAX_SUMMARY_CHARS,
    SUMMARY_RULES,
    summary_request,
    tidy_summary,
)

CARD = "You are Maria (@maria).\nBio: Nurse.\nExamples of how you write:\n- Bus lanes now! #transit"


def test_the_request_is_free_text_keyed_by_persona_and_reads_the_card_only() -> None:
    request = summary_request(persona_id="42", name="Maria", handle="maria", card=f"  {CARD}\n")
    assert request.key == "summary:42" and request.schema is None and request.situation is None
    assert request.system == SUMMARY_RULES and "2 to 3 sentences in the third person" in request.system
    assert request.user == f"Persona card of Maria (@maria):\n{CARD}"
    assert request.max_tokens == 160 and request.temperature <= 0.3
    again = summary_request(persona_id="42", name="Maria", handle="maria", card=CARD)
    other = summary_request(persona_id="43", name="Maria", handle="maria", card=CARD)
    assert again.seed == request.seed != other.seed  # stable per persona, so the decision cache can answer
    nameless = summary_request(persona_id="1", name="", handle="bo", card="x")
    assert nameless.user.startswith("Persona card of bo (@bo)")
    with pytest.raises(ValueError):
        summary_request(persona_id="1", name="", handle="bo", card=" \n ")


def test_a_short_answer_comes_back_on_one_line() -> None:
    answer = "  Maria is a nurse.\n\nShe rides  the bus. "
    assert tidy_summary(answer) == "Maria is a nurse. She rides the bus."
    assert tidy_summary("") == ""


def test_a_long_answer_is_cut_at_its_last_sentence_within_the_limit() -> None:
    sentence = "Maria writes about buses, nurses' shifts and the city council every single day. "
    text = tidy_summary(sentence * 20)
    assert len(text) <= MAX_SUMMARY_CHARS and text.endswith("every single day.")
    assert text.count("Maria") == MAX_SUMMARY_CHARS // len(sentence)


def test_a_long_answer_without_sentence_ends_is_cut_at_a_word() -> None:
    text = tidy_summary("word " * 300, max_chars=50)
    assert text == "word word word word word word word word word word…" and len(text) <= 50
    assert tidy_summary("x" * 80, max_chars=20) == "x" * 19 + "…"
