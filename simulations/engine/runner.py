"""The convenience loop for the CLI and the benchmarks: plan, ask, apply, repeat.

The Django side calls the three halves itself (one task per step); this loop is the same
sequence in one process, with the budget enforced and provider-wide failures turned into a
clean stop (``RunReport.stopped``) instead of an exception half-way through a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simnet.llm.base import ZERO_USAGE, Provider, ProviderUnavailable, QuotaExceeded, Usage
from simnet.llm.pricing import price_for
from simulations.engine.actions import ActionResult
from simulations.engine.budget import Budget, BudgetExhausted, BudgetGuard
from simulations.engine.decisions import gather_decisions
from simulations.engine.step import StepResult, apply_step, plan_step
from simulations.engine.turns import AgentDecision
from simulations.engine.world import World


@dataclass
class RunReport:
    steps: list[StepResult] = field(default_factory=list)
    stopped: str = "completed"  # completed | finished (meeting over) | budget | quota | unavailable
    message: str = ""

    @property
    def results(self) -> list[ActionResult]:
        return [result for step in self.steps for result in step.results]

    @property
    def usage(self) -> Usage:
        total = ZERO_USAGE
        for step in self.steps:
            total = total + step.usage
        return total


def run(
    world: World,
    provider: Provider,
    steps: int,
    *,
    budget: Budget | None = None,
    batch_size: int | None = None,
    on_step: Callable[[StepResult], None] | None = None,
) -> RunReport:
    """Advance ``world`` by up to ``steps`` steps. A step is applied whole or not at all: a
    budget or quota stop leaves the world exactly as it was after the last applied step."""
    guard = BudgetGuard(budget, price_for(provider.name, provider.model), world.spent) if budget else None
    report = RunReport()
    for _ in range(steps):
        if world.finished:
            report.stopped = "finished"
            break
        plan = plan_step(world)
        decisions: list[AgentDecision] = []
        try:
            if guard is not None:
                guard.reserve(plan.requests)  # the whole step fits, so every batch of it does
            for batch in plan.batches(batch_size or max(1, len(plan.turns))):
                decisions += gather_decisions(batch, provider, guard=guard)
        except BudgetExhausted as stop:
            report.stopped, report.message = "budget", str(stop)
            break
        except QuotaExceeded as stop:
            report.stopped, report.message = "quota", str(stop)
            break
        except ProviderUnavailable as stop:
            report.stopped, report.message = "unavailable", str(stop)
            break
        result = apply_step(world, plan, decisions)
        report.steps.append(result)
        if on_step is not None:
            on_step(result)
    return report
