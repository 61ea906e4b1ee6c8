"""The clearly labelled demo panels a new organization sees at once (idempotent)."""

from __future__ import annotations

from django.db import transaction

from .boards import board_card, default_board
from .graphs import synthetic_follow_graph
from .models import FollowEdge, Panel, PanelMember, Persona
from .sampling import sample_population, sampled_card

VOTERS_NAME = "Demo: US voters (sampled)"
BOARD_NAME = "Demo: Board of directors"
VOTERS_SIZE = 50
SEED = 7


def _voters_panel(organization, user) -> Panel:
    panel = Panel.objects.create(
        organization=organization, name=VOTERS_NAME, kind=Panel.Kind.POPULATION, is_demo=True, created_by=user,
        description=f"{VOTERS_SIZE} personas sampled from the 1996 American National Election Study "
        "(statsmodels' anes96), with a follow graph that prefers people alike (demo data).",
        settings={"source": "anes96", "n": VOTERS_SIZE, "seed": SEED},
    )
    sampled = sample_population(VOTERS_SIZE, source="anes96", seed=SEED)
    rows = {}
    for person in sampled:
        card = sampled_card(person)
        rows[person.persona_id] = Persona.objects.create(
            organization=organization, handle=person.handle, display_name=person.name,
            origin=Persona.Origin.SAMPLED, sampler={"source": person.source, "respondent": person.respondent_id,
                                                    "seed": SEED},
            traits=person.traits, propensities=person.propensities, activity_rate=person.activity_rate,
            active_hours=list(person.active_hours), interests=", ".join(person.interests), card=card.text,
            card_tokens=card.tokens,
        )
        PanelMember.objects.create(organization=organization, panel=panel, persona=rows[person.persona_id])
    FollowEdge.objects.bulk_create(
        FollowEdge(organization=organization, panel=panel, follower=rows[a], followee=rows[b])
        for a, b in synthetic_follow_graph(sampled, seed=SEED)
    )
    return panel


def _board_panel(organization, user) -> Panel:
    panel = Panel.objects.create(
        organization=organization, name=BOARD_NAME, kind=Panel.Kind.BOARD, is_demo=True, created_by=user,
        description="A seven-person virtual board to rehearse a pitch or a decision (demo data).",
    )
    for member in default_board():
        card = board_card(member)
        persona = Persona.objects.create(
            organization=organization, handle=member.name.lower().replace(" ", "_"), display_name=member.name,
            origin=Persona.Origin.BOARD, bio=member.background, card=card.text, card_tokens=card.tokens,
            traits={"role": member.role, "priorities": list(member.priorities), "objections": list(member.objections)},
            propensities={"reply": 0.5, "post": 0.1}, activity_rate=1.0,
            interests=", ".join(member.priorities),
        )
        PanelMember.objects.create(organization=organization, panel=panel, persona=persona, role=member.role,
                                   is_chair=member.is_chair)
    return panel


def ensure_demo_panels(*, organization, user=None) -> dict[str, Panel]:
    """Create the demo voter and board panels unless the organization has them already."""
    with transaction.atomic():
        existing = {p.name: p for p in Panel.objects.for_org(organization).filter(is_demo=True)}
        voters = existing.get(VOTERS_NAME) or _voters_panel(organization, user)
        board = existing.get(BOARD_NAME) or _board_panel(organization, user)
    return {"voters": voters, "board": board}
