from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.llm.base import FeedItem
from simnet.llm.seeds import decision_seed
from simnet.llm.testing import FakeProvider
from simnet.llm.tokens import count_tokens, trim_to_tokens
from simulations.engine import (
    DECISION_SCHEMA,
    MEETING_SCHEMA,
    MEETING_VOTE_SCHEMA,
    PanelSnapshot,
    Persona,
    World,
    WorldConfig,
    create_world,
    prompt_tokens,
)
from simulations.engine.actions import CreatePost, Like, Repost, execute
from simulations.engine.feed import Candidate
from simulations.engine.feed_format import feed_items
from simulations.engine.posts import PostKind
from simulations.engine.prompts import feed_request, render_item
from simulations.engine.runner import run

CARD_SOURCE = (
    "Who: Maria Delgado-Okonkwo (@maria_delgado_okonkwo), 41, a paediatric nurse in Leeds; grew up in "
    "Seville, moved to the UK at 22. Bio: night-shift nurse, union rep, mother of two teenagers, allotment "
    "gardener on weekends. Writes about NHS staffing, school funding, the cost of living and her allotment. "
    "Style: warm but blunt; short sentences; uses 'honestly' and 'love' a lot; the odd Spanish word; no "
    "hashtags; emoji only for the garden. Interests: NHS staffing, nursing pay, school funding, allotments, "
    "tomatoes, Leeds United, cheap family holidays. Stances: strongly supports public healthcare and nurses' "
    "strikes; sceptical of private insurance adverts; wary of crypto and influencer products; favours bike "
    "lanes but hates potholes. Habits: online 6-8am and 9-11pm; likes a lot, replies to friends, reposts union "
    "news; posts once or twice a day; rarely follows brands; reports obvious scams. Examples of how you write: "
    "- 'Twelve-hour shift done. Honestly the ward ran on biscuits and goodwill again.' - 'First tomatoes of the "
    "year!! Small wins, love.' - 'No, a private health plan is not a perk when the waiting list is the problem.' "
    "- 'Leeds away again, kids in tow, wallet crying.' - 'Pay nurses properly and half the agency bill vanishes.'"
)
CARD = trim_to_tokens(CARD_SOURCE, 250)
LONG_TEXT = (
    "Thread: the council's new parking and bus lane consultation closes on Friday and honestly nobody I know "
    "has even heard of it, which says a lot about how these things are run; here is what it changes and why "
    "you should care if you drive, cycle, take the bus or run a shop on the high street."
)


def crowded_world(card: str) -> tuple[World, list[Candidate]]:
    """A reader with a full memory and five long, busy feed items by long handles."""
    names = [f"alexandra_konstantinopoulou_{i}" for i in range(6)]
    personas = [
        Persona(id="me", handle="maria_delgado_okonkwo", display_name="Maria Delgado-Okonkwo", card=card)
    ]
    personas += [Persona(id=n, handle=n, display_name=n.title(), card="x") for n in names]
    world = create_world(PanelSnapshot(tuple(personas), tuple(("me", n) for n in names)), WorldConfig(seed=0))
    ranked = []
    for i, name in enumerate(names[:5]):
        root = world.add_post(names[5], PostKind.POST, LONG_TEXT, 0)
        post = world.add_post(name, PostKind.REPLY, LONG_TEXT + f" ({i})", 0, parent=root)
        post.likes, post.replies, post.reposts = 1234, 567, 89
        ranked.append(Candidate(post.id, post.seq, names[(i + 1) % 5]))
    for i in range(12):  # fill the memory with own actions and seen items
        world.mark_seen("me", ranked[i % 5].post_id)
        execute(world, "me", CreatePost(LONG_TEXT), 0)
        execute(world, "me", Like(ranked[i % 5].post_id), 0)
        execute(world, "me", Repost(ranked[i % 5].post_id), 0)
    return world, ranked


def test_a_decision_with_a_250_token_card_and_a_feed_of_5_stays_under_600_tokens() -> None:
    assert 240 <= count_tokens(CARD) <= 250
    world, ranked = crowded_world(CARD)
    assert world.agents["me"].memory.tokens >= world.config.memory_tokens - 12  # memory is (nearly) full
    items, notes = feed_items(world, "me", ranked, promoted=[ranked[0].post_id])
    request = feed_request(world, "me", 12345, items, notes)
    assert request.user.count("\nP") == 5
    tokens = prompt_tokens(request)
    assert tokens.total <= 600, (tokens, request.user)
    assert tokens.total == count_tokens(request.system) + count_tokens(request.user)


def test_long_cards_only_add_their_own_length() -> None:
    long_card = CARD_SOURCE + " " + CARD_SOURCE
    assert count_tokens(long_card) >= 450
    world, ranked = crowded_world(long_card)
    items, notes = feed_items(world, "me", ranked, [])
    tokens = prompt_tokens(feed_request(world, "me", 3, items, notes))
    assert tokens.total - count_tokens(long_card) <= 600 - 240
    assert tokens.cacheable_share > 0.6


def test_the_prefix_is_identical_at_every_step_and_the_suffix_changes() -> None:
    from simulations.engine import demo_panel

    world = create_world(demo_panel(30, seed=2), WorldConfig(seed=2))
    provider = FakeProvider()
    seen: dict[str, set[str]] = {}
    users: dict[str, set[str]] = {}

    class Recording(FakeProvider):
        def generate(self, requests):  # type: ignore[no-untyped-def]
            for r in requests:
                seen.setdefault(r.key, set()).add(r.system)
                users.setdefault(r.key, set()).add(r.user)
            return provider.generate(requests)

    run(world, Recording(), 8)
    assert all(len(systems) == 1 for systems in seen.values())
    assert any(len(u) > 1 for u in users.values())


def test_seeds_are_per_agent_and_step_and_fit_31_bits() -> None:
    seeds = {decision_seed(7, agent, step) for agent in ("a", "b", "c") for step in range(50)}
    assert len(seeds) == 150 and all(0 <= s < 2**31 for s in seeds)
    assert decision_seed(7, "a", 1) == decision_seed(7, "a", 1) != decision_seed(8, "a", 1)


@pytest.mark.parametrize("schema", [DECISION_SCHEMA, MEETING_SCHEMA, MEETING_VOTE_SCHEMA])
def test_schemas_are_strict_json_schema(schema: dict) -> None:
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    json.dumps(schema)


@pytest.mark.parametrize("schema", [DECISION_SCHEMA, MEETING_SCHEMA, MEETING_VOTE_SCHEMA])
def test_schemas_compile_to_a_llama_cpp_grammar(schema: dict) -> None:
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    grammar = llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    assert grammar is not None


@settings(max_examples=80, deadline=None)
@given(
    handle=st.from_regex(r"[A-Za-zé0-9_.]{1,30}", fullmatch=True),
    notes=st.lists(
        st.sampled_from(["promoted", "you follow", "shared by @someone_long_name", "reply to @x.y"]),
        max_size=4,
    ),
    counts=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
    text=st.text(max_size=400),
)
def test_every_feed_line_fits_its_budget(
    handle: str, notes: list[str], counts: tuple[int, int, int], text: str
) -> None:
    world, ranked = crowded_world("card")
    post = world.posts[ranked[0].post_id]
    post.text = text
    world.excerpts.clear()
    item = FeedItem(
        post.id, post.author_id, handle, text, "post", likes=counts[0], replies=counts[1], reposts=counts[2]
    )
    line = render_item(world, 5, item, notes)
    assert line.startswith(f"P5 @{handle}")
    assert count_tokens(line) <= world.config.feed_item_tokens
