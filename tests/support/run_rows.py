"""Runs as database rows, shaped like what ``persistence.commit_step`` writes.

``store_fixture`` turns a pure run fixture (``tests.support.peloton.build_run``) into RunPost,
RunAction and RunEvent rows: persona ids become the personas' primary keys, the stimulus is
seen by every persona once per step (kept as the post's impression counter and, step by step,
in "counters" and "step_done" events, as the real run writer records them).
"""

from __future__ import annotations

import random
from collections import Counter

from personas.models import Panel, PanelMember, Persona
from simulations.models import Run, RunAction, RunEvent, RunPanel, RunPost, Scenario
from simulations.runs import persistence
from tests.support import peloton
from tests.support.peloton import RunFixture


def make_panel(
    organization, size: int = 40, name: str = "Holiday audience"
) -> tuple[Panel, dict[str, Persona]]:
    """The Peloton fixture's panel as personas: fixture id ("p00") -> Persona."""
    panel = Panel.objects.create(organization=organization, name=name)
    personas = {}
    for record in peloton.panel(size):
        persona = Persona.objects.create(
            organization=organization,
            handle=record.handle,
            traits=dict(record.traits),
            card=f"You are @{record.handle}.",
            activity_rate=1.0,
        )
        PanelMember.objects.create(organization=organization, panel=panel, persona=persona)
        personas[record.persona_id] = persona
    return panel, personas


def _event(run: Run, seq: int, kind: str, payload: dict) -> RunEvent:
    return RunEvent(organization_id=run.organization_id, run=run, seq=seq, kind=kind, payload=payload)


def store_fixture(
    fixture: RunFixture,
    scenario: Scenario,
    personas: dict[str, Persona],
    *,
    seed: int = 1,
    variant: str = "",
    experiment=None,
    status: str = "completed",
    reproducibility: dict | None = None,
) -> Run:
    steps = max([*(a.step for a in fixture.actions), *(i.step for i in fixture.impressions)]) + 1
    run = Run.objects.create(
        organization=scenario.organization, scenario=scenario, seed=seed, status=status, total_steps=steps,
        next_step=steps, variant=variant, experiment=experiment, reproducibility=reproducibility or {},
    )  # fmt: skip
    RunPanel.objects.create(
        organization=run.organization, run=run, data=persistence.panel_snapshot(scenario.panel).to_dict()
    )

    def key(persona_id: str) -> str:
        return str(personas[persona_id].pk) if persona_id in personas else persona_id

    seen = Counter()
    for impression in fixture.impressions:
        seen[impression.post_id] += impression.count
    RunPost.objects.bulk_create(
        RunPost(
            organization_id=run.organization_id,
            run=run,
            post_key=p.post_id,
            step=p.step,
            author_key=key(p.author_id),
            author_handle=personas[p.author_id].handle if p.author_id in personas else p.author_id,
            persona=personas.get(p.author_id),
            kind=str(p.kind),
            text=p.text,
            parent_key=p.parent_id or "",
            root_key=p.root_id or "",
            is_stimulus=p.is_stimulus,
            stimulus_key=p.stimulus_id or "",
            impressions=seen[p.post_id],
        )
        for p in fixture.posts
    )
    RunAction.objects.bulk_create(
        RunAction(
            organization_id=run.organization_id,
            run=run,
            step=a.step,
            agent_key=key(a.persona_id),
            persona=personas.get(a.persona_id),
            action=str(a.action),
            target_post_key=a.target_post_id or "",
            created_post_key=a.created_post_id or "",
            text=a.text,
            outcome=a.outcome,
            target_agent_key=key(a.target_persona_id) if a.target_persona_id else "",
        )
        for a in fixture.actions
    )
    written, cumulative = [], Counter()
    for step in range(steps):
        for impression in (i for i in fixture.impressions if i.step == step):
            cumulative[impression.post_id] += impression.count
        counters = [{"post_key": post, "impressions": n} for post, n in sorted(cumulative.items())]
        written += [("counters", {"posts": counters}), ("step_done", {"step": step})]
    events = [_event(run, seq, kind, payload) for seq, (kind, payload) in enumerate(written, start=1)]
    RunEvent.objects.bulk_create(events)
    Run.objects.filter(organization=run.organization, pk=run.pk).update(last_event_seq=len(events))
    return run


def replicate_fixture(variant: str, seed: int, negative_rate: float) -> RunFixture:
    """One replicate of an ad: 10-16 replies, each critical with probability ``negative_rate``."""
    rng = random.Random(f"{variant}-{seed}")
    replies = [
        rng.choice(peloton.ACCUSATIONS)
        if rng.random() < negative_rate
        else rng.choice(peloton.SELF_GIFT_REPLIES[:7])
        for _ in range(rng.randint(10, 16))
    ]
    quotes = [rng.choice(peloton.JOKES) for _ in range(rng.randint(0, 3))]
    return peloton.build_run(
        peloton.AD_TEXT if variant == "A" else peloton.SELF_GIFT_TEXT,
        replies=replies,
        quotes=quotes,
        reposts=rng.randint(1, 6),
        likes_on_stimulus=rng.randint(2, 8),
        variant=variant,
    )
