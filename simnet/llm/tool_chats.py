"""The ``ToolChat`` of a built provider: which wire protocol a conversation with tools speaks."""

from __future__ import annotations

from typing import Any

from simnet.llm.base import ProviderError
from simnet.llm.tool_use import ToolChat


def tool_chat_for(provider: Any) -> ToolChat:
    """The ``ToolChat`` of a built provider (wrappers unwrapped: a conversation is never cached or
    gated, every turn depends on the last). Only hosted models converse with tools."""
    while hasattr(provider, "inner"):
        provider = provider.inner
    if provider.name == "anthropic":
        from simnet.llm.anthropic_tools import AnthropicToolChat

        return AnthropicToolChat(provider)
    if provider.name == "openai_compat":
        from simnet.llm.openai_tools import OpenAIToolChat

        return OpenAIToolChat(provider)
    raise ProviderError(f"{provider.name}: only a hosted model (Anthropic, OpenAI-compatible) can use tools")
