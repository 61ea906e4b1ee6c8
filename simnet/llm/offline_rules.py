"""What the offline model is asked, field by field: a closed choice or a short free text.

A decision schema is read into one field per property, in the schema's order: enums, constants,
booleans and nulls become a ``Choice`` the model picks from; free strings become ``Text`` it
writes under a token cap. For the engine's two formats the choices are narrowed further to what
the world accepts (the rules of ``simulations.engine.parsing`` and ``roundtable``): a like names
a post that is in the feed, a post carries text, an ignore carries none. The model still makes
every choice; it is only never offered an answer the engine would reject, which is what keeps a
135M model's decisions usable on the first try. Schemas outside this flat subset get ``None``
(the caller then falls back to a llama.cpp grammar).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simnet.llm.base import Situation

TEXT_TOKENS = 40  # a post, reply or quote: closed at its first sentence end after 16 tokens
SPEECH_TOKENS = 60  # a meeting contribution ("under 60 words" in the meeting rules)
REASON_TOKENS = 12  # "a few words"
FREE_TOKENS = 32  # any other free string

# The feed format's requirements (simulations/engine/parsing.py; tests check they agree).
NEEDS_TEXT = frozenset({"post", "reply", "quote"})
NEEDS_POST = frozenset({"reply", "quote", "repost", "like", "report"})
NEEDS_ACCOUNT = frozenset({"follow", "unfollow", "mute"})
POSITIONS = ("for", "against", "abstain")
OUTSIDE_PREFIX = "ext:"  # author ids of outside accounts (brands): never followed (engine/world.py)


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]  # JSON values; the model picks one


@dataclass(frozen=True)
class Text:
    max_tokens: int
    nullable: bool = False  # the model may answer null instead
    max_chars: int | None = None  # the schema's maxLength, applied after writing


Field = Choice | Text


class AnswerPlan:
    """The fields of one answer; ``field`` may depend on the values already chosen."""

    def __init__(self, fields: Mapping[str, Field]) -> None:
        self.fields = dict(fields)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def field(self, key: str, answered: Mapping[str, Any]) -> Field:
        return self.fields[key]


class FeedPlan(AnswerPlan):
    """A feed decision: targets are the feed's P-ids the action can apply to, text only where needed."""

    def __init__(self, fields: Mapping[str, Field], situation: Situation) -> None:
        super().__init__(fields)
        own = situation.agent_id
        items = list(enumerate(situation.feed, start=1))
        others = [f"P{i}" for i, item in items if item.author_id != own]
        self.targets: dict[str, tuple[str, ...]] = {
            **{action: tuple(others) for action in NEEDS_POST | {"mute"}},
            "follow": tuple(
                f"P{i}"
                for i, item in items
                if item.author_id != own
                and not item.author_followed
                and not item.author_id.startswith(OUTSIDE_PREFIX)
            ),
            "unfollow": tuple(f"P{i}" for i, item in items if item.author_followed),
        }
        action = self.fields["action"]
        if isinstance(action, Choice):
            possible = tuple(a for a in action.values if a not in self.targets or self.targets[a])
            self.fields["action"] = Choice(possible or action.values)

    def field(self, key: str, answered: Mapping[str, Any]) -> Field:
        action = answered.get("action")
        if key == "target":
            return Choice(self.targets.get(action) or (None,))
        if key == "text":
            if action not in NEEDS_TEXT:
                return Choice((None,))
            base = self.fields["text"]
            if isinstance(base, Text):
                return Text(min(base.max_tokens, TEXT_TOKENS), max_chars=base.max_chars)
            return Text(TEXT_TOKENS)
        return self.fields[key]


class MeetingPlan(AnswerPlan):
    """A meeting turn: pass says nothing; a speaker says something and may answer another member
    by handle; a vote takes a position and gives its reason."""

    def __init__(self, fields: Mapping[str, Field], situation: Situation) -> None:
        super().__init__(fields)
        handles = dict.fromkeys(
            f"@{i.author_handle}" for i in situation.feed if i.author_id != situation.agent_id
        )
        self.handles = tuple(handles)

    def field(self, key: str, answered: Mapping[str, Any]) -> Field:
        action = answered.get("action")
        if action == "pass" and key in ("target", "text", "position"):
            return Choice((None,))
        if action == "vote" and key == "text":
            # A small model's words with its vote echo the call ("position for, against or
            # abstain"); its reason says why, and the minutes print that.
            return Choice((None,))
        if key == "target":
            return Choice((None, *self.handles)) if action == "speak" else Choice((None,))
        if key == "text":
            base = self.fields["text"]
            return Text(min(SPEECH_TOKENS, base.max_tokens) if isinstance(base, Text) else SPEECH_TOKENS)
        if key == "position":
            return Choice(POSITIONS) if action == "vote" else Choice((None, *POSITIONS))
        return self.fields[key]


def plan_for(schema: Mapping[str, Any], situation: Situation | None, max_tokens: int) -> AnswerPlan | None:
    """The plan for ``schema``, narrowed by the situation's format; None outside the flat subset."""
    fields = schema_fields(schema, max_tokens)
    if fields is None:
        return None
    fmt = situation.format if situation is not None else None
    if fmt == "feed" and situation is not None and _has(fields, "action", "target", "text"):
        return FeedPlan(fields, situation)
    if fmt == "roundtable" and situation is not None and _has(fields, "action", "target", "text", "position"):
        return MeetingPlan(fields, situation)
    return AnswerPlan(fields)


def _has(fields: Mapping[str, Field], *keys: str) -> bool:
    return all(key in fields for key in keys) and isinstance(fields["action"], Choice)


def schema_fields(schema: Mapping[str, Any], max_tokens: int) -> dict[str, Field] | None:
    """One field per property of an object schema, or None when a property is not a choice or a
    plain string (numbers, arrays, nested objects, patterns)."""
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), Mapping):
        return None
    properties: Mapping[str, Any] = schema["properties"]
    free = sum(_is_free_string(node) for node in properties.values())
    share = max(1, max_tokens // (free + 1))
    fields: dict[str, Field] = {}
    for key, node in properties.items():
        field = _field(key, node, share)
        if field is None:
            return None
        fields[key] = field
    return fields or None


def _types(node: Mapping[str, Any]) -> set[str]:
    types = node.get("type")
    return set(types) if isinstance(types, list) else {types} if isinstance(types, str) else set()


def _is_free_string(node: Mapping[str, Any]) -> bool:
    return "string" in _types(node) and "enum" not in node and "const" not in node


def _field(key: str, node: Any, share: int) -> Field | None:
    if not isinstance(node, Mapping):
        return None
    if "enum" in node:
        return Choice(tuple(dict.fromkeys(node["enum"]))) if node["enum"] else None
    if "const" in node:
        return Choice((node["const"],))
    types = _types(node)
    if types == {"null"}:
        return Choice((None,))
    if types in ({"boolean"}, {"boolean", "null"}):
        return Choice((True, False, *([None] if "null" in types else [])))
    if types in ({"string"}, {"string", "null"}) and not {"pattern", "format"} & node.keys():
        cap = REASON_TOKENS if key == "reason" else FREE_TOKENS
        return Text(min(cap, share), nullable="null" in types, max_chars=node.get("maxLength"))
    return None
