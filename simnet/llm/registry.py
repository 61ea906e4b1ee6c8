"""One place that turns a provider kind and its settings into a Provider.

Each kind's module is imported only when asked for: the Anthropic SDK and llama.cpp are heavy,
and llama.cpp is an optional install.
"""

from __future__ import annotations

from typing import Any

from simnet.llm.base import Provider

PROVIDER_KINDS = ("offline", "baseline", "anthropic", "openai_compat")


def build_provider(kind: str, **settings: Any) -> Provider:
    """A provider of ``kind`` built with ``settings`` (the keyword arguments of its constructor).

    Raises ``ValueError`` for an unknown kind and ``TypeError`` for a setting the kind does not take.
    """
    if kind == "offline":
        from simnet.llm.offline_process import OfflineProvider

        return OfflineProvider(**settings)
    if kind == "baseline":
        from simnet.llm.baseline import BaselineProvider

        return BaselineProvider(**settings)
    if kind == "anthropic":
        from simnet.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(**settings)
    if kind == "openai_compat":
        from simnet.llm.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(**settings)
    raise ValueError(f"unknown provider kind {kind!r}; expected one of {', '.join(PROVIDER_KINDS)}")
