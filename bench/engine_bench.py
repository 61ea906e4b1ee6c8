"""Engine overhead per agent-step, prompt size per decision, and snapshot cost.

The provider is the instant fake; the time spent inside it is measured and subtracted, so the
figure is the engine's own work: activity draws, feed building, prompts, parsing, applying
actions, memory, stimuli. "Per agent-step" means per decision (an online agent in a step).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simnet.llm.base import LLMRequest, LLMResponse, Provider
from simnet.llm.testing import FakeProvider
from simulations.engine import (
    PanelSnapshot,
    Stimulus,
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
    prompt_tokens,
)

SIZES = (100, 1_000, 10_000)
AD = Stimulus(
    "ad",
    "FizzCola zero: the same taste, no sugar. Try it this week.",
    at_step=1,
    author_handle="FizzCola",
    boost=0.2,
)


class TimedProvider:
    """A provider with the time spent inside it recorded."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name, self.model = inner.name, inner.model
        self.seconds = 0.0

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        started = time.perf_counter()
        answers = self.inner.generate(requests)
        self.seconds += time.perf_counter() - started
        return answers


def timed_fake(*, count_usage: bool) -> TimedProvider:
    """The instant fake provider, timed so that its time can be left out of the engine's."""
    return TimedProvider(FakeProvider(count_usage=count_usage))


@dataclass(frozen=True)
class Overhead:
    agents: int
    steps: int
    decisions: int
    engine_seconds: float
    posts: int
    provider_seconds: float = 0.0
    decisions_per_step: tuple[int, ...] = ()

    @property
    def ms_per_decision(self) -> float:
        return 1000 * self.engine_seconds / max(1, self.decisions)

    @property
    def ms_per_panel_agent_step(self) -> float:
        return 1000 * self.engine_seconds / (self.agents * self.steps)


def measure_overhead(agents: int, *, warmup: int, steps: int) -> tuple[Overhead, World, PanelSnapshot]:
    panel = demo_panel(agents, seed=1)
    world = create_world(panel, WorldConfig(seed=1), [AD])
    provider = timed_fake(count_usage=False)
    overhead = time_steps(world, provider, warmup=warmup, steps=steps)
    return overhead, world, panel


def time_steps(
    world: World,
    provider: TimedProvider,
    *,
    warmup: int,
    steps: int,
    before_decide: Callable[[Sequence[LLMRequest]], object] | None = None,
) -> Overhead:
    """Step ``world`` ``warmup + steps`` times; the last ``steps`` are timed, with the time
    inside the provider left out (``Overhead.provider_seconds`` keeps it). ``before_decide``
    gets each step's ``plan.requests`` before the provider is asked (a hybrid policy with a words
    budget picks the step's writers there, as a worker does); its time counts as the engine's."""
    decisions, engine, inside = [], 0.0, 0.0
    for index in range(warmup + steps):
        provider.seconds = 0.0
        started = time.perf_counter()
        plan = plan_step(world)
        if before_decide is not None:
            before_decide(plan.requests)
        apply_step(world, plan, gather_decisions(plan.turns, provider))
        if index >= warmup:
            engine += time.perf_counter() - started - provider.seconds
            inside += provider.seconds
            decisions.append(len(plan.turns))
    return Overhead(
        len(world.personas), steps, sum(decisions), engine, len(world.posts), inside, tuple(decisions)
    )


def measure_prompts(steps: int = 8) -> dict[str, float]:
    """Mean prompt split and answer size over a 100-agent run (fake answers: short JSON)."""
    world = create_world(demo_panel(100, seed=2), WorldConfig(seed=2), [AD])
    provider = timed_fake(count_usage=True)
    prefix = suffix = output = decisions = 0
    for _ in range(steps):
        plan = plan_step(world)
        for request in plan.requests:
            split = prompt_tokens(request)
            prefix, suffix = prefix + split.prefix, suffix + split.suffix
        result = apply_step(world, plan, gather_decisions(plan.turns, provider))
        output += result.usage.output_tokens
        decisions += len(plan.turns)
    total = prefix + suffix
    return {
        "input_tokens_per_decision": total / decisions,
        "prefix_tokens_per_decision": prefix / decisions,
        "suffix_tokens_per_decision": suffix / decisions,
        "output_tokens_per_decision": output / decisions,
        "cached_prompt_share": prefix / total,
    }


def measure_snapshot(world: World, panel: PanelSnapshot) -> dict[str, float]:
    """Size and time of the per-step snapshot the Django side stores (panel kept separately)."""
    started = time.perf_counter()
    text = json.dumps(world.to_state(include_panel=False))
    saved = time.perf_counter() - started
    started = time.perf_counter()
    World.from_state(json.loads(text), panel=panel)
    loaded = time.perf_counter() - started
    return {"state_mb": len(text) / 1e6, "save_s": saved, "load_s": loaded}
