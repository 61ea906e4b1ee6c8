"""Decisions per second and valid-decision rate of the embedded offline model.

A short feed run as the engine drives it: every step's turns go to the provider as one batch.
The model is loaded (by a throwaway request) before the clock starts. The first step evaluates
every persona's prefix (card and rules) from scratch; later steps find it in the prefix cache,
as every step after the first of a real run does, so the figures are reported for both and for
the whole run. The model is imported lazily so the engine benchmark runs where llama.cpp or the
model is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from dataclasses import dataclass, replace

from bench.engine_bench import AD
from simnet.llm.base import LLMRequest, ProviderError
from simulations.engine import (
    PanelSnapshot,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
)

AGENTS = 6
STEPS = 4
TIME_LIMIT_S = 90.0  # a busy machine is slow: stop after the step that passes this
MIN_STEPS = 2  # one with cold prefixes, one with warm ones


@dataclass(frozen=True)
class OfflineFigures:
    model: str
    decisions: int
    seconds: float
    first_step_decisions: int  # the step that evaluated every persona's prefix
    first_step_seconds: float
    first_try_valid: int  # answers usable as given (no correction request needed)
    applied_ok: int  # decisions the world accepted
    input_tokens: int  # prompt tokens as the model's own tokenizer counted them, cached or not
    cached_input_tokens: int
    output_tokens: int
    load_seconds: float

    @property
    def decisions_per_s(self) -> float:
        return self.decisions / self.seconds if self.seconds else 0.0

    @property
    def cold_decisions_per_s(self) -> float:
        return self.first_step_decisions / self.first_step_seconds if self.first_step_seconds else 0.0

    @property
    def warm_decisions_per_s(self) -> float:
        warm_seconds = self.seconds - self.first_step_seconds
        return (self.decisions - self.first_step_decisions) / warm_seconds if warm_seconds else 0.0

    @property
    def valid_rate(self) -> float:
        return self.first_try_valid / self.decisions if self.decisions else 0.0


def measure_offline() -> OfflineFigures | str:
    """The figures, or the reason the offline model is not available here."""
    try:
        offline = importlib.import_module("simnet.llm.offline_process")  # the product's path
        if importlib.util.find_spec("llama_cpp") is None:
            return "llama-cpp-python is not installed (pip install 'simnet[offline]')"
        provider = offline.OfflineProvider()
        started = time.perf_counter()
        provider.generate([LLMRequest(key="load", system="", user="Hi.", max_tokens=1)])
        load_seconds = time.perf_counter() - started
    except (ImportError, ProviderError) as err:
        return f"{type(err).__name__}: {err}"
    online = tuple(replace(p, activity_rate=1.0) for p in demo_panel(AGENTS, seed=3).personas)
    world = create_world(PanelSnapshot(online), WorldConfig(seed=3), [AD])
    decisions = first_try = applied = input_tokens = cached = output_tokens = 0
    seconds = first_seconds = 0.0
    first_decisions = 0
    for step in range(STEPS):
        if step >= MIN_STEPS and seconds > TIME_LIMIT_S:
            break
        plan = plan_step(world)
        started = time.perf_counter()
        answers = gather_decisions(plan.turns, provider)
        elapsed = time.perf_counter() - started
        result = apply_step(world, plan, answers)
        if step == 0:
            first_decisions, first_seconds = len(answers), elapsed
        seconds += elapsed
        decisions += len(answers)
        first_try += sum(a.decision is not None and a.attempts == 1 for a in answers)
        applied += sum(r.ok for r in result.results)
        input_tokens += sum(a.usage.input_tokens + a.usage.cached_input_tokens for a in answers)
        cached += sum(a.usage.cached_input_tokens for a in answers)
        output_tokens += sum(a.usage.output_tokens for a in answers)
    return OfflineFigures(
        provider.model,
        decisions,
        seconds,
        first_decisions,
        first_seconds,
        first_try,
        applied,
        input_tokens,
        cached,
        output_tokens,
        load_seconds,
    )
