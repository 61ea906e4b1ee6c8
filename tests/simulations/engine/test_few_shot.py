"""Few-shot grounding: an imported persona's prompt shows a few posts it really wrote; a synthetic
persona's shows none, and no made-up ones."""

from __future__ import annotations

from dataclasses import replace

from personas.builders.cards import EXAMPLES_HEADING, card_samples, clean_sample
from simulations.engine import PanelSnapshot, Stimulus, WorldConfig, create_world, demo_panel
from simulations.engine.persona import Persona
from simulations.engine.prompts import OWN_POSTS_HEADING, feed_prefix, feed_request
from tests.personas.builders.fixtures import ACCOUNT, HISTORY
from tests.personas.builders.test_cards import card_for


def _imported() -> tuple[Persona, object]:
    card = card_for(ACCOUNT, HISTORY, 500)
    persona = Persona(id="alice", handle="alice", card=card.text, samples=card_samples(card.text))
    return persona, card


def _request(persona: Persona, stimuli: tuple[Stimulus, ...] = ()):
    world = create_world(PanelSnapshot((persona,)), WorldConfig(seed=1), stimuli)
    return world, feed_request(world, persona.id, 0, (), ())


def _shown(request) -> list[str]:
    """The lines under the own-posts heading of a prompt (none when it has no heading)."""
    if OWN_POSTS_HEADING not in request.system:
        return []
    block = request.system.split(OWN_POSTS_HEADING + "\n", 1)[1].split("\nRules:", 1)[0]
    return [line.removeprefix("- ") for line in block.split("\n")]


def test_an_imported_persona_is_shown_two_or_three_of_its_own_posts():
    persona, card = _imported()
    own_texts = {clean_sample(r.text) for r in HISTORY if r.platform_id in card.sample_item_ids}

    assert 2 <= len(persona.samples) <= 3
    assert set(persona.samples) <= own_texts  # its own words, cleaned, not invented
    _, request = _request(persona)
    assert _shown(request) == list(persona.samples)
    assert not any("@" in line or "(reply" in line for line in _shown(request))  # cleaned of context
    assert all(request.system.count(sample) == 1 for sample in persona.samples)  # not again in the card
    assert "agreed, hiking beats the gym" in request.system  # the card keeps its other examples
    assert OWN_POSTS_HEADING in request.situation.voice  # the writer of the hybrid policy sees them too


def test_a_synthetic_persona_gets_no_examples_even_when_its_card_has_made_up_ones():
    persona = demo_panel(3, seed=2).personas[0]
    assert EXAMPLES_HEADING in persona.card  # the demo card invents examples of the voice...

    _, request = _request(persona)

    assert persona.samples == ()
    assert OWN_POSTS_HEADING not in request.system  # ...which are never shown as the person's posts
    assert OWN_POSTS_HEADING not in request.situation.voice


def test_an_own_post_that_repeats_the_stimulus_is_never_shown():
    persona, _ = _imported()
    ad = Stimulus("ad", f"Hot take: {persona.samples[1]}!", at_step=0, author_handle="brand")
    later_ad = Stimulus("ad2", persona.samples[2], at_step=3, author_handle="brand")  # still pending

    _, request = _request(persona, (ad, later_ad))

    assert _shown(request) == [persona.samples[0]]
    assert persona.samples[1] not in request.situation.voice


def test_the_prefix_with_examples_is_the_same_at_every_step():
    persona, _ = _imported()
    world, first = _request(persona)
    later = feed_request(world, persona.id, 7, (), ())

    assert first.system == later.system == feed_prefix(world, persona)


def test_samples_survive_a_snapshot_round_trip():
    persona, _ = _imported()
    assert Persona.from_dict(persona.to_dict()) == persona
    assert Persona.from_dict({k: v for k, v in persona.to_dict().items() if k != "samples"}).samples == ()


def test_card_samples_prefer_whole_texts_and_drop_the_reply_context():
    card = (
        f"You are Bo (@bo).\n{EXAMPLES_HEADING}\n- this one was cut at the budget …\n"
        "- (reply to @ann) @ann @cy totally agree, the hills are brutal\n- (quoting @cy) nope.\n"
        "- rode 40k before work https://t.co/x1 legs gone\n- new bike day with @cy"
    )

    assert card_samples(card) == (
        "totally agree, the hills are brutal",  # no reply context, no leading @mentions
        "rode 40k before work legs gone",  # no link
        "new bike day with @cy",  # a mention inside the text is part of it
    )  # "nope." is too short to show a voice
    assert card_samples(card, limit=5)[-1] == "this one was cut at the budget …"
    assert card_samples("You are Bo (@bo).\nStyle: terse") == ()


def test_the_examples_heading_goes_when_every_example_is_shown_below_it():
    card = f"You are Bo (@bo).\nBio: rides:\n{EXAMPLES_HEADING}\n- rode 40k before work, legs gone\n- new bike day, so happy"
    persona = Persona(id="bo", handle="bo", card=card, samples=card_samples(card))

    _, request = _request(persona)

    assert EXAMPLES_HEADING not in request.system and "Bio: rides:" in request.system
    assert _shown(request) == ["rode 40k before work, legs gone", "new bike day, so happy"]


def test_a_persona_without_samples_keeps_its_old_prefix():
    persona = replace(_imported()[0], samples=())
    _, request = _request(persona)
    assert request.system == (
        f"You are {persona.name} (@{persona.handle}) on a social network.\n{persona.card}\n"
        + request.system.rsplit("\n", 1)[1]
    )
