"""The one bridge between engine state and the ORM.

Reads: a panel becomes a ``PanelSnapshot`` (frozen on the run at start, so later edits of the
panel never change a run); a run's stored state becomes a ``World``.
Writes: ``commit_step`` stores one applied step — world state, actions, posts, counters,
usage, the quality gate's counts, events and ``next_step + 1`` — in one transaction, and only
if this worker still holds the lease and the run is still at that step (compare-and-set). A
stale or duplicated task therefore commits nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from personas.builders.cards import card_samples, card_with_summary
from personas.models import FollowEdge, Panel
from personas.models import Persona as PersonaRow
from personas.services.importer import DEFAULT_CARD_BUDGET
from simnet.llm.quality_gate import HIGH_REJECT_SHARE, gate_share
from simulations.engine.config import ForumConfig, RoundtableConfig, WorldConfig
from simulations.engine.formats import create_world
from simulations.engine.persona import ALL_HOURS, PanelSnapshot
from simulations.engine.persona import Persona as EnginePersona
from simulations.engine.step import StepResult
from simulations.engine.stimuli import Stimulus as EngineStimulus
from simulations.engine.world import World
from simulations.models import Run, RunAction, RunPost, RunSnapshot, Scenario, Stimulus
from simulations.runs.events import append_event

GATE_KEY = "quality_gate"  # in ``Run.state``: the gate's counts so far


class StepAlreadyCommitted(Exception):
    """Another attempt committed this step first (or the lease was lost); nothing was written."""


def engine_card(persona: PersonaRow) -> str:
    """The card the engine reads: the stored deterministic card (else the bio), opened by an
    ``In short:`` line when a language model summarised the persona, within the card's budget
    (the default budget, or the card's own size when it was built bigger)."""
    card = persona.card or persona.bio or f"You are @{persona.handle}."
    budget = max(persona.card_tokens, DEFAULT_CARD_BUDGET)
    return card_with_summary(card, persona.summary, budget)


def panel_snapshot(panel: Panel) -> PanelSnapshot:
    members = panel.memberships.select_related("persona").order_by("persona__handle", "persona_id")
    personas = tuple(
        EnginePersona(
            id=str(m.persona_id),
            handle=m.persona.handle,
            display_name=m.persona.display_name,
            card=engine_card(m.persona),
            samples=card_samples(m.persona.card) if m.persona.origin == PersonaRow.Origin.IMPORTED else (),
            traits=m.persona.traits,
            propensities=m.persona.propensities,
            activity_rate=min(1.0, max(0.0, m.persona.activity_rate)),
            active_hours=frozenset(m.persona.active_hours) or ALL_HOURS,
            interests=m.persona.interests,
            role=m.role,
            is_chair=m.is_chair,
        )
        for m in members
    )
    follows = tuple(
        (str(a), str(b))
        for a, b in FollowEdge.objects.filter(panel=panel).values_list("follower_id", "followee_id")
    )
    return PanelSnapshot(personas=personas, follows=follows)


def world_config(scenario: Scenario, seed: int) -> WorldConfig:
    return WorldConfig(
        seed=seed,
        format=scenario.format,
        minutes_per_step=scenario.minutes_per_step,
        feed_size=scenario.feed_size,
        recommender=scenario.recommender,
        memory_tokens=scenario.memory_tokens,
        roundtable=RoundtableConfig(agenda=tuple(scenario.agenda or ()), steps=scenario.steps),
        forum=forum_config(scenario),
    )


def forum_config(scenario: Scenario) -> ForumConfig:
    """A forum's communities and sort, from the scenario's settings (defaults for other formats)."""
    forum = (scenario.settings or {}).get("forum", {})
    return ForumConfig(communities=tuple(forum.get("communities") or ("general",)), sort=forum.get("sort", "hot"))


def engine_stimulus(stimulus: Stimulus, *, at_step: int | None) -> EngineStimulus:
    if stimulus.author_persona_id:
        author = {"author_id": str(stimulus.author_persona_id)}
    else:
        author = {"author_handle": stimulus.author_handle or "brand"}
    return EngineStimulus(
        id=f"s{stimulus.pk}", text=stimulus.text, at_step=at_step, boost=stimulus.boost, **author
    )


def new_world(run: Run) -> World:
    """The world of a run that has not taken a step yet (scenario stimuli scheduled)."""
    snapshot = PanelSnapshot.from_dict(run.panel_snapshot)
    stimuli = [engine_stimulus(s, at_step=s.step) for s in run.scenario.stimuli.all()]
    return create_world(snapshot, world_config(run.scenario, run.seed), stimuli)


def load_world(run: Run) -> World:
    if not run.state:
        return new_world(run)
    return World.from_state(run.state, panel=PanelSnapshot.from_dict(run.panel_snapshot))


def _touched_post_ids(world: World, result: StepResult) -> set[str]:
    touched = {post_id for _, post_id in result.impressions}
    for action in result.results:
        touched.update(p for p in (action.target_post_id, action.created_post_id) if p)
    touched.update(e.data["post_id"] for e in result.events if e.kind == "stimulus_published")
    # A post injected while the run was paused is published as the step loads: store it even when
    # nobody was online to see it, or the room and the report would never show it.
    touched.update(p.id for p in world.posts.values() if p.stimulus_id and p.step >= result.step)
    return {p for p in touched if p in world.posts}


def _post_fields(world: World, post_id: str) -> dict:
    post = world.posts[post_id]
    return {
        "step": post.step,
        "author_key": post.author_id,
        "author_handle": world.handle_of(post.author_id),
        "persona_id": int(post.author_id) if post.author_id in world.personas else None,
        "kind": str(post.kind),
        "text": post.text,
        "parent_key": post.parent_id or "",
        "root_key": post.root_id or "",
        "is_stimulus": post.is_stimulus,
        "stimulus_key": post.stimulus_id or "",
        "likes": post.likes,
        "reposts": post.reposts,
        "quotes": post.quotes,
        "replies": post.replies,
        "impressions": post.impressions,
        "downvotes": post.downvotes,
        "community": post.community or "",
    }


_COUNTERS = ("likes", "reposts", "quotes", "replies", "impressions", "downvotes")


def _write_posts(run: Run, world: World, post_ids: set[str]) -> tuple[list[dict], list[dict]]:
    """Insert new posts, update counters of known ones; return (new, changed) for events."""
    existing = {p.post_key: p for p in RunPost.objects.filter(run=run, post_key__in=post_ids)}
    created, changed = [], []
    for post_id in sorted(post_ids, key=lambda p: world.posts[p].seq):
        fields = _post_fields(world, post_id)
        row = existing.get(post_id)
        if row is None:
            RunPost.objects.create(organization_id=run.organization_id, run=run, post_key=post_id, **fields)
            created.append({"post_key": post_id, **{k: v for k, v in fields.items() if k != "persona_id"}})
        elif any(getattr(row, c) != fields[c] for c in _COUNTERS):
            for c in _COUNTERS:
                setattr(row, c, fields[c])
            changed.append(row)
    RunPost.objects.filter(run=run).bulk_update(changed, list(_COUNTERS))
    counters = [{"post_key": r.post_key, "community": r.community, **{c: getattr(r, c) for c in _COUNTERS}} for r in changed]
    return created, counters


def _action_rows(run: Run, world: World, result: StepResult) -> list[RunAction]:
    seen: dict[str, list[str]] = defaultdict(list)
    for agent_id, post_id in result.impressions:
        seen[agent_id].append(post_id)
    return [
        RunAction(
            organization_id=run.organization_id,
            run=run,
            step=a.step,
            agent_key=a.agent_id,
            persona_id=int(a.agent_id) if a.agent_id in world.personas else None,
            action=str(a.action),
            target_post_key=a.target_post_id or "",
            target_agent_key=a.target_agent_id or "",
            created_post_key=a.created_post_id or "",
            text=a.text or "",
            reason=a.reason or "",
            outcome=str(a.outcome),
            error=a.message or "",
            input_tokens=a.usage.input_tokens + a.usage.cached_input_tokens + a.usage.cache_write_tokens,
            output_tokens=a.usage.output_tokens,
            cost_usd=Decimal(str(round(a.usage.cost_usd, 6))),
            cached=a.usage.calls == 0 and a.outcome != "error",
            seen=seen.get(a.agent_id, []),
        )
        for a in result.results
    ]


def commit_step(
    run: Run, owner: str, world: World, result: StepResult, *, gate: Mapping[str, Any] | None = None
) -> Run:
    """Store ``result`` (already applied to ``world``) atomically, or raise StepAlreadyCommitted.
    ``gate`` is what the quality gate checked and refused during the step (``GateTally.as_dict``)."""
    usage = result.usage
    state = {
        **world.to_state(include_panel=False),
        GATE_KEY: _added(gate_counts((run.state or {}).get(GATE_KEY)), gate or {}),
    }
    with transaction.atomic():
        advanced = Run.unscoped.filter(pk=run.pk, lease_owner=owner, next_step=result.step).update(
            next_step=world.next_step,
            state=state,
            lease_owner="",  # released with the commit, so the next step's task can claim at once
            lease_expires_at=None,
            input_tokens=F("input_tokens") + usage.input_tokens + usage.cache_write_tokens,
            cached_tokens=F("cached_tokens") + usage.cached_input_tokens,
            output_tokens=F("output_tokens") + usage.output_tokens,
            llm_calls=F("llm_calls") + usage.calls,
            cost_usd=F("cost_usd") + Decimal(str(round(usage.cost_usd, 6))),
        )
        if not advanced:
            raise StepAlreadyCommitted(f"run {run.pk} step {result.step} was committed elsewhere")
        RunSnapshot.objects.create(
            organization_id=run.organization_id, run=run, step=world.next_step, state=state
        )
        RunAction.objects.bulk_create(_action_rows(run, world, result))
        created, changed = _write_posts(run, world, _touched_post_ids(world, result))
        fresh = Run.unscoped.get(pk=run.pk)
        for post in created:
            append_event(fresh, "post", post)
        if changed:
            append_event(fresh, "counters", {"posts": changed})
        for event in result.events:
            append_event(fresh, event.kind, {"step": event.step, **event.data})
        append_event(fresh, "progress", progress_payload(fresh))
    return fresh


def run_gate(run: Run) -> dict[str, Any]:
    """What the quality gate checked and refused in the run's steps so far: counts by reason, the
    refused share, and ``high`` when that share is worth a warning.

    Kept in the run's state (no column needed): a snapshot, hence a fork, carries the counts of the
    steps it shares with its parent. Read by key, so the large state itself is never loaded.
    Interviews are judged by the same gate but leave the run unchanged, so they are not counted
    here: a refused interview answer is that interview's error."""
    stored = Run.unscoped.filter(pk=run.pk).values_list(f"state__{GATE_KEY}", flat=True).first()
    counts = gate_counts(stored)
    share = gate_share(counts["rejected"], counts["checked"])
    return {**counts, "share": round(share, 4), "high": share > HIGH_REJECT_SHARE}


def gate_counts(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    stored = stored or {}
    return {
        "checked": int(stored.get("checked", 0)),
        "rejected": int(stored.get("rejected", 0)),
        "by_reason": {str(k): int(v) for k, v in (stored.get("by_reason") or {}).items()},
    }


def _added(total: Mapping[str, Any], step: Mapping[str, Any]) -> dict[str, Any]:
    reasons = Counter(total.get("by_reason", {})) + Counter(step.get("by_reason", {}))
    return {
        "checked": total.get("checked", 0) + step.get("checked", 0),
        "rejected": total.get("rejected", 0) + step.get("rejected", 0),
        "by_reason": dict(reasons),
    }


def progress_payload(run: Run) -> dict:
    return {
        "status": run.status,
        "next_step": run.next_step,
        "total_steps": run.total_steps,
        "input_tokens": run.input_tokens + run.cached_tokens,
        "output_tokens": run.output_tokens,
        "cost_usd": float(run.cost_usd),
        "budget_usd": float(run.budget_usd) if run.budget_usd is not None else None,
        "actions": RunAction.objects.filter(run=run).exclude(action="ignore").count(),
    }
