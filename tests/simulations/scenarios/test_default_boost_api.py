"""The API gives an omitted boost the builder's default: an outside author's ad is promoted to
half the panel, a persona's own post is not, and a boost that is given is kept as given."""

from __future__ import annotations

import pytest

from personas.models import Persona
from simulations.engine.stimuli import DEFAULT_OUTSIDE_BOOST

pytestmark = pytest.mark.django_db


def test_an_omitted_boost_gets_the_default_for_its_author(member_api, panel):
    persona = Persona.objects.filter(panel_memberships__panel=panel).order_by("handle").first()
    stimuli = [
        {"text": "The gift that changes her life.", "author_handle": "PelotonBrand"},
        {"text": "Honestly, I love mine.", "author_persona": persona.pk},
        {"text": "Not promoted on purpose.", "author_handle": "PelotonBrand", "boost": 0},
    ]
    body = {"name": "Holiday ad", "panel": panel.pk, "steps": 3, "stimuli": stimuli}
    created = member_api.post("/api/v1/scenarios/", body, format="json")
    assert created.status_code == 201, created.content
    assert [s["boost"] for s in created.json()["stimuli"]] == [DEFAULT_OUTSIDE_BOOST, 0.0, 0.0]
