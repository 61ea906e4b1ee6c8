from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.llm.tokens import count_tokens
from simulations.engine.memory import MAX_ACTIONS, MAX_SEEN, Memory, memory_entry

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=200)


@settings(max_examples=60, deadline=None)
@given(
    budget=st.integers(min_value=10, max_value=120),
    events=st.lists(
        st.tuples(st.booleans(), st.sampled_from(["liked", "posted", "replied to"]), words), max_size=40
    ),
)
def test_rendered_memory_never_exceeds_its_budget_and_tokens_are_exact(budget: int, events: list) -> None:
    memory = Memory(budget)
    for is_action, verb, text in events:
        if is_action:
            memory.record_action(verb, f"s1 {verb} {text}")
        else:
            memory.record_seen(memory_entry(text))
        assert memory.tokens == count_tokens(memory.render()) <= budget
        assert len(memory.actions) <= MAX_ACTIONS and len(memory.seen) <= MAX_SEEN


def test_old_actions_fold_into_the_summary_tallies() -> None:
    memory = Memory(200)
    for i in range(MAX_ACTIONS + 3):
        memory.record_action("liked", f"s{i} liked @bob 'post {i}'")
    assert memory.tallies == {"liked": 3}
    assert memory.render().startswith("Earlier: liked 3.")
    assert "s0 liked" not in memory.render() and f"s{MAX_ACTIONS + 2} liked" in memory.render()


def test_seen_items_give_way_before_own_actions() -> None:
    memory = Memory(30)
    memory.record_action("posted", "s1 posted: heat pumps are the future of home heating")
    for i in range(5):
        memory.record_seen(memory_entry(f"@ann: a fairly long post number {i} about the weather today"))
    assert "s1 posted" in memory.render()
    assert memory.tokens <= 30


def test_an_outside_summary_is_kept_within_its_share() -> None:
    memory = Memory(50)
    memory.set_summary("A very long summary " * 40)
    assert count_tokens(memory.summary) <= 20
    assert memory.tokens <= 50


def test_state_round_trip_is_exact() -> None:
    memory = Memory(60)
    memory.set_summary("Argued about bike lanes.")
    for i in range(9):
        memory.record_action("replied to", f"s{i} replied to @cat: yes {i}")
        memory.record_seen(memory_entry(f"@dan: item {i}"))
    restored = Memory.from_state(memory.to_state())
    assert restored.render() == memory.render() and restored.tokens == memory.tokens
    assert restored.to_state() == memory.to_state()


def test_tiny_budgets_are_refused() -> None:
    with pytest.raises(ValueError):
        Memory(5)
