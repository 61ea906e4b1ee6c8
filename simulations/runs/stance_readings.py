"""Stance readings of a run: stored from a deliberation's polls at commit, or polled at checkpoints.

A deliberation asks its polls as turns of the run, so their answers arrive with the step's
decisions and are stored with the step (``record_poll_decisions``, one call in
``persistence.commit_step``). Any other run whose scenario sets ``settings["stance_polls"]``
(``{"question", "every", "agree_side"}``) is polled afterwards, on demand: the world is rebuilt
before step 0, every ``every`` steps and at the end (``worlds.world_before``), and each persona
answers the same short poll. A poll changes nothing in the world, so asking it later reads the
same state the agents were in; the answers are not part of their memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from simnet.llm.base import ZERO_USAGE, Provider
from simnet.llm.registry import build_provider
from simnet.providers.build import provider_for
from simulations.engine.deliberation import poll_answer_of
from simulations.engine.parsing import payload_of
from simulations.engine.stance import StanceQuestion, parse_poll, poll_request
from simulations.engine.turns import AgentDecision
from simulations.models import Policy, Run, StanceReading
from simulations.runs import worlds
from simulations.runs.charges import charge_run

MAX_CHECKPOINTS = 50


class StancePollError(ValueError):
    """The run cannot be polled as asked (no question, not started, too many checkpoints)."""


@dataclass(frozen=True)
class PollSettings:
    question: StanceQuestion
    every: int


def source_of(run: Run) -> str:
    return StanceReading.Source.RULE if run.policy == Policy.RULES else StanceReading.Source.MODEL


def _persona_id(agent_key: str) -> int | None:
    return int(agent_key) if agent_key.isdigit() else None


def record_poll_decisions(run: Run, step: int, decisions: Sequence[AgentDecision]) -> int:
    """Store the poll answers among a committed step's decisions (a deliberation's polls)."""
    rows = []
    for decision in decisions:
        answer = poll_answer_of(decision.decision) if decision.decision else None
        if answer is None:
            continue
        rows.append(
            StanceReading(
                organization_id=run.organization_id, run=run, step=step, agent_key=decision.agent_id,
                persona_id=_persona_id(decision.agent_id), value=answer.stance, source=source_of(run),
                kind="poll" if step == 0 else "repoll", text=answer.sentence,
            )
        )  # fmt: skip
    StanceReading.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def poll_settings(settings: Mapping[str, Any] | None) -> PollSettings | None:
    """The scenario's stance polls, or None when it asks for none; raises on a malformed setting."""
    raw = (settings or {}).get("stance_polls")
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise StancePollError('stance_polls must be an object: {"question": ..., "every": k}')
    every = raw.get("every", 1)
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise StancePollError("stance_polls.every must be a whole number of steps, at least 1")
    try:
        question = StanceQuestion(str(raw.get("question") or ""), str(raw.get("agree_side") or "left"))
    except ValueError as problem:
        raise StancePollError(f"stance_polls: {problem}") from problem
    return PollSettings(question, every)


def checkpoints(total: int, every: int) -> list[int]:
    """Start, every ``every`` steps, and the end: the steps before which stance is read."""
    steps = sorted({0, *range(every, total, every), total})
    if len(steps) > MAX_CHECKPOINTS:
        raise StancePollError(f"{len(steps)} checkpoints is more than {MAX_CHECKPOINTS}; poll less often")
    return steps


def poll_provider(run: Run) -> Provider:
    """Who answers: the rule policy for a rules run, else the scenario's model (a hybrid's writer)."""
    if run.policy == Policy.RULES:
        return build_provider("baseline")
    return provider_for(run.scenario.provider, organization_id=run.organization_id)


def poll_run(run: Run, *, provider: Provider | None = None) -> dict[str, int]:
    """Read every persona's stance at each checkpoint not read yet; returns counts (stored, failed)."""
    settings = poll_settings(run.scenario.settings)
    if settings is None:
        raise StancePollError("the scenario sets no stance_polls question")
    if run.next_step == 0:
        raise StancePollError("the run has taken no step yet")
    provider = provider or poll_provider(run)
    done = set(StanceReading.objects.filter(run=run).values_list("step", flat=True))
    stored = failed = 0
    for step in checkpoints(run.next_step, settings.every):
        if step in done:
            continue
        world = worlds.world_before(run, step)
        requests = [poll_request(world, pid, settings.question) for pid in world.personas]
        rows, paid = [], ZERO_USAGE
        for request, response in zip(requests, provider.generate(requests), strict=True):
            paid += response.usage
            payload = payload_of(response.data, response.text)
            answer = parse_poll(payload) if payload is not None else "no answer"
            if isinstance(answer, str):
                failed += 1
                continue
            agent_key = request.situation.agent_id if request.situation else request.key
            rows.append(
                StanceReading(
                    organization_id=run.organization_id, run=run, step=step, agent_key=agent_key,
                    persona_id=_persona_id(agent_key), value=answer.stance, source=source_of(run),
                    kind="checkpoint", text=answer.sentence,
                )
            )  # fmt: skip
        with transaction.atomic():
            StanceReading.objects.bulk_create(rows, ignore_conflicts=True)
            charge_run(run, paid)  # a hosted model's polls count in the month's spend
        stored += len(rows)
    return {"stored": stored, "failed": failed}
