"""A persona summarised in two or three sentences by a language model, from its card only.

The card (``personas.builders.cards``) is deterministic and always works offline; a summary is an
optional extra a hosted model writes once and runs then read before the card. The model sees
the stored card and nothing else: the card already holds a representative, budgeted sample of
the person's own posts and never a held-out item, so a summary cannot leak what a backtest
checks against.
"""

from __future__ import annotations

from simnet.llm.base import LLMRequest
from simnet.llm.seeds import decision_seed
from simnet.llm.text import sentence_ends

SUMMARY_RULES = (
    "You describe people who take part in a social-network simulation. Read the persona card "
    '(it addresses the person as "you") and write 2 to 3 sentences in the third person, by name: '
    "who this person is, what they care about and how they write. Use only what the card says; "
    "do not invent facts, do not quote posts at length. Plain prose: no heading, list or preamble."
)
SUMMARY_TOKENS = 160  # room for three sentences, not for an essay
SUMMARY_TEMPERATURE = 0.2  # a description, not a creative task
MAX_SUMMARY_CHARS = 600


def summary_request(*, persona_id: str, name: str, handle: str, card: str) -> LLMRequest:
    """A free-text request (no schema) keyed ``summary:<persona id>``."""
    if not card.strip():
        raise ValueError("the card is empty")
    key = f"summary:{persona_id}"
    return LLMRequest(
        key=key,
        system=SUMMARY_RULES,
        user=f"Persona card of {name or handle} (@{handle}):\n{card.strip()}",
        schema=None,
        max_tokens=SUMMARY_TOKENS,
        seed=decision_seed(0, key, 0),
        temperature=SUMMARY_TEMPERATURE,
    )


def tidy_summary(text: str, *, max_chars: int = MAX_SUMMARY_CHARS) -> str:
    """The summary on one line, at most ``max_chars`` characters, cut at its last full sentence
    within them (at a word, with "…", when no sentence ends early enough)."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    head = flat[: max_chars + 1]  # one more: a sentence may end exactly at the limit
    ends = [end for end in sentence_ends(head) if end <= max_chars]
    if ends:
        return head[: ends[-1]]
    cut = flat[: max_chars - 1]
    if " " in cut and flat[max_chars - 1] != " ":  # the cut split a word: drop its start
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:- ") + "…"
