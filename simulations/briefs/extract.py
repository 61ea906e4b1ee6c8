"""What a hosted model is asked to extract from a brief, and how its answer is read.

One request with a JSON schema (strict: every field required, nothing extra), so both provider
kinds constrain the answer: a forced tool call on Anthropic, ``json_schema`` on an
OpenAI-compatible server. The answer then goes through ``draft.clean_draft`` like any edit; an
answer that is not the draft the schema describes is refused with what was wrong, never patched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simnet.llm.base import LLMRequest, LLMResponse
from simnet.llm.seeds import decision_seed
from simulations.briefs.draft import POSTS_RANGE, STAKEHOLDERS_RANGE, Draft, DraftInvalid, clean_draft

EXTRACTION_TOKENS = 4000  # room for 30 stakeholders and 20 posts
EXTRACTION_TEMPERATURE = 0.2  # reading, not inventing

_STRING = {"type": "string"}
STAKEHOLDER_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {**_STRING, "description": "The person, organisation or group, as the brief names it."},
        "handle": {**_STRING, "description": "A short social handle: letters, digits and _ only."},
        "stance": {
            **_STRING,
            "description": "Where they stand on the brief's issue, as the brief states it.",
        },
        "interests": {**_STRING, "description": "What they care about, comma-separated."},
        "groups": {
            "type": "array",
            "items": _STRING,
            "description": "Groups they belong to (party, sector).",
        },
        "bio": {**_STRING, "description": "One or two sentences on who they are, from the brief only."},
    },
    "required": ["name", "handle", "stance", "interests", "groups", "bio"],
    "additionalProperties": False,
}
POST_SCHEMA = {
    "type": "object",
    "properties": {
        "author": {**_STRING, "description": "The handle of the stakeholder who posts it."},
        "text": {**_STRING, "description": "The post, at most 280 characters, in the author's voice."},
        "step": {"type": "integer", "description": "When it appears: 0 at the start."},
    },
    "required": ["author", "text", "step"],
    "additionalProperties": False,
}
EXTRACTION_SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {**_STRING, "description": "The brief's issue in one sentence."},
        "stakeholders": {"type": "array", "items": STAKEHOLDER_SCHEMA},
        "posts": {"type": "array", "items": POST_SCHEMA},
        "question": {**_STRING, "description": "The question to ask every stakeholder at the end."},
    },
    "required": ["summary", "stakeholders", "posts", "question"],
    "additionalProperties": False,
}

EXTRACTION_RULES = (
    "You turn a brief (a news article, a policy draft or a campaign brief) into the cast of a "
    "social-network simulation. Read it and return, through the JSON schema:\n"
    f"- stakeholders: {STAKEHOLDERS_RANGE[0]} to {STAKEHOLDERS_RANGE[1]} people, organisations or groups "
    "the brief names or clearly implies, each with the stance the brief states or implies for them, "
    "their interests and the groups they belong to;\n"
    f"- posts: {POSTS_RANGE[0]} to {POSTS_RANGE[1]} opening posts, each by one of those stakeholders "
    "(author = their handle), that put the brief's issue in front of the others;\n"
    "- question: one neutral question to ask every stakeholder at the end, about the brief's issue.\n"
    "Use only what the brief says; do not invent facts, figures or quotes. Write in the brief's language."
)


class ExtractionFailed(ValueError):
    """The model gave no usable draft; ``str()`` says why, ``fields`` what was wrong when it answered."""

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


def extraction_request(text: str, *, brief_id: str, seed: int = 1) -> LLMRequest:
    """The one request that extracts a draft from ``text`` (keyed ``brief:<id>``)."""
    key = f"brief:{brief_id}"
    return LLMRequest(
        key=key,
        system=EXTRACTION_RULES,
        user=f"The brief:\n<<<\n{text.strip()}\n>>>",
        schema=EXTRACTION_SCHEMA,
        max_tokens=EXTRACTION_TOKENS,
        seed=decision_seed(seed, key, 0),
        temperature=EXTRACTION_TEMPERATURE,
    )


def read_extraction(response: LLMResponse) -> Draft:
    """The draft in the model's answer, or ``ExtractionFailed`` saying what came back instead."""
    if response.error:
        raise ExtractionFailed(f"The model gave no draft: {response.error}.")
    data: Any = response.data
    if data is None:
        raise ExtractionFailed("The model's answer is not the JSON object it was asked for.")
    try:
        return clean_draft(data)
    except DraftInvalid as invalid:
        first = "; ".join(f"{place}: {messages[0]}" for place, messages in list(invalid.fields.items())[:3])
        raise ExtractionFailed(
            f"The model's draft does not follow the schema ({first}). Nothing was kept; try again "
            "or start from a template.",
            invalid.fields,
        ) from None
