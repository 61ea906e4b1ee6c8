"""A hybrid crowd at scale: the engine's plan and apply, with the cheap policy deciding for all.

The rule policy decides every agent (as in a crowd whose panel has no history to learn from yet),
an instant writer stands for the language model and writes the words the budget allows, and the
figures are the engine's and the policy's share of a product step: seconds per step (planning,
deciding, applying), model calls per step, posts kept, the state's size, and the process's peak
resident memory. ``python -m bench.crowd_bench --agents 100000 --steps 4``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from simnet.llm.base import LLMRequest, LLMResponse, Usage
from simulations.engine import (
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
)
from simulations.engine.stimuli import Stimulus
from simulations.learning.hybrid import HybridProvider
from simulations.learning.words_budget import WordsBudget

AD = Stimulus(
    "ad",
    "FizzCola zero: the same taste, no sugar. Try it this week.",
    at_step=1,
    author_handle="FizzCola",
    boost=0.2,
)
SENTENCES = (
    "Honestly I did not expect that, but it makes sense to me.",
    "Not sure about this one, the price still looks too high.",
    "My neighbour tried it last week and she keeps talking about it.",
)


class InstantWriter:
    """Stands for the language model: answers at once, one call per text, with token counts."""

    name, model = "writer", "instant-1"

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        self.calls += len(requests)
        return [
            LLMResponse(
                r.key, SENTENCES[r.seed % len(SENTENCES)], usage=Usage(input_tokens=120, output_tokens=20)
            )
            for r in requests
        ]


@dataclass(frozen=True)
class CrowdStep:
    step: int
    agents_deciding: int
    plan_s: float
    decide_s: float
    apply_s: float
    model_calls: int
    posts_kept: int

    @property
    def seconds(self) -> float:
        return self.plan_s + self.decide_s + self.apply_s


def crowd_world(agents: int, seed: int = 1) -> World:
    return create_world(demo_panel(agents, seed=seed), WorldConfig(seed=seed), [AD])


def crowd_step(world: World, budget: WordsBudget) -> CrowdStep:
    """One step as a worker takes it: plan, the policy decides the whole step, apply."""
    writer = InstantWriter()
    started = time.perf_counter()
    plan = plan_step(world)
    planned = time.perf_counter()
    policy = HybridProvider(None, writer, budget=budget)
    policy.plan_words(plan.requests)
    decisions = gather_decisions(plan.turns, policy)
    decided = time.perf_counter()
    apply_step(world, plan, decisions)
    applied = time.perf_counter()
    return CrowdStep(
        plan.step,
        len(plan.turns),
        planned - started,
        decided - planned,
        applied - decided,
        writer.calls,
        len(world.posts),
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(agents: int, steps: int, budget: WordsBudget) -> dict:
    started = time.perf_counter()
    world = crowd_world(agents)
    built = time.perf_counter() - started
    timed = [crowd_step(world, budget) for _ in range(steps)]
    started = time.perf_counter()
    state = json.dumps(world.to_state(include_panel=False))
    return {
        "agents": agents,
        "build_s": round(built, 2),
        "steps": [{**asdict(s), "seconds": round(s.seconds, 2)} for s in timed],
        "mean_step_s": round(sum(s.seconds for s in timed) / len(timed), 2),
        "max_step_s": round(max(s.seconds for s in timed), 2),
        "state_mb": round(len(state) / 1e6, 1),
        "state_save_s": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--max-calls", type=int, default=500, help="model-written texts per step")
    args = parser.parse_args()
    print(json.dumps(measure(args.agents, args.steps, WordsBudget(max_calls=args.max_calls)), indent=1))


if __name__ == "__main__":
    main()
