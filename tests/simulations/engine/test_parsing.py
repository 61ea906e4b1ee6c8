from __future__ import annotations

import pytest

from simulations.engine.parsing import extract_json, parse_feed_decision, payload_of
from simulations.engine.turns import Decision

FEED = ("p10", "p11", "p12")


@pytest.mark.parametrize(
    "text",
    [
        '{"action": "like", "target": "P2", "text": null, "reason": "nice"}',
        'Sure! Here is my decision:\n```json\n{"action": "like", "target": "P2", "text": null, "reason": "nice"}\n```',
        "I'll go with {'action': 'like', 'target': 'P2', 'text': None, 'reason': 'nice'}".replace(
            "None", "null"
        ),
        '{"ACTION": "Like", "Target": "p2", "reason": "nice"} and that is all',
        '{"action": "favourite", "target": "[P2]", "reason": "nice"}',
        '{"action": "LIKE ", "target": "2", "reason": "nice"}',
    ],
)
def test_tolerant_reading_of_one_like(text: str) -> None:
    payload = payload_of(None, text)
    assert payload is not None
    assert parse_feed_decision(payload, FEED) == Decision("like", target_post_id="p11", reason="nice")


def test_data_given_by_the_provider_wins_over_text() -> None:
    payload = payload_of({"action": "ignore", "target": None, "text": None, "reason": "meh"}, "garbage")
    assert parse_feed_decision(payload, FEED) == Decision("ignore", reason="meh")


def test_synonyms_and_handles() -> None:
    assert parse_feed_decision({"action": "retweet", "target": "P1"}, FEED).target_post_id == "p10"  # type: ignore[union-attr]
    follow = parse_feed_decision({"action": "follow", "target": "@Bob"}, FEED)
    assert follow == Decision("follow", target_handle="Bob")
    by_item = parse_feed_decision({"action": "mute", "target": "P3"}, FEED)
    assert by_item == Decision("mute", target_post_id="p12")


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"action": "dance"}, "unknown action"),
        ({"action": "like", "target": "P9"}, "no P9"),
        ({"action": "like", "target": None}, "needs a target feed id"),
        ({"action": "reply", "target": "P1", "text": ""}, "needs a text"),
        ({"action": "post", "text": "null"}, "needs a text"),
        ({"action": "follow", "target": None}, "needs a target"),
    ],
)
def test_unusable_answers_name_their_problem(payload: dict, problem: str) -> None:
    result = parse_feed_decision(payload, FEED)
    assert isinstance(result, str) and problem in result


def test_long_text_is_cut_not_refused() -> None:
    decision = parse_feed_decision({"action": "post", "text": "x" * 1000}, FEED)
    assert isinstance(decision, Decision) and decision.text == "x" * 280


def test_no_json_at_all() -> None:
    assert extract_json("I would rather not.") is None
    assert payload_of(None, "[1, 2, 3]") is None
