"""`manage.py seed_demo` gives a new user something to run at once, and can be run again."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from personas.models import Panel
from simnet.tenancy.models import Membership, User
from simulations.models import Scenario

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_labels_demo_data(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert "demo@simnet.localhost" in capsys.readouterr().out
    user = User.objects.get(email="demo@simnet.localhost")
    org = Membership.objects.get(user=user).organization
    panels = {p.name: p for p in Panel.objects.for_org(org)}
    assert set(panels) == {
        "Demo: US voters (sampled)", "Demo: Board of directors",
        "Demo: Community threads (generated)", "Demo: Brand account (generated)",
    }  # fmt: skip
    assert all(p.is_demo for p in panels.values())
    assert panels["Demo: US voters (sampled)"].memberships.count() == 50
    board = panels["Demo: Board of directors"].memberships
    assert board.count() == 7 and board.filter(is_chair=True).count() == 1
    assert panels["Demo: US voters (sampled)"].edges.count() > 100
    assert set(Scenario.objects.for_org(org).values_list("name", flat=True)) == {
        "Holiday ad (demo)",
        "Board review (demo)",
        "Community thread (demo)",
        "Minimum wage town hall (demo)",
        "Heated council thread: ranking and policy test (demo)",
        "Sale poster with a picture (demo)",
    }
    [poster] = Scenario.objects.for_org(org).get(name="Sale poster with a picture (demo)").stimuli.all()
    assert poster.image.name.endswith(".png") and "WINTER SALE" in poster.alt_text
    safety = Scenario.objects.for_org(org).get(name="Heated council thread: ranking and policy test (demo)")
    assert (
        safety.recommender == "bridging" and safety.settings["moderation"]["rules"][0]["action"] == "remove"
    )
    community = panels["Demo: Community threads (generated)"]
    assert community.memberships.count() == 156 and community.kind == Panel.Kind.IMPORTED
    brand = panels["Demo: Brand account (generated)"].memberships.get().persona.source_account
    assert brand.history.filter(kind="post", like_count__isnull=False).count() == 3000
    thread = Scenario.objects.for_org(org).get(name="Community thread (demo)")
    assert thread.format == "forum" and thread.stimuli.get().author_persona.handle == "hub_fitness"
