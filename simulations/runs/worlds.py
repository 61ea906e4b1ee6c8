"""Where a run's world lives between steps.

A committed step stores its decisions (``RunStep``, a delta) and, every ``SIMNET_SNAPSHOT_EVERY``
steps and at the end, the full world (``RunSnapshot``): same world + same decisions => same world
(``simulations.engine.step``), so the nearest snapshot and the decisions since rebuild the world
before any step (``world_before``). Encoding the whole world every step cost a third of a large
step; instead the worker keeps the world it committed in memory (``keep``) and the run's next
step, which the same task usually takes (``stepper``), takes it back (``take``). A world is kept
under the step it is before, only as committed or with nothing but the run's live posts injected
(injecting again adds nothing), and taking it removes it, so a task that fails half-way never
leaves a changed world behind. The panel frozen at start is in ``RunPanel``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings

from simulations.engine.config import ForumConfig, RoundtableConfig, WorldConfig
from simulations.engine.formats import create_world
from simulations.engine.persona import PanelSnapshot
from simulations.engine.step import apply_step, plan_step
from simulations.engine.stimuli import Stimulus as EngineStimulus
from simulations.engine.turns import AgentDecision
from simulations.engine.world import World
from simulations.models import Run, RunPanel, RunSnapshot, RunStep, Scenario, Stimulus
from simulations.runs import media
from simulations.runs.deliberation_settings import deliberation_config
from simulations.runs.moderation_settings import scenario_policy

KEPT_WORLDS = 2  # per worker process: a world of 100,000 personas is a few hundred MB

_kept: OrderedDict[int, tuple[int, World]] = OrderedDict()
_kept_lock = threading.Lock()


class NotRebuildable(ValueError):
    """The run's stored snapshots and decisions do not reach back to the step asked for."""


def snapshot_every() -> int:
    return max(1, settings.SIMNET_SNAPSHOT_EVERY)


def world_config(scenario: Scenario, seed: int, *, vision: bool = False) -> WorldConfig:
    """``vision``: the run's model is shown stimulus pictures (``media.run_vision``)."""
    return WorldConfig(
        vision=vision,
        seed=seed,
        format=scenario.format,
        minutes_per_step=scenario.minutes_per_step,
        feed_size=scenario.feed_size,
        recommender=scenario.recommender,
        memory_tokens=scenario.memory_tokens,
        roundtable=RoundtableConfig(agenda=tuple(scenario.agenda or ()), steps=scenario.steps),
        forum=forum_config(scenario),
        moderation=scenario_policy(scenario.settings),
        deliberation=deliberation_config(scenario),
    )


def forum_config(scenario: Scenario) -> ForumConfig:
    """A forum's communities and sort, from the scenario's settings (defaults for other formats)."""
    forum = (scenario.settings or {}).get("forum", {})
    return ForumConfig(
        communities=tuple(forum.get("communities") or ("general",)), sort=forum.get("sort", "hot")
    )


def engine_stimulus(stimulus: Stimulus, *, at_step: int | None) -> EngineStimulus:
    if stimulus.author_persona_id:
        author = {"author_id": str(stimulus.author_persona_id)}
    else:
        author = {"author_handle": stimulus.author_handle or "brand"}
    return EngineStimulus(
        id=f"s{stimulus.pk}", text=stimulus.text, at_step=at_step, boost=stimulus.boost,
        alt_text=stimulus.alt_text, images=media.image_refs(stimulus), **author,
    )  # fmt: skip


def panel_data(run: Run) -> dict[str, Any]:
    """The panel frozen on the run at start (personas and follows), as stored."""
    stored = RunPanel.unscoped.filter(run_id=run.pk).values_list("data", flat=True).first()
    return stored or {}


def run_personas(run: Run) -> list[dict[str, Any]]:
    """The run's personas as stored (id, handle, card...): what the room and the API list."""
    return panel_data(run).get("personas", [])


def new_world(run: Run, panel: PanelSnapshot | None = None) -> World:
    """The world of a run that has not taken a step yet (scenario stimuli scheduled)."""
    panel = panel if panel is not None else PanelSnapshot.from_dict(panel_data(run))
    stimuli = [
        engine_stimulus(s, at_step=s.step)
        for s in run.scenario.stimuli.prefetch_related(media.keyframes_prefetch(run.organization_id))
    ]
    world = create_world(panel, world_config(run.scenario, run.seed, vision=media.run_vision(run)), stimuli)
    world.load_image = media.image_loader(run.organization_id)
    return world


def load_world(run: Run) -> World:
    """The run's world before its next step, rebuilt from what is stored (never the kept copy,
    which only the stepper may change)."""
    return world_before(run, run.next_step)


def take(run: Run) -> World:
    """The world for the stepper to change: the copy this worker kept when it committed the run's
    previous step, else the stored one."""
    with _kept_lock:
        kept = _kept.pop(run.pk, None)
    if kept is not None and kept[0] == run.next_step:
        return kept[1]
    return load_world(run)


def keep(run_id: int, world: World) -> None:
    """Remember a world for this worker's next task on the run: as committed, or as loaded with
    the live posts injected (a step's shards plan from it without changing it)."""
    with _kept_lock:
        _kept[run_id] = (world.next_step, world)
        _kept.move_to_end(run_id)
        while len(_kept) > KEPT_WORLDS:
            _kept.popitem(last=False)


def forget(run_id: int) -> None:
    with _kept_lock:
        _kept.pop(run_id, None)


def needs_snapshot(world: World, total_steps: int) -> bool:
    """A full snapshot every few steps and at the end, so a rebuild replays few steps; every step
    for a meeting (a few members: small), whose live transcript reads the saved meeting."""
    return (
        world.next_step % snapshot_every() == 0
        or world.next_step >= total_steps
        or world.finished
        or world.config.format == "roundtable"
    )


def inject_live_stimuli(run: Run, world: World, *, up_to_step: int | None = None) -> None:
    """Add the stimuli injected into the run while it ran (``up_to_step``: only those due by then)."""
    known = {p.stimulus_id for p in world.posts.values() if p.stimulus_id} | {s.id for s in world.pending}
    live = Stimulus.objects.filter(run=run).order_by("pk")
    if up_to_step is not None:
        live = live.filter(step__lte=up_to_step)
    for stimulus in live:
        if f"s{stimulus.pk}" not in known:
            world.inject(engine_stimulus(stimulus, at_step=stimulus.step))  # the promised step


def world_before(run: Run, step: int) -> World:
    """The world before ``step`` of ``run``: the nearest full snapshot at or before ``step``, then
    the stored decisions of the steps in between, applied again."""
    panel = PanelSnapshot.from_dict(panel_data(run))
    snapshot = RunSnapshot.objects.filter(run=run, step__lte=step).order_by("-step").first()
    if snapshot is not None and snapshot.state:
        world = World.from_state(snapshot.state, panel=panel)
        world.load_image = media.image_loader(run.organization_id)
    elif run.fork_step:  # a fork's past before its own first snapshot belongs to its parent
        raise NotRebuildable(f"Run #{run.pk} starts at step {run.fork_step}")
    else:
        world = new_world(run, panel)
    deltas = RunStep.objects.filter(run=run, step__gte=world.next_step, step__lt=step).order_by("step")
    for delta in deltas:
        if delta.step != world.next_step:
            break
        inject_live_stimuli(run, world, up_to_step=delta.step)
        apply_step(world, plan_step(world), [AgentDecision.from_dict(d) for d in delta.decisions])
    if world.next_step != step:
        raise NotRebuildable(f"Run #{run.pk} has no stored decisions for step {world.next_step}")
    return world
