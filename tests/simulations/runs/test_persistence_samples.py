"""A run's snapshot carries an imported persona's own posts as examples, and none for a persona
whose card was written for it (sampled, board, by hand), even when that card quotes examples."""

from __future__ import annotations

import pytest

from personas.builders.cards import EXAMPLES_HEADING
from simulations.runs.persistence import panel_snapshot
from tests.factories import PanelFactory, PanelMemberFactory, PersonaFactory

CARD = f"You are Ann (@ann).\n{EXAMPLES_HEADING}\n- hills again today, worth it\n- (reply to @bo) @bo same here, every single day"


@pytest.mark.django_db
def test_only_the_imported_persona_gets_its_card_examples_as_samples():
    panel = PanelFactory()
    for handle, origin in (("ann", "imported"), ("sam", "sampled"), ("bea", "board")):
        persona = PersonaFactory(organization=panel.organization, handle=handle, origin=origin, card=CARD)
        PanelMemberFactory(panel=panel, persona=persona)

    samples = {p.handle: p.samples for p in panel_snapshot(panel).personas}

    assert samples == {"ann": ("hills again today, worth it", "same here, every single day"), "bea": (), "sam": ()}
