"""The one bridge between engine state and the ORM.

Reads: a panel becomes a ``PanelSnapshot`` (frozen on the run at start, so later edits of the
panel never change a run). The world between steps is ``runs/worlds.py``'s.
Writes: ``commit_step`` stores one applied step — the step's decisions (a delta), a full world
snapshot every ``SIMNET_SNAPSHOT_EVERY`` steps and at the end, actions, posts, counters, usage,
the quality gate's counts, events and ``next_step + 1`` — in one transaction, and only if this
worker still holds the lease and the run is still at that step (compare-and-set). A stale or
duplicated task therefore commits nothing. The full world is not written every step: encoding it
cost a third of a large step, and the worker keeps it in memory for the next one.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from personas.builders.cards import card_samples, card_with_summary
from personas.models import FollowEdge, Panel
from personas.models import Persona as PersonaRow
from personas.services.importer import DEFAULT_CARD_BUDGET
from simnet.llm.quality_gate import HIGH_REJECT_SHARE, gate_share
from simulations.engine.persona import ALL_HOURS, PanelSnapshot
from simulations.engine.persona import Persona as EnginePersona
from simulations.engine.step import StepResult
from simulations.engine.turns import AgentDecision
from simulations.engine.world import World
from simulations.models import Run, RunAction, RunPost, RunSnapshot, RunStep
from simulations.runs import bulk_copy, stance_readings, worlds
from simulations.runs.events import append_events

GATE_KEY = "quality_gate"  # in a ``RunSnapshot``'s state: the gate's counts up to that step


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


QUERY_CHUNK = 900  # ids per query: under every database's limit on bound parameters
_COUNTERS = ("likes", "reposts", "quotes", "replies", "impressions", "downvotes")


def _write_posts(run: Run, world: World, post_ids: set[str]) -> tuple[list[dict], list[dict]]:
    """Insert new posts, update counters of known ones; return (new, changed) for events."""
    keys = sorted(post_ids, key=lambda p: world.posts[p].seq)
    stored: dict[str, list] = {}  # post key -> [id, community, *counters]: only what is compared
    for chunk in _chunks(keys, QUERY_CHUNK):
        found = RunPost.objects.filter(run=run, post_key__in=chunk).values_list(
            "post_key", "pk", "community", *_COUNTERS
        )
        stored.update((key, rest) for key, *rest in found)
    new_rows, created, changed = [], [], []
    for post_id in keys:
        fields = _post_fields(world, post_id)
        row = stored.get(post_id)
        if row is None:
            new_rows.append(
                {"organization_id": run.organization_id, "run_id": run.pk, "post_key": post_id, **fields}
            )
            created.append({"post_key": post_id, **{k: v for k, v in fields.items() if k != "persona_id"}})
        elif row[2:] != [fields[c] for c in _COUNTERS]:
            changed.append(
                (row[0], {"post_key": post_id, "community": row[1], **{c: fields[c] for c in _COUNTERS}})
            )
    bulk_copy.insert(RunPost, new_rows)
    _update_counters(changed)
    return created, [counters for _, counters in changed]


def _update_counters(changed: list[tuple[int, dict]]) -> None:
    """Write the counters of the changed posts ((id, counters) pairs) in one statement on
    PostgreSQL, one prepared UPDATE executed for each on SQLite: ``bulk_update``'s CASE expressions
    cost more than the step itself once thousands of posts change."""
    if not changed:
        return
    quote = connection.ops.quote_name
    table = quote(RunPost._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(quote(c) for c in _COUNTERS)
            arrays = ", ".join(["%s::bigint[]"] + ["%s::integer[]"] * len(_COUNTERS))
            cursor.execute(
                f"UPDATE {table} AS post SET ({columns}) = ({', '.join(f'v.{quote(c)}' for c in _COUNTERS)}) "
                f"FROM unnest({arrays}) AS v(id, {columns}) WHERE post.id = v.id",
                [_int_array(pk for pk, _ in changed)]
                + [_int_array(row[c] for _, row in changed) for c in _COUNTERS],
            )
            return
        columns = ", ".join(f"{quote(c)} = %s" for c in _COUNTERS)
        cursor.executemany(
            f"UPDATE {table} SET {columns} WHERE id = %s",  # the rows were read for this run just now
            [[row[c] for c in _COUNTERS] + [pk] for pk, row in changed],
        )


def _int_array(values) -> str:
    """A PostgreSQL integer array literal: one parameter for thousands of values, quoted as one
    string (``int`` leaves nothing but digits and signs in it)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _action_rows(run: Run, world: World, result: StepResult) -> list[dict[str, Any]]:
    """The step's ``RunAction`` rows as ``bulk_copy`` takes them."""
    seen: dict[str, list[str]] = defaultdict(list)
    for agent_id, post_id in result.impressions:
        seen[agent_id].append(post_id)
    return [
        {
            "organization_id": run.organization_id,
            "run_id": run.pk,
            "step": a.step,
            "agent_key": a.agent_id,
            "persona_id": int(a.agent_id) if a.agent_id in world.personas else None,
            "action": str(a.action),
            "target_post_key": a.target_post_id or "",
            "target_agent_key": a.target_agent_id or "",
            "created_post_key": a.created_post_id or "",
            "text": a.text or "",
            "reason": a.reason or "",
            "outcome": str(a.outcome),
            "error": a.message or "",
            "input_tokens": a.usage.input_tokens + a.usage.cached_input_tokens + a.usage.cache_write_tokens,
            "output_tokens": a.usage.output_tokens,
            "cost_usd": Decimal(str(round(a.usage.cost_usd, 6))),
            "cached": a.usage.calls == 0 and a.outcome != "error",
            "seen": seen.get(a.agent_id, []),
        }
        for a in result.results
    ]


@contextmanager
def _collections_paused() -> Iterator[None]:
    """No garbage collection while a step is written. The rows and the snapshot's dicts are
    hundreds of thousands of short-lived objects without cycles, which reference counting frees
    once written; a full collection among them walks the whole world (about 0.4 s at 5,000
    personas) and frees nothing."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def commit_step(
    run: Run,
    owner: str,
    world: World,
    result: StepResult,
    decisions: Sequence[AgentDecision],
    *,
    gate: Mapping[str, Any] | None = None,
) -> Run:
    """Store ``result`` (already applied to ``world`` from ``decisions``) atomically, or raise
    StepAlreadyCommitted. ``gate`` is what the quality gate checked and refused during the step
    (``GateTally.as_dict``). Once committed, the world stays in this worker's memory for the
    run's next step."""
    usage = result.usage
    step_gate = gate_counts(gate)
    gate_total = _added(gate_counts(run.quality_gate), step_gate)
    with _collections_paused(), transaction.atomic():
        bulk_copy.compress_fast()
        advanced = Run.unscoped.filter(pk=run.pk, lease_owner=owner, next_step=result.step).update(
            next_step=world.next_step,
            quality_gate=gate_total,
            status_reason="",  # a running run's reason said what it waited for (a provider's batch)
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
        tenant = {"organization_id": run.organization_id, "run_id": run.pk}
        delta = {"step": result.step, "decisions": [d.to_dict() for d in decisions], "gate": step_gate}
        bulk_copy.insert(RunStep, [{**tenant, **delta}])
        if worlds.needs_snapshot(world, run.total_steps):
            state = {**world.to_state(include_panel=False), GATE_KEY: gate_total}
            bulk_copy.insert(RunSnapshot, [{**tenant, "step": world.next_step, "state": state}])
        bulk_copy.insert(RunAction, _action_rows(run, world, result))
        stance_readings.record_poll_decisions(run, result.step, decisions)
        created, changed = _write_posts(run, world, _touched_post_ids(world, result))
        fresh = Run.unscoped.get(pk=run.pk)
        events = [("post", post) for post in created]
        if changed:
            events.append(("counters", {"posts": changed}))
        events += [(event.kind, {"step": event.step, **event.data}) for event in result.events]
        events.append(("progress", progress_payload(fresh)))
        append_events(fresh, events)
    worlds.keep(run.pk, world)
    return fresh


def run_gate(run: Run) -> dict[str, Any]:
    """What the quality gate checked and refused in the run's steps so far: counts by reason, the
    refused share, and ``high`` when that share is worth a warning.

    A fork starts from the counts of the steps it shares with its parent. Interviews are judged
    by the same gate but leave the run unchanged, so they are not counted here: a refused
    interview answer is that interview's error."""
    stored = Run.unscoped.filter(pk=run.pk).values_list("quality_gate", flat=True).first()
    counts = gate_counts(stored)
    share = gate_share(counts["rejected"], counts["checked"])
    return {**counts, "share": round(share, 4), "high": share > HIGH_REJECT_SHARE}


def gate_before(run: Run, step: int) -> dict[str, Any]:
    """The gate's counts over ``run``'s steps before ``step`` (what a fork at ``step`` inherits):
    the nearest snapshot's counts plus those of the steps stored since."""
    nearest = (
        RunSnapshot.objects.filter(run=run, step__lte=step)
        .order_by("-step")
        .values_list("step", f"state__{GATE_KEY}")
        .first()
    )
    since, counts = nearest if nearest else (0, None)
    total = gate_counts(counts)
    for step_gate in RunStep.objects.filter(run=run, step__gte=since, step__lt=step).values_list(
        "gate", flat=True
    ):
        total = _added(total, gate_counts(step_gate))
    return total


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
