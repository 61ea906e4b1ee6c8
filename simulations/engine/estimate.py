"""What a run will probably cost, before it starts: a low / expected / high range.

Calls follow from the activity model (a sum of independent Bernoulli draws: expected value and
three standard deviations) plus a share of one-off retries; input tokens from each persona's
real prefix and the suffix budget; money from the provider's price table. Prompt caching is
counted in the expected figure only when the prefix is long enough for hosted providers to
cache it (1,024 tokens); the low figure assumes every prefix is read from cache, the high one
that none is and that every answer uses ``max_tokens``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simnet.llm.pricing import Price
from simnet.llm.tokens import count_tokens
from simulations.engine.config import WorldConfig
from simulations.engine.deliberation import DEFAULT_ROUNDS
from simulations.engine.memory import ENTRY_TOKENS
from simulations.engine.persona import PanelSnapshot, Persona
from simulations.engine.prompts import feed_prefix_text
from simulations.engine.roundtable import UTTERANCE_TOKENS, meeting_prefix_text, meeting_schedule

MIN_CACHEABLE_PREFIX = 1024  # hosted prompt caches ignore shorter prefixes
EXPECTED_RETRY_SHARE = 0.03
HIGH_RETRY_SHARE = 0.15
OUTPUT_LOW, OUTPUT_EXPECTED = 15, 45
ITEM_HEADER_TOKENS = (6, 12, 22)  # "P1 @handle (you follow, 3 likes):" low / expected / high
SUFFIX_FRAME_TOKENS = 20  # step line, labels, closing question


@dataclass(frozen=True)
class Range:
    low: float
    expected: float
    high: float


@dataclass(frozen=True)
class Estimate:
    calls: Range
    input_tokens: Range
    output_tokens: Range
    cost_usd: Range
    wall_time_s: Range | None  # None when neither a throughput nor a measured pace was given
    notes: tuple[str, ...] = ()
    # Replies and quotes the run will write (what a language-model judge labels afterwards).
    responses: Range = Range(0.0, 0.0, 0.0)


def estimate_run(
    panel: PanelSnapshot,
    config: WorldConfig,
    steps: int,
    *,
    price: Price,
    decisions_per_s: float | None = None,
    seconds_per_decision: Range | None = None,
) -> Estimate:
    """Range of calls, tokens, dollars and wall time for ``steps`` steps of this panel.

    ``seconds_per_decision`` is a measured pace (fast, typical, slow) and wins over the fixed
    ``decisions_per_s``: a single throughput only scales the call range, and so underestimated
    every slow run."""
    if steps < 0:
        raise ValueError("steps cannot be negative")
    prefixes = {p.id: count_tokens(_prefix_text(p, config)) for p in panel.personas}
    weights, calls_low, calls_expected, calls_high = _calls(panel, config, steps)
    suffix = _suffix_tokens(config)
    total_weight = sum(weights.values()) or 1.0
    mean_prefix = sum(prefixes[pid] * w for pid, w in weights.items()) / total_weight
    per_call_input = Range(mean_prefix + suffix.low, mean_prefix + suffix.expected, mean_prefix + suffix.high)
    calls = Range(calls_low, calls_expected * (1 + EXPECTED_RETRY_SHARE), calls_high * (1 + HIGH_RETRY_SHARE))
    input_tokens = Range(
        calls.low * per_call_input.low,
        calls.expected * per_call_input.expected,
        calls.high * per_call_input.high,
    )
    output_tokens = Range(
        calls.low * OUTPUT_LOW, calls.expected * OUTPUT_EXPECTED, calls.high * config.max_output_tokens
    )
    cacheable = mean_prefix >= MIN_CACHEABLE_PREFIX
    cost = Range(
        _usd(price, calls.low, mean_prefix * price.cache_read, suffix.low, OUTPUT_LOW),
        _usd(
            price,
            calls.expected,
            mean_prefix * (price.cache_read if cacheable else price.input),
            suffix.expected,
            OUTPUT_EXPECTED,
        ),
        _usd(
            price,
            calls.high,
            mean_prefix * max(price.input, price.cache_write),
            suffix.high,
            config.max_output_tokens,
        ),
    )
    wall = wall_time(calls, seconds_per_decision, decisions_per_s)
    notes = [f"mean prompt prefix {mean_prefix:.0f} tokens, suffix up to {suffix.high:.0f}"]
    if not cacheable:
        notes.append(
            "prefix shorter than hosted prompt caches accept: expected cost assumes no cache discount"
        )
    return Estimate(
        calls,
        input_tokens,
        output_tokens,
        cost,
        wall,
        tuple(notes),
        _responses(panel, config, weights, calls),
    )


def wall_time(
    calls: Range, seconds_per_decision: Range | None, decisions_per_s: float | None
) -> Range | None:
    """Seconds for ``calls``: the fewest calls at the fastest pace up to the most at the slowest."""
    if seconds_per_decision is not None:
        pace = seconds_per_decision
        return Range(calls.low * pace.low, calls.expected * pace.expected, calls.high * pace.high)
    if decisions_per_s:
        return Range(
            calls.low / decisions_per_s, calls.expected / decisions_per_s, calls.high / decisions_per_s
        )
    return None


def _responses(panel: PanelSnapshot, config: WorldConfig, weights: dict[str, float], calls: Range) -> Range:
    """Replies and quotes: none at least, one per call at most; expected, each persona's
    historical chance to answer one of the ``feed_size`` items it reads (a meeting has none)."""
    if config.format == "roundtable":
        return Range(0.0, 0.0, 0.0)
    expected = 0.0
    for persona in panel.personas:
        per_item = min(1.0, persona.propensities.get("reply", 0.0) + persona.propensities.get("quote", 0.0))
        expected += weights[persona.id] * (1 - (1 - per_item) ** config.feed_size)
    return Range(0.0, min(expected, calls.expected), calls.high)


def _prefix_text(persona: Persona, config: WorldConfig) -> str:
    return meeting_prefix_text(persona) if config.format == "roundtable" else feed_prefix_text(persona)


def _calls(
    panel: PanelSnapshot, config: WorldConfig, steps: int
) -> tuple[dict[str, float], float, float, float]:
    """Expected calls per persona and the low / expected / high total."""
    if config.format == "roundtable":
        return _meeting_calls(panel, config, steps)
    if config.format == "deliberation":
        return _deliberation_calls(panel, config, steps)
    clock = config.clock
    weights = {p.id: 0.0 for p in panel.personas}
    variance = 0.0
    possible = 0
    for step in range(steps):
        hour = clock.hour(step)
        for persona in panel.personas:
            if hour in persona.active_hours:
                p = persona.activity_rate
                weights[persona.id] += p
                variance += p * (1 - p)
                possible += 1
    expected = sum(weights.values())
    spread = 3 * math.sqrt(variance)
    return weights, max(0.0, expected - spread), expected, min(float(possible), expected + spread)


def _meeting_calls(
    panel: PanelSnapshot, config: WorldConfig, steps: int
) -> tuple[dict[str, float], float, float, float]:
    members = len(panel.personas)
    turns = config.roundtable.discussion_turns or members - 1 + 3
    plans = meeting_schedule(len(config.roundtable.agenda), steps, turns)  # shortened to end with votes
    schedule = [calls for plan in plans for calls in [1] * (plan.steps - 1) + [members]]
    total = float(sum(schedule[:steps]))
    weights = {p.id: total / members for p in panel.personas}
    return weights, total, total, total


def _deliberation_calls(
    panel: PanelSnapshot, config: WorldConfig, steps: int
) -> tuple[dict[str, float], float, float, float]:
    """Every member answers at every step of a deliberation (poll, each round, re-poll), whatever
    their activity: nothing about it is random."""
    asked = min(steps, config.deliberation.steps or DEFAULT_ROUNDS + 2)
    weights = {p.id: float(asked) for p in panel.personas}
    total = float(asked * len(panel.personas))
    return weights, total, total, total


def _suffix_tokens(config: WorldConfig) -> Range:
    if config.format == "roundtable":
        context = config.roundtable.context_utterances * (UTTERANCE_TOKENS + 4)
        return Range(
            SUFFIX_FRAME_TOKENS + 20,
            SUFFIX_FRAME_TOKENS + 40 + context * 0.7,
            SUFFIX_FRAME_TOKENS + 140 + context + config.memory_tokens,
        )
    k = config.feed_size
    low_header, expected_header, high_header = ITEM_HEADER_TOKENS
    return Range(
        SUFFIX_FRAME_TOKENS + k * (low_header + ENTRY_TOKENS // 3),
        SUFFIX_FRAME_TOKENS
        + config.memory_tokens * 0.8
        + k * (expected_header + config.feed_item_tokens * 0.8),
        SUFFIX_FRAME_TOKENS + config.memory_tokens + k * (high_header + config.feed_item_tokens),
    )


def _usd(price: Price, calls: float, prefix_cost: float, suffix: float, output: float) -> float:
    """Dollars for ``calls`` calls; ``prefix_cost`` is prefix tokens times the price they pay."""
    return calls * (prefix_cost + suffix * price.input + output * price.output) / 1_000_000
