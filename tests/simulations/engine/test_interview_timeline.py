from __future__ import annotations

import pytest

from simnet.llm.testing import FakeProvider
from simulations.engine import (
    Stimulus,
    World,
    WorldConfig,
    create_world,
    demo_panel,
    format_timeline,
    interview_request,
    run,
)
from simulations.engine.interview import tidy_answer


@pytest.fixture(scope="module")
def finished() -> tuple[World, list]:
    world = create_world(
        demo_panel(40, seed=7),
        WorldConfig(seed=7),
        [Stimulus("ad", "Meet the new e-bike from Volt", at_step=1, author_handle="Volt", boost=0.5)],
    )
    return world, run(world, FakeProvider(), 6).results


def test_an_interview_reads_the_run_and_changes_nothing(finished: tuple[World, list]) -> None:
    world, results = finished
    agent = next(r.agent_id for r in results if r.text)
    before = world.to_state()
    request = interview_request(world, agent, "What did you think of the e-bike ad?")
    assert world.to_state() == before
    persona = world.personas[agent]
    assert request.key == f"interview:{agent}" and request.schema is None
    assert persona.card in request.system and "in character" in request.system
    assert "e-bike ad?" in request.user and "What you wrote:" in request.user
    assert world.agents[agent].memory.render()[:40] in request.user
    assert interview_request(world, agent, "Why?").seed == interview_request(world, agent, "Why?").seed


def test_interview_checks_its_inputs(finished: tuple[World, list]) -> None:
    world, _ = finished
    with pytest.raises(ValueError):
        interview_request(world, "nobody", "Hi?")
    with pytest.raises(ValueError):
        interview_request(world, next(iter(world.personas)), "  ")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("I liked it", "I liked it"),  # short and whole: kept as written
        ("I liked the ad. It felt fun and", "I liked the ad."),  # ran out of tokens mid-sentence
        ('Sure! "It was great." And then we', 'Sure! "It was great."'),
        ("  Done.\n\n", "Done."),
        ("", ""),
    ],
)
def test_an_answer_ends_at_its_last_whole_sentence(raw: str, shown: str) -> None:
    assert tidy_answer(raw) == shown


def test_a_rambling_answer_is_cut_to_the_word_limit() -> None:
    sentence = "I kept scrolling past the ad again. "
    answer = tidy_answer(sentence * 40, max_words=20)
    assert answer == (sentence * 2).strip() and len(answer.split()) <= 20
    run_on = tidy_answer("and then " * 30, max_words=10)
    assert run_on == "and then " * 4 + "and then…"


def test_the_timeline_lists_stimuli_and_actions_in_step_order(finished: tuple[World, list]) -> None:
    world, results = finished
    timeline = format_timeline(world, results)
    lines = timeline.split("\n")
    assert any("@Volt" in line and "STIMULUS [boosted]" in line for line in lines)
    steps = [int(line.split()[0][1:]) for line in lines]
    assert steps == sorted(steps)
    shown = [r for r in results if r.action.value != "ignore"]
    assert len(lines) == len(shown) + 1
    with_ignored = format_timeline(world, results, include_ignored=True)
    assert len(with_ignored.split("\n")) == len(results) + 1
    invalid = [r for r in shown if r.outcome.value == "invalid"]
    assert invalid and sum("[invalid:" in line for line in lines) == len(invalid)
