"""A stance poll: one persona's position on the run's question, read without changing the world.

The poll is short and structured (a -3..+3 scale and one sentence) so that every provider can
answer it: hosted models through the schema, the offline model by picking one of seven values,
the rule policy from the persona's politics and what it read (``simnet.llm.stance_rules``).
The stance is asked as a string enum ("-3".."+3") because some strict JSON-schema modes refuse
integer enums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simnet.llm.base import FeedItem, LLMRequest, Situation
from simnet.llm.seeds import decision_seed
from simnet.llm.stance_rules import HEARD_KEY, SIDE_KEY, SIDES, STANCE_POLL, prior_stance
from simnet.llm.tokens import trim_to_tokens
from simulations.engine.prompts import situation_traits
from simulations.engine.world import World

STANCE_VALUES = ("-3", "-2", "-1", "0", "+1", "+2", "+3")
SENTENCE_CHARS = 300
HEARD_POSTS = 10  # the most recent posts an agent saw that feed its answer
SHOWN_POSTS = 4  # of those, shown as text to a model
POLL_TOKENS = 80
POLL_RULES = (
    "A pollster asks you one question. Answer in character with one JSON object: stance, one of "
    "-3 (strongly disagree) to +3 (strongly agree), and sentence, one sentence in your own words why."
)
POLL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "stance": {"type": "string", "enum": list(STANCE_VALUES)},
        "sentence": {"type": "string"},
    },
    "required": ["stance", "sentence"],
    "additionalProperties": False,
}
REPAIR_NOTE = 'Answer again with one JSON object: stance ("-3" to "+3") and sentence.'


@dataclass(frozen=True)
class StanceQuestion:
    """The run's question; ``agree_side``: the end of the left-right scale that tends to agree
    (what the rule policy starts from; a model reads only the question)."""

    text: str
    agree_side: str = "left"

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("the stance question is empty")
        if self.agree_side not in SIDES:
            raise ValueError(f"agree_side must be one of {SIDES}")


@dataclass(frozen=True)
class PollAnswer:
    stance: int
    sentence: str


def heard_posts(world: World, agent_id: str) -> list[str]:
    """The recent posts by other personas the agent saw, oldest first (its exposures)."""
    seen = list(world.agents[agent_id].seen)[-HEARD_POSTS:]
    return [
        pid
        for pid in seen
        if pid in world.posts
        and world.posts[pid].author_id != agent_id
        and world.posts[pid].author_id in world.personas
    ]


def heard_stances(world: World, post_ids: list[str], question: StanceQuestion) -> list[float]:
    """The starting stance of each exposure's author (what the rule policy is pulled towards)."""
    traits = (world.personas[world.posts[pid].author_id].traits for pid in post_ids)
    return [prior_stance(t, question.agree_side) for t in traits]


def poll_request(
    world: World, agent_id: str, question: StanceQuestion, *, key: str | None = None
) -> LLMRequest:
    """The poll asked of ``agent_id`` now; ``key`` defaults to ``poll:<agent id>``."""
    persona = world.personas[agent_id]
    heard = heard_posts(world, agent_id)
    lines = [f"Now: {world.clock.label(world.next_step)}."]
    memory = world.agents[agent_id].memory.render()
    if memory:
        lines.append(f"What you remember: {memory}")
    if heard:
        lines.append("Recently you read:")
        lines += [
            f"@{world.handle_of(world.posts[pid].author_id)}: {trim_to_tokens(world.posts[pid].text, 40)}"
            for pid in heard[-SHOWN_POSTS:]
        ]
    lines.append(f"Question: {question.text.strip()}")
    items = tuple(
        FeedItem(pid, world.posts[pid].author_id, world.handle_of(world.posts[pid].author_id), "", "post")
        for pid in heard
    )
    traits = {
        **situation_traits(persona),
        SIDE_KEY: question.agree_side,
        HEARD_KEY: heard_stances(world, heard, question),
    }
    key = key or f"poll:{agent_id}"
    return LLMRequest(
        key=key,
        system=f"You are {persona.name} (@{persona.handle}).\n{persona.card}\n{POLL_RULES}",
        user="\n".join(lines),
        schema=POLL_SCHEMA,
        max_tokens=POLL_TOKENS,
        seed=decision_seed(world.config.seed, key, world.next_step),
        temperature=world.config.temperature,
        situation=Situation(agent_id, world.next_step, items, {}, traits, STANCE_POLL),
    )


def parse_poll(payload: Mapping[str, Any]) -> PollAnswer | str:
    """The answer, or what was wrong with it (sent back as a correction)."""
    raw = str(payload.get("stance", "")).strip()
    try:
        stance = int(float(raw))
    except ValueError:
        return f"stance {raw!r} is not a number from -3 to +3"
    if not -3 <= stance <= 3:
        return f"stance {stance} is outside -3..+3"
    sentence = " ".join(str(payload.get("sentence") or "").split())[:SENTENCE_CHARS]
    return PollAnswer(stance, sentence)
