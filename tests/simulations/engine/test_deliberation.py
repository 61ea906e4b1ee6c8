"""The deliberation format's phases, and the stance poll the rule policy answers."""

from __future__ import annotations

from simnet.llm.baseline import BaselineProvider
from simulations.engine.config import DeliberationConfig, WorldConfig
from simulations.engine.deliberation import assign_groups, group_threads, phase_of
from simulations.engine.formats import create_world
from simulations.engine.persona import PanelSnapshot, Persona
from simulations.engine.runner import run
from simulations.engine.stance import StanceQuestion, parse_poll, poll_request
from simulations.engine.testing import FIXED_START

PARTIES = ("Democrat", "Republican", "Independent")
IDEOLOGY = {"Democrat": "liberal", "Republican": "conservative", "Independent": "moderate"}


def panel(n: int = 12) -> PanelSnapshot:
    personas = tuple(
        Persona(
            id=f"a{i}",
            handle=f"voter{i}",
            display_name=f"Voter {i}",
            card=f"Voter {i}",
            traits={"party": PARTIES[i % 3], "ideology": IDEOLOGY[PARTIES[i % 3]]},
        )
        for i in range(n)
    )
    return PanelSnapshot(personas)


def deliberation_world(seed: int = 3, steps: int = 5, n: int = 12):
    config = WorldConfig(
        seed=seed,
        format="deliberation",
        start=FIXED_START,
        deliberation=DeliberationConfig(
            question="Should the minimum wage rise to $15?",
            briefing="Costs and benefits.",
            group_size=4,
            steps=steps,
        ),
    )
    return create_world(panel(n), config)


def test_phases_poll_then_rounds_then_repoll():
    world = deliberation_world(steps=5)
    assert [phase_of(world, s) for s in range(6)] == [
        "poll",
        "discuss",
        "discuss",
        "discuss",
        "repoll",
        "done",
    ]
    report = run(world, BaselineProvider(), 6)
    kinds = [{r.reason for r in step.results if r.reason.startswith("stance")} for step in report.steps]
    assert kinds[0] == {"stance poll"} and kinds[4] == {"stance repoll"}
    assert kinds[1] == kinds[2] == kinds[3] == set()
    assert len(report.steps[0].results) == 12 and len(report.steps[4].results) == 12
    assert len(report.steps) == 6 and report.steps[5].results == ()  # past the re-poll: nobody is asked
    threads = group_threads(world)
    assert len(threads) == 3  # 12 members in groups of 4: one briefing each, posted after the poll
    assert all(world.posts[t].step == 0 for t in threads)
    spoken = [r for step in report.steps[1:4] for r in step.results if r.created_post_id]
    assert spoken, "the rule participants speak in their groups"
    by_group = {pid: g for g, members in enumerate(assign_groups(world)) for pid in members}
    for result in spoken:  # a speaker's post stays in its own group's thread
        assert world.posts[result.created_post_id].root_id == threads[by_group[result.agent_id]]


def test_groups_mix_parties_and_cover_everyone():
    world = deliberation_world(n=12)
    groups = assign_groups(world)
    assert sorted(pid for g in groups for pid in g) == sorted(world.personas)
    for members in groups:
        parties = {world.personas[pid].traits["party"] for pid in members}
        assert parties == set(PARTIES), "each group holds the range of views"


def test_offline_poll_answers_deterministic_and_differ_by_party():
    question = StanceQuestion("Should the minimum wage rise to $15?", agree_side="left")

    def answers(seed: int) -> dict[str, int]:
        world = deliberation_world(seed=seed)
        requests = [poll_request(world, pid, question) for pid in world.personas]
        out = {}
        for request, response in zip(requests, BaselineProvider().generate(requests), strict=True):
            answer = parse_poll(response.data)
            assert not isinstance(answer, str), answer
            out[request.situation.agent_id] = answer.stance
        return out

    first, again, other_seed = answers(3), answers(3), answers(4)
    assert first == again
    assert first != other_seed  # the noise is drawn per seed
    world = deliberation_world()
    by_party = {
        p: [first[pid] for pid, x in world.personas.items() if x.traits["party"] == p] for p in PARTIES
    }
    mean = {p: sum(v) / len(v) for p, v in by_party.items()}
    assert mean["Democrat"] > mean["Independent"] > mean["Republican"]  # the question leans left


def test_parse_poll_rejects_out_of_scale():
    assert isinstance(parse_poll({"stance": "+5", "sentence": "x"}), str)
    assert isinstance(parse_poll({"stance": "a lot", "sentence": "x"}), str)
    assert parse_poll({"stance": "-2", "sentence": " too  costly "}).sentence == "too costly"


def test_deliberation_config_round_trips():
    world = deliberation_world()
    again = WorldConfig.from_dict(world.config.to_dict())
    assert again.deliberation == world.config.deliberation


def test_discussion_answers_read_as_speak_or_pass():
    from simulations.engine.deliberation import DeliberationFormat
    from simulations.engine.turns import AgentTurn

    world = deliberation_world()
    turn = AgentTurn("a0", poll_request(world, "a0", StanceQuestion("q")), "deliberation", "discuss")
    fmt = DeliberationFormat()
    spoken = fmt.parse(turn, {"action": "speak", "target": "@voter2", "text": "I disagree.", "reason": ""})
    assert (spoken.action, spoken.target_handle, spoken.text) == ("speak", "voter2", "I disagree.")
    assert fmt.parse(turn, {"action": "reply", "target": "P1", "text": "Fair."}).target_handle is None
    assert fmt.parse(turn, {"action": "like", "target": "P1"}).action == "pass"
    assert isinstance(fmt.parse(turn, {"action": "speak", "text": ""}), str)
    poll = AgentTurn("a0", turn.request, "deliberation", "repoll")
    assert fmt.parse(poll, {"stance": "+2", "sentence": "Yes."}).position == "+2"


def test_a_stance_written_in_words_sets_the_rule_policys_start():
    from simnet.llm.stance_rules import prior_stance

    assert prior_stance({"stance": "Strongly opposes the bypass"}, "left") == -3.0
    assert prior_stance({"stance": "supports the plan", "party": "Republican"}, "left") == 2.0  # stated wins
    assert prior_stance({"stance": "background in farming", "party": "Republican"}, "left") == -1.5
    assert prior_stance({"party": "Republican"}, "right") == 1.5
    assert prior_stance({}, "left") == 0.0
