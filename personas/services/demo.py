"""The clearly labelled demo panels a new organization sees at once (idempotent)."""

from __future__ import annotations

from django.db import transaction

from personas.models import Panel
from personas.services.synthetic import panel_create_board, panel_create_population
from simnet.tenancy.actors import SYSTEM, Actor

VOTERS_NAME = "Demo: US voters (sampled)"
BOARD_NAME = "Demo: Board of directors"
VOTERS_SIZE = 50
SEED = 7


def ensure_demo_panels(*, organization, actor: Actor = SYSTEM) -> dict[str, Panel]:
    """Create the demo voter and board panels unless the organization has them already (by
    default as ``SYSTEM``, for seeding code; a person asking for them is recorded as their creator)."""
    with transaction.atomic():
        existing = {p.name: p for p in Panel.objects.for_org(organization).filter(is_demo=True)}
        voters = existing.get(VOTERS_NAME) or panel_create_population(
            organization=organization,
            actor=actor,
            name=VOTERS_NAME,
            n=VOTERS_SIZE,
            seed=SEED,
            source="anes96",
            description=f"Demo data: {VOTERS_SIZE} personas sampled from the 1996 American National Election "
            "Study (statsmodels' anes96), with a follow graph in which people tend to follow people like them.",
            is_demo=True,
        )
        board = existing.get(BOARD_NAME) or panel_create_board(
            organization=organization,
            actor=actor,
            name=BOARD_NAME,
            description="Demo data: a seven-person virtual board to rehearse a pitch or a decision.",
            is_demo=True,
        )
    return {"voters": voters, "board": board}
