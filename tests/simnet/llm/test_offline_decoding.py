"""The offline model's answer writers and field rules, driven by scripted logits (no llama.cpp)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import jsonschema
import numpy as np
import pytest

from simnet.llm import offline_rules
from simnet.llm.base import FeedItem, Situation
from simnet.llm.offline_decoding import NoCopy, Sampler, Vocabulary, Written, free_answer, json_answer
from simnet.llm.offline_rules import (
    REASON_TOKENS,
    TEXT_TOKENS,
    Choice,
    FeedPlan,
    MeetingPlan,
    Text,
    plan_for,
    schema_fields,
)
from simnet.llm.offline_runtime import PrefixStates
from simulations.engine import parsing
from simulations.engine.schemas import DECISION_SCHEMA, MEETING_SCHEMA
from simulations.engine.world import OUTSIDE_PREFIX

END = 0  # the end-of-generation token of the toy vocabulary
WORDS = [' "', '",', '"}', '":', '{"', " null", "like", "post", "ignore", "reply", "mute", " nice", " hike"]
PIECES = [b"", *(chr(c).encode() for c in range(32, 127)), b"\n", *(w.encode() for w in WORDS)]


def _tokenize(text: str) -> list[int]:
    """Greedy longest match over the toy vocabulary."""
    tokens, at = [], 0
    while at < len(text):
        best = max(
            (i for i, p in enumerate(PIECES) if p and text.startswith(p.decode(), at)),
            key=lambda i: len(PIECES[i]),
        )
        tokens.append(best)
        at += len(PIECES[best])
    return tokens


VOCAB = Vocabulary(PIECES, frozenset({END}), _tokenize)


def scripted(script: str) -> Callable[[Sequence[int]], np.ndarray]:
    """A 'model' that wants to write ``script``: the longest token continuing it scores highest."""

    def logits(context: Sequence[int]) -> np.ndarray:
        text = b"".join(PIECES[t] for t in context).decode()
        scores = np.full(len(PIECES), -5.0)
        rest = script[len(text) :] if script.startswith(text) else ""
        if not rest:
            scores[END] = 5.0
        for token, piece in enumerate(PIECES):
            if piece and rest.startswith(piece.decode()):
                scores[token] = 5.0 + len(piece)
        return scores

    return logits


def drive(writer, model) -> tuple[Written, int]:
    """Run a writer to the end against ``model``; returns the result and how often it asked."""
    context: list[int] = []
    tokens = next(writer)
    asks = 0
    while True:
        context += tokens
        asks += 1
        try:
            tokens = writer.send(model(context))
        except StopIteration as done:
            return done.value, asks


def feed_situation(*items: FeedItem, agent: str = "me") -> Situation:
    return Situation(agent_id=agent, step=1, feed=items)


def item(post_id: str, author: str, *, followed: bool = False) -> FeedItem:
    return FeedItem(post_id, author, f"h_{author}", "text", "post", author_followed=followed)


def test_schema_properties_become_choices_and_capped_texts():
    fields = schema_fields(DECISION_SCHEMA, max_tokens=120)

    assert fields is not None and list(fields) == ["action", "target", "text", "reason"]
    assert fields["action"] == Choice(tuple(DECISION_SCHEMA["properties"]["action"]["enum"]))
    assert fields["target"] == Text(30, nullable=True)  # three free strings share 120 // 4
    assert fields["reason"] == Text(REASON_TOKENS)
    assert schema_fields(DECISION_SCHEMA, max_tokens=12)["text"] == Text(3, nullable=True)
    boolean = {"type": "object", "properties": {"ok": {"type": ["boolean", "null"]}, "k": {"const": "x"}}}
    assert schema_fields(boolean, 50) == {"ok": Choice((True, False, None)), "k": Choice(("x",))}


@pytest.mark.parametrize(
    "node",
    [
        {"type": "integer"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "string", "pattern": "^P"},
    ],
)
def test_schemas_outside_the_flat_subset_are_left_to_the_grammar(node):
    schema = {"type": "object", "properties": {"action": {"enum": ["a"]}, "x": node}}

    assert plan_for(schema, None, 100) is None


def test_feed_rules_are_the_engines_rules():
    assert offline_rules.OUTSIDE_PREFIX == OUTSIDE_PREFIX
    assert offline_rules.NEEDS_TEXT == parsing.NEEDS_TEXT
    assert offline_rules.NEEDS_POST == parsing.NEEDS_POST
    assert offline_rules.NEEDS_ACCOUNT == parsing.NEEDS_ACCOUNT


def test_feed_targets_are_the_posts_an_action_can_apply_to():
    situation = feed_situation(
        item("a", "me"), item("b", "ann", followed=True), item("c", "bob"), item("d", "ext:fizzcola")
    )

    plan = plan_for(DECISION_SCHEMA, situation, 120)

    assert isinstance(plan, FeedPlan)
    assert plan.field("target", {"action": "like"}) == Choice(("P2", "P3", "P4"))  # never one's own post
    assert plan.field("target", {"action": "follow"}) == Choice(("P3",))  # ann is followed, a brand cannot be
    assert plan.field("target", {"action": "unfollow"}) == Choice(("P2",))
    assert plan.field("target", {"action": "mute"}) == Choice(("P2", "P3", "P4"))
    assert plan.field("target", {"action": "post"}) == Choice((None,))
    assert plan.field("text", {"action": "reply"}) == Text(min(TEXT_TOKENS, 120 // 4))  # its share of 120
    assert plan.field("text", {"action": "like"}) == Choice((None,))


def test_an_empty_feed_leaves_only_the_actions_that_need_no_post():
    plan = plan_for(DECISION_SCHEMA, feed_situation(), 120)

    assert plan.field("action", {}) == Choice(("post", "ignore"))


def test_meeting_rules_keep_pass_silent_and_give_votes_a_position():
    situation = Situation("me", 3, (item("a", "chair"), item("b", "me")), format="roundtable")

    plan = plan_for(MEETING_SCHEMA, situation, 120)

    assert isinstance(plan, MeetingPlan)
    assert plan.field("text", {"action": "pass"}) == Choice((None,))
    assert plan.field("position", {"action": "vote"}) == Choice(("for", "against", "abstain"))
    assert plan.field("target", {"action": "speak"}) == Choice((None, "@h_chair"))
    assert plan.field("text", {"action": "vote"}) == Choice((None,))  # its reason says why
    assert isinstance(plan.field("text", {"action": "speak"}), Text)


def test_a_decision_is_the_models_scripted_answer_when_the_rules_allow_it():
    situation = feed_situation(item("a", "ann"), item("b", "bob"))
    plan = plan_for(DECISION_SCHEMA, situation, 120)
    script = '{"action": "like", "target": "P2", "text": null, "reason": "nice hike"}'

    written, _ = drive(json_answer(plan, VOCAB, Sampler(1, 0.7)), scripted(script))

    assert written.data == {"action": "like", "target": "P2", "text": None, "reason": "nice hike"}
    assert json.loads(written.text) == written.data


def test_choices_outside_the_rules_are_never_offered():
    plan = plan_for(DECISION_SCHEMA, feed_situation(item("a", "ann")), 120)
    script = '{"action": "reply", "target": "P7", "text": "hi", "reason": "x"}'  # no P7 in a feed of one

    written, _ = drive(json_answer(plan, VOCAB, Sampler(1, 0.7)), scripted(script))

    assert written.data["target"] == "P1"
    jsonschema.validate(written.data, DECISION_SCHEMA)
    assert not isinstance(parsing.parse_feed_decision(written.data, ["a"]), str)


def test_the_model_is_asked_only_where_options_differ():
    plan = offline_rules.AnswerPlan({"kind": Choice(("only",)), "pick": Choice(("like", "mute"))})

    written, asks = drive(
        json_answer(plan, VOCAB, Sampler(3, 0.7)), scripted('{"kind": "only", "pick": "mute"}')
    )

    assert written.data == {"kind": "only", "pick": "mute"}
    assert asks == 1


def test_a_required_text_is_never_empty_and_stops_at_its_cap():
    plan = offline_rules.AnswerPlan({"reason": Text(3)})

    empty, _ = drive(json_answer(plan, VOCAB, Sampler(1, 0.0)), scripted('{"reason": ""}'))
    long, _ = drive(json_answer(plan, VOCAB, Sampler(1, 0.0)), scripted('{"reason": "abcdefgh"}'))

    assert empty.data["reason"] != ""
    assert long.data == {"reason": "abc"}
    assert json.loads(long.text) == long.data


def test_text_ends_at_a_newline_and_quotes_inside_stay_valid_json():
    plan = offline_rules.AnswerPlan({"text": Text(20, nullable=True)})

    line, _ = drive(json_answer(plan, VOCAB, Sampler(1, 0.0)), scripted('{"text": "one\ntwo"}'))

    assert line.data == {"text": "one"}
    assert json.loads(line.text) == {"text": "one"}


def test_sampling_is_reproducible_for_a_seed():
    plan = plan_for(DECISION_SCHEMA, feed_situation(item("a", "ann"), item("b", "bob")), 120)
    noisy = np.random.default_rng(0).normal(size=(400, len(PIECES)))

    def model(context):
        return noisy[len(context) % 400]

    runs = [drive(json_answer(plan, VOCAB, Sampler(seed, 0.9)), model)[0].text for seed in (5, 5, 6, 7, 8)]

    assert runs[0] == runs[1]
    assert len(set(runs[1:])) > 1
    for text in runs:
        assert not isinstance(parsing.parse_feed_decision(json.loads(text), ["a", "b"]), str)


def test_free_text_runs_until_the_model_stops_or_the_cap():
    done, _ = drive(free_answer(50, VOCAB, Sampler(1, 0.0)), scripted("like\npost"))
    capped, _ = drive(free_answer(2, VOCAB, Sampler(1, 0.0)), scripted("like nice hike"))

    assert done == Written("like\npost", None, 1)
    assert capped.text == "like nice" and capped.truncated


def test_texts_never_copy_four_prompt_tokens_in_a_row():
    prompt = _tokenize("Ad: like nice hike post")
    plan = offline_rules.AnswerPlan({"text": Text(12)})
    model = scripted('{"text": "like nice hike post"}')  # a model that only wants to copy

    free_copy, _ = drive(free_answer(12, VOCAB, Sampler(1, 0.0)), scripted("like nice hike post"))
    guarded_free, _ = drive(
        free_answer(12, VOCAB, Sampler(1, 0.0), NoCopy(prompt)), scripted("like nice hike post")
    )
    guarded, _ = drive(json_answer(plan, VOCAB, Sampler(1, 0.0), NoCopy(prompt)), model)

    assert free_copy.text == "like nice hike post"
    for text in (guarded_free.text, guarded.data["text"]):
        assert (
            text.startswith("like nice hike") and "like nice hike post" not in text
        )  # three tokens may be quoted


def test_prefix_states_drop_the_least_recently_used_past_their_capacity():
    states = PrefixStates(capacity=10)
    states.put((1,), b"1234")
    states.put((2,), b"1234")
    assert states.get((1,)) == b"1234"  # now the most recent
    states.put((3,), b"1234")

    assert states.get((2,)) is None and states.get((1,)) and states.get((3,))
    states.put((4,), b"x" * 11)  # larger than the whole cache: not kept
    assert states.get((4,)) is None and len(states) == 2


def test_short_prompt_lines_and_own_loops_are_banned():
    """ "Your action?" is copied whole in a few tokens, below the copy guard's run: a guard over the
    prompt's short lines bans any two of their tokens in a row, never across two lines."""
    guard = NoCopy(()).add([5, 6, 7, -1, 8, 9], run=2)
    base = np.zeros(12, dtype=bool)
    assert np.flatnonzero(guard.banned(base, [1, 5])).tolist() == [6]
    assert np.flatnonzero(guard.banned(base, [7])).tolist() == []  # no run across the separator
    assert guard.banned(base, [4]) is base


def test_a_text_may_not_close_on_a_schema_word_alone():
    """A reason that says only "vote" or "pass" is a field name echoed, not a reason: the string may
    not close there, so the model goes on writing (here: whatever scores next)."""
    plan = offline_rules.AnswerPlan({"action": Choice(("vote",)), "reason": Text(8)})

    written, _ = drive(
        json_answer(plan, VOCAB, Sampler(1, 0.0)), scripted('{"action": "vote", "reason": "pass"}')
    )
    free, _ = drive(
        json_answer(plan, VOCAB, Sampler(1, 0.0)), scripted('{"action": "vote", "reason": "fine"}')
    )

    assert written.data["reason"].startswith("pass") and written.data["reason"] != "pass"
    assert free.data["reason"] == "fine"


@pytest.mark.parametrize(
    ("capped", "kept"),
    [
        (b"Great bike, I love it. I would buy one for my", b"Great bike, I love it."),  # the last sentence end
        (b"This holiday give the gift that gives back: pedal pro home b", b"This holiday give the gift that gives back: pedal pro home"),
        (b"I am grateful to all of my friends and the", b"I am grateful to all of my friends"),
        (b"so so", b"so so"),  # too short to cut
    ],
)  # fmt: skip
def test_a_text_stopped_at_its_cap_ends_at_a_sentence_or_without_its_hanging_words(capped, kept):
    from simnet.llm.offline_decoding import _last_sentence

    assert _last_sentence(capped) == kept
