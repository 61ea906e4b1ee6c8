"""Imported panels built from the generated demo history (real words, known causes), through the
real importer, small enough for a test."""

from __future__ import annotations

from personas.builders.demo_history import brand_account, thread_community
from personas.builders.public_texts import rated_tweets


def import_panel(organization, bundles, name: str = "Generated panel"):
    from django.db import transaction

    from personas.models import Panel
    from personas.services import importer

    with transaction.atomic():
        panel = Panel.objects.create(organization=organization, name=name, kind=Panel.Kind.IMPORTED)
        batch = importer.batch_open(organization=organization)
        importer.batch_publish(batch=batch, staged=importer.bundles_stage(batch=batch, bundles=bundles), panel=panel)
    return panel


def community_panel(organization, *, personas: int = 30, threads: int = 25, seed: int = 5):
    return import_panel(
        organization, thread_community(rated_tweets(), seed=seed, personas=personas, threads=threads), "Community"
    )


def brand_panel(organization, *, posts: int = 400, seed: int = 5):
    return import_panel(organization, [brand_account(rated_tweets(), seed=seed, posts=posts)], "Brand")
