"""Decisions per second and valid-decision rate of the embedded offline model.

The model is the other half of the project (``simulations.llm.offline``); it is imported lazily
so the engine benchmark runs even where llama.cpp or the model is missing.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, replace

from simulations.engine import (
    PanelSnapshot,
    World,
    WorldConfig,
    apply_step,
    demo_panel,
    gather_decisions,
    plan_step,
)
from simulations.llm.base import ProviderError

AGENTS = 6
STEPS = 2
TIME_LIMIT_S = 60.0  # the model is slow on a busy 2-core machine: measure what fits in a minute
MIN_DECISIONS = 3  # the first one (model loading) and at least two timed ones


@dataclass(frozen=True)
class OfflineFigures:
    model: str
    decisions: int
    seconds: float
    first_decision_s: float  # includes loading the model, so it is kept out of the rate
    first_try_valid: int  # answers usable as given (no correction request needed)
    applied_ok: int  # decisions the world accepted
    input_tokens: int  # as the model's own tokenizer counted them

    @property
    def decisions_per_s(self) -> float:
        """Steady-state rate: every decision after the first."""
        return (self.decisions - 1) / self.seconds if self.seconds else 0.0

    @property
    def valid_rate(self) -> float:
        return self.first_try_valid / self.decisions if self.decisions else 0.0


def measure_offline() -> OfflineFigures | str:
    """The figures, or the reason the offline model is not available here."""
    try:
        offline = importlib.import_module("simulations.llm.offline")
        importlib.import_module("llama_cpp")
        provider = offline.OfflineProvider()
    except (ImportError, ProviderError) as err:
        return f"{type(err).__name__}: {err}"
    online = tuple(replace(p, activity_rate=1.0) for p in demo_panel(AGENTS, seed=3).personas)
    world = World.create(PanelSnapshot(online), WorldConfig(seed=3))
    decisions = first_try = applied = input_tokens = 0
    seconds = first_decision = 0.0
    for _ in range(STEPS):
        plan = plan_step(world)
        answers = []
        for turn in plan.turns:  # one at a time, so the time limit can stop between decisions
            if seconds > TIME_LIMIT_S and decisions + len(answers) >= MIN_DECISIONS:
                break
            started = time.perf_counter()
            answers += gather_decisions([turn], provider)
            if first_decision == 0.0:
                first_decision = time.perf_counter() - started
            else:
                seconds += time.perf_counter() - started
        result = apply_step(world, plan, answers)  # agents not asked in time count as errors, unmeasured
        answered = {a.agent_id for a in answers}
        decisions += len(answers)
        first_try += sum(a.decision is not None and a.attempts == 1 for a in answers)
        applied += sum(r.ok for r in result.results if r.agent_id in answered)
        input_tokens += sum(a.usage.input_tokens for a in answers)
    return OfflineFigures(
        provider.model, decisions, seconds, first_decision, first_try, applied, input_tokens
    )
