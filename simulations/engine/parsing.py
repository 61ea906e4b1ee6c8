"""Tolerant reading of a model's answer: find the JSON, normalise it, map P-ids to posts.

Small models wrap JSON in prose or code fences, capitalise actions, say "retweet" for repost or
"P3." for P3. Everything that can be read unambiguously is accepted; what cannot comes back as
a short problem text, which the caller sends back once as a correction note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from simulations.engine.actions import MAX_TEXT_CHARS
from simulations.engine.schemas import FEED_ACTIONS
from simulations.engine.turns import Decision

MAX_REASON_CHARS = 120
_FENCE = re.compile(r"```(?:json)?", re.IGNORECASE)
_P_ID = re.compile(r"^\[?(?:p|post|#)?\s*#?(\d+)\]?\.?$", re.IGNORECASE)
_NULLS = {"", "null", "none", "nil", "n/a", "-"}

ACTION_SYNONYMS: Mapping[str, str] = {
    "retweet": "repost", "share": "repost", "boost": "repost", "rt": "repost",
    "comment": "reply", "respond": "reply", "answer": "reply",
    "quote_post": "quote", "quote-tweet": "quote", "quote_tweet": "quote",
    "favorite": "like", "favourite": "like", "heart": "like", "upvote": "like",
    "tweet": "post", "write": "post", "publish": "post",
    "block": "mute", "flag": "report",
    "skip": "ignore", "none": "ignore", "nothing": "ignore", "pass": "ignore", "scroll": "ignore",
}  # fmt: skip
NEEDS_TEXT = frozenset({"post", "reply", "quote"})
NEEDS_POST = frozenset({"reply", "quote", "repost", "like", "report"})
NEEDS_ACCOUNT = frozenset({"follow", "unfollow", "mute"})


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text`` (prose, code fences and single quotes tolerated)."""
    cleaned = _FENCE.sub("", text).strip()
    for candidate in [cleaned, *_objects(cleaned)]:
        for variant in (candidate, candidate.replace("'", '"')):
            try:
                value = json.loads(variant)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _objects(text: str) -> list[str]:
    """Balanced ``{...}`` spans, outermost first, skipping braces inside strings."""
    spans: list[str] = []
    depth, start, quote, escaped = 0, 0, "", False
    for i, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char == '"' or (char == "'" and depth > 0):  # an apostrophe in prose is not a quote
            quote = char
        elif char == "{":
            if depth == 0:
                start = i
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def payload_of(data: Mapping[str, Any] | None, text: str) -> dict[str, Any] | None:
    """The answer as a dict with lower-cased keys, from parsed ``data`` or from raw ``text``."""
    found = dict(data) if isinstance(data, Mapping) else extract_json(text)
    if found is None:
        return None
    return {str(key).strip().lower(): value for key, value in found.items()}


def clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _NULLS else text


def normalise_action(value: Any, synonyms: Mapping[str, str] = ACTION_SYNONYMS) -> str | None:
    text = clean_str(value)
    if text is None:
        return None
    name = text.lower().strip(" .!\"'").replace(" ", "_")
    return synonyms.get(name, name)


def post_ref(target: str | None, feed: Sequence[str]) -> tuple[str | None, str | None]:
    """``(post id, problem)`` for a P-id like ``P3``, ``p3``, ``[P3]``, ``#3`` or ``3``."""
    if target is None:
        return None, None
    match = _P_ID.match(target.strip())
    if not match:
        return None, None
    index = int(match.group(1))
    if not 1 <= index <= len(feed):
        span = f"P1..P{len(feed)}" if feed else "none: your feed is empty"
        return None, f"there is no P{index} in your feed ({span})"
    return feed[index - 1], None


def parse_feed_decision(payload: Mapping[str, Any], feed: Sequence[str]) -> Decision | str:
    """A feed decision, or the problem to send back as a correction."""
    action = normalise_action(payload.get("action"))
    if action not in FEED_ACTIONS:
        return f"unknown action {payload.get('action')!r}; use one of {', '.join(FEED_ACTIONS)}"
    target = clean_str(payload.get("target"))
    text = clean_str(payload.get("text"))
    reason = (clean_str(payload.get("reason")) or "")[:MAX_REASON_CHARS]
    post_id, problem = post_ref(target, feed)
    if problem:
        return problem
    if action in NEEDS_TEXT and not text:
        return f"{action} needs a text"
    if action in NEEDS_POST and post_id is None:
        return f"{action} needs a target feed id such as P1"
    handle = None
    if action in NEEDS_ACCOUNT and post_id is None:
        if not target:
            return f"{action} needs a target: a feed id (its author) or an @handle"
        handle = target.lstrip("@")
    return Decision(
        action=action,
        target_post_id=post_id if action in NEEDS_POST | NEEDS_ACCOUNT else None,
        target_handle=handle,
        text=text[:MAX_TEXT_CHARS] if text and action in NEEDS_TEXT else None,
        reason=reason,
    )
