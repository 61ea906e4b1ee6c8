"""Asking one persona a question about the run, in character, without changing the world."""

from __future__ import annotations

from simnet.llm.base import LLMRequest, Situation
from simnet.llm.seeds import decision_seed
from simnet.llm.text import sentence_ends
from simnet.llm.tokens import trim_to_tokens
from simulations.engine.prompts import situation_traits
from simulations.engine.world import World

INTERVIEW_RULES = (
    "You took part in the simulation described by your memory below. Answer the interviewer in "
    "character, in the first person, in under 120 words, from what you remember; say so when you "
    "do not remember something."
)
POST_TOKENS = 40
ANSWER_WORDS = 120  # what the rules ask for; small models overshoot, so answers are cut to it
ANSWER_TOKENS = 200  # room for ANSWER_WORDS words and a sentence end, not for rambling on


def interview_request(
    world: World, agent_id: str, question: str, *, max_tokens: int = ANSWER_TOKENS, recent_posts: int = 3
) -> LLMRequest:
    """A free-text request (no schema) keyed ``interview:<agent id>``; reads the world only."""
    persona = world.personas.get(agent_id)
    if persona is None:
        raise ValueError(f"no persona {agent_id} in this world")
    if not question.strip():
        raise ValueError("the question is empty")
    own = [p for p in world.posts.values() if p.author_id == agent_id and p.text][-recent_posts:]
    lines = [f"Now: step {world.next_step}, {world.clock.label(world.next_step)}."]
    memory = world.agents[agent_id].memory.render()
    lines.append(f"What you remember: {memory}" if memory else "What you remember: nothing in particular.")
    if own:
        lines.append("What you wrote:")
        lines += [f"- {trim_to_tokens(p.text, POST_TOKENS)}" for p in own]
    lines.append(f"Interviewer: {question.strip()}")
    key = f"interview:{agent_id}"
    return LLMRequest(
        key=key,
        system=f"You are {persona.name} (@{persona.handle}).\n{persona.card}\n{INTERVIEW_RULES}",
        user="\n".join(lines),
        schema=None,
        max_tokens=max_tokens,
        seed=decision_seed(world.config.seed, key, world.next_step),
        temperature=world.config.temperature,
        situation=Situation(
            agent_id, world.next_step, (), dict(persona.propensities), situation_traits(persona), "interview"
        ),
    )


def tidy_answer(text: str, *, max_words: int = ANSWER_WORDS) -> str:
    """The answer cut to ``max_words`` words and to its last full sentence.

    A model that runs out of tokens stops mid-sentence; the reader should see whole sentences,
    and a trailing "…" when words were dropped with no sentence end to cut at.
    """
    words = text.split()
    kept = " ".join(words[:max_words])
    cut = len(words) > max_words
    ends = sentence_ends(kept)
    if ends and (cut or ends[-1] < len(kept)):
        return kept[: ends[-1]]
    return kept.rstrip(",;:- ") + "…" if cut and not ends else kept
