"""One step of a run, in two halves around the provider call.

``plan_step`` decides who acts and what each one is asked, without changing the world (it works
on a copy of the RNG and hands the advanced RNG state over in the plan). ``apply_step`` installs
that RNG state, shows each agent its feed, applies each decision, publishes the stimuli due
next, advances ``next_step`` and, in a feed, drops the posts no later step can reach (so the
state stays bounded however long the run). Same world + same decisions => same result, wherever and
whenever the halves run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from simnet.llm.base import ZERO_USAGE, Usage
from simulations.engine.actions import ActionResult, Outcome
from simulations.engine.formats import FORMATS, Format
from simulations.engine.moderation import moderation_events
from simulations.engine.turns import AgentDecision, StepPlan, index_decisions, missing_decision
from simulations.engine.world import World, rng_from_state, rng_state

MAX_ERRORS_IN_EVENT = 5
# Formats whose posts a step stops reaching (``World.prune``): a forum's threads and a meeting's
# minutes read every post of the run, so only the feed drops old posts.
PRUNED_FORMATS = frozenset({"feed"})


class StalePlan(ValueError):
    """The plan was made for another step of this world (apply each plan once, in order)."""


@dataclass(frozen=True)
class Event:
    """Something worth streaming to a watching browser; ``data`` is JSON-able."""

    kind: str  # stimulus_published | step_done | agent_errors | meeting
    step: int
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StepResult:
    step: int
    results: tuple[ActionResult, ...]
    events: tuple[Event, ...]
    impressions: tuple[tuple[str, str], ...]  # (agent id, post id) shown this step
    usage: Usage


def plan_step(world: World) -> StepPlan:
    """Who acts at ``world.next_step`` and what each is asked. Does not change ``world``."""
    rng = rng_from_state(rng_state(world.rng))
    step = world.next_step
    turns = FORMATS[world.config.format].plan(world, rng, step) if not world.finished else []
    return StepPlan(step, world.config.format, tuple(turns), rng_state(rng))


def apply_step(world: World, plan: StepPlan, decisions: Sequence[AgentDecision]) -> StepResult:
    """Apply one decision per planned turn (a missing one is recorded as an error) and advance."""
    if plan.step != world.next_step or plan.format != world.config.format:
        raise StalePlan(
            f"plan for step {plan.step} ({plan.format}) but the world is at step {world.next_step}"
        )
    answers = index_decisions(decisions)
    unplanned = set(answers) - set(plan.agent_ids)
    if unplanned:
        raise ValueError(f"decisions for agents not in the plan: {sorted(unplanned)[:5]}")
    world.rng = rng_from_state(plan.rng_state)
    fmt = FORMATS[plan.format]
    results: list[ActionResult] = []
    impressions: list[tuple[str, str]] = []
    usage = ZERO_USAGE
    for turn in plan.turns:
        answer = answers.get(turn.agent_id) or missing_decision(turn.agent_id)
        results.append(fmt.apply(world, turn, answer, plan.step))
        impressions += [(turn.agent_id, post_id) for post_id in turn.feed]
        usage = usage + answer.usage
    world.spent = world.spent + usage
    events = _events(world, plan, results, fmt)
    world.next_step += 1
    events += [
        Event("stimulus_published", world.next_step, {"post_id": post.id, "stimulus_id": post.stimulus_id})
        for post in world.publish_due()
    ]
    if plan.format in PRUNED_FORMATS:
        world.prune(_read_by_caller(impressions, results))
    return StepResult(plan.step, tuple(results), tuple(events), tuple(impressions), usage)


def _read_by_caller(impressions: list[tuple[str, str]], results: list[ActionResult]) -> set[str]:
    """The posts the step's result names (shown, acted on, written): kept until the next step so
    whoever stores the result can still read them."""
    named = {post_id for _, post_id in impressions}
    named.update(p for r in results for p in (r.target_post_id, r.created_post_id) if p)
    return named


def _events(world: World, plan: StepPlan, results: list[ActionResult], fmt: Format) -> list[Event]:
    events: list[Event] = []
    change = fmt.finish(world, results)
    if change is not None:
        events.append(Event("meeting", plan.step, change))
    errors = [r for r in results if r.outcome is Outcome.ERROR]
    if errors:
        sample = [{"agent_id": r.agent_id, "message": r.message} for r in errors[:MAX_ERRORS_IN_EVENT]]
        events.append(Event("agent_errors", plan.step, {"count": len(errors), "sample": sample}))
    events += [Event("moderation", plan.step, data) for data in moderation_events(world, results)]
    counts = Counter(str(r.action) for r in results if r.ok)
    events.append(
        Event(
            "step_done",
            plan.step,
            {
                "active": len(plan.turns),
                "actions": dict(counts),
                "invalid": sum(r.outcome is Outcome.INVALID for r in results),
                "moderated": sum(r.outcome is Outcome.MODERATED for r in results),
                "errors": len(errors),
                "posts": len(world.posts),
            },
        )
    )
    return events
