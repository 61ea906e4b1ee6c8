"""The neutral input records and their small helpers."""

from __future__ import annotations

import pytest

from simulations.analysis.records import (
    ActionKind,
    ActionRecord,
    FollowEdge,
    PersonaRecord,
    PostKind,
    PostRecord,
    Reaction,
    as_reaction,
    follower_map,
    segment_values,
)


def test_a_post_without_root_is_its_own_root():
    assert PostRecord("s", "brand", PostKind.POST).root == "s"
    assert PostRecord("r", "p1", PostKind.REPLY, parent_id="s", root_id="s").root == "s"


@pytest.mark.parametrize(
    ("action", "outcome", "succeeded"),
    [
        (ActionKind.LIKE, "ok", True),
        (ActionKind.LIKE, "", True),
        (ActionKind.LIKE, "refused: muted", False),
        (ActionKind.ERROR, "ok", False),
    ],
)
def test_only_actions_that_took_effect_succeed(action, outcome, succeeded):
    assert ActionRecord(1, "p1", action, outcome=outcome).succeeded is succeeded


def test_as_reaction_accepts_tuples_of_two_to_four_fields():
    assert as_reaction(("p1", "like")) == Reaction("p1", ActionKind.LIKE, "")
    assert as_reaction(("p1", "reply", "Sexist.")) == Reaction("p1", ActionKind.REPLY, "Sexist.")
    assert as_reaction(("p1", "reply", None, 0.4)).engagement_score == 0.4
    reaction = Reaction("p1", ActionKind.FOLLOW)
    assert as_reaction(reaction) is reaction and not reaction.engaged
    with pytest.raises(ValueError):
        as_reaction(("p1", "shout"))


def test_follower_map_merges_persona_followers_and_edges():
    personas = [PersonaRecord("a", followers=frozenset({"b"})), PersonaRecord("c")]
    edges = [FollowEdge("c", "a"), FollowEdge("a", "z")]
    assert follower_map(personas, edges) == {
        "a": frozenset({"b", "c"}),
        "c": frozenset(),
        "z": frozenset({"a"}),
    }


def test_segment_values():
    persona = PersonaRecord(
        "a", traits={"party": "left", "interests": ["tech", "fitness", "tech"], "age": 41}
    )
    assert segment_values(persona, "party") == ("left",)
    assert segment_values(persona, "interests") == ("fitness", "tech")
    assert segment_values(persona, "age") == ("41",)
    assert segment_values(persona, "gender") == ("unknown",)
    assert segment_values(PersonaRecord("b", traits={"interests": []}), "interests") == ("unknown",)
