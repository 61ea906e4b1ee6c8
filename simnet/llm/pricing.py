"""Prices per model, in one place, in US dollars per million tokens.

Figures are the providers' published list prices; a model missing here costs 0 and is
flagged by ``is_priced`` so estimates say its dollars are unknown instead of showing "$0.00" as
if it were free. A dated snapshot ("claude-haiku-4-5-20251001") costs what its alias costs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simnet.llm.base import Usage
from simnet.llm.testing import TEST_KINDS


@dataclass(frozen=True)
class Price:
    input: float  # $ per million uncached input tokens
    output: float
    cache_read: float  # $ per million input tokens read from the prompt cache
    cache_write: float  # $ per million input tokens written to the prompt cache


FREE = Price(0.0, 0.0, 0.0, 0.0)

# Anthropic: cache reads cost 0.1x input, 5-minute cache writes 1.25x input.
PRICES: dict[tuple[str, str], Price] = {
    ("anthropic", "claude-opus-4-5"): Price(5.0, 25.0, 0.50, 6.25),
    ("anthropic", "claude-sonnet-4-5"): Price(3.0, 15.0, 0.30, 3.75),
    ("anthropic", "claude-haiku-4-5"): Price(1.0, 5.0, 0.10, 1.25),
    ("anthropic", "claude-3-5-haiku-latest"): Price(0.80, 4.0, 0.08, 1.0),
    ("openai_compat", "gpt-4o-mini"): Price(0.15, 0.60, 0.075, 0.15),
    ("openai_compat", "gpt-4.1-mini"): Price(0.40, 1.60, 0.10, 0.40),
}

LOCAL_PROVIDERS = {"offline", "baseline", *TEST_KINDS}

# Share of the live price a provider's batch API charges, for runs that need not be live.
# Anthropic's Message Batches: "reducing costs by 50%", on input, output and cache tokens alike
# (docs: build-with-claude/batch-processing); answers within 24 h, most within an hour.
BATCH_PRICE_FACTORS = {"anthropic": 0.5}


_DATE_SUFFIX = re.compile(r"-\d{8}$")


def price_for(provider: str, model: str) -> Price:
    """The price of ``model`` on ``provider``; local providers are free."""
    if provider in LOCAL_PROVIDERS:
        return FREE
    return PRICES.get((provider, _DATE_SUFFIX.sub("", model)), FREE)


def batch_price_factor(provider: str) -> float | None:
    """What a batch costs as a share of the live price, or None when the provider has no batch API."""
    return BATCH_PRICE_FACTORS.get(provider)


def is_priced(provider: str, model: str) -> bool:
    return provider in LOCAL_PROVIDERS or (provider, _DATE_SUFFIX.sub("", model)) in PRICES


def cost_of(price: Price, usage: Usage) -> float:
    """Dollars for ``usage``; ``input_tokens`` counts only the uncached input."""
    return (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cached_input_tokens * price.cache_read
        + usage.cache_write_tokens * price.cache_write
    ) / 1_000_000
