"""The JSON schemas of decisions, in one place.

Plain JSON Schema that all three consumers accept: llama.cpp grammars (``LlamaGrammar.from_json_schema``),
OpenAI ``response_format`` ``json_schema`` in strict mode (every property required,
``additionalProperties: false``, nullable as a type list), and Anthropic tool ``input_schema``.
"""

from __future__ import annotations

from typing import Any

FEED_ACTIONS = ("post", "reply", "quote", "repost", "like", "follow", "unfollow", "mute", "report", "ignore")
MEETING_ACTIONS = ("speak", "pass", "vote")
FORUM_ACTIONS = ("post", "reply", "upvote", "downvote", "ignore")
POSITIONS = ("for", "against", "abstain")

DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": list(FEED_ACTIONS)},
        "target": {"type": ["string", "null"]},
        "text": {"type": ["string", "null"]},
        "reason": {"type": "string"},
    },
    "required": ["action", "target", "text", "reason"],
    "additionalProperties": False,
}

MEETING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": list(MEETING_ACTIONS)},
        "target": {"type": ["string", "null"]},
        "text": {"type": ["string", "null"]},
        "position": {"type": ["string", "null"], "enum": [*POSITIONS, None]},
        "reason": {"type": "string"},
    },
    "required": ["action", "target", "text", "position", "reason"],
    "additionalProperties": False,
}

# When the chair has called the vote the only answer is a vote with a position: a schema that
# offers "pass" lets a small model skip the decision the meeting exists for.
MEETING_VOTE_SCHEMA: dict[str, Any] = {
    **MEETING_SCHEMA,
    "properties": {
        **MEETING_SCHEMA["properties"],
        "action": {"type": "string", "enum": ["vote"]},
        "position": {"type": "string", "enum": list(POSITIONS)},
    },
}

FORUM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": list(FORUM_ACTIONS)},
        "target": {"type": ["string", "null"]},
        "text": {"type": ["string", "null"]},
        "reason": {"type": "string"},
    },
    "required": ["action", "target", "text", "reason"],
    "additionalProperties": False,
}
