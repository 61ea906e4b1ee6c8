"""The draft a brief becomes before it is a world: stakeholders, opening posts, a closing question.

One shape for what the model extracted and for what a person edited, checked by one function
(``clean_draft``), so an edit can never store what an extraction could not, and the model's
answer gets exactly the same clear refusals as a form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

STAKEHOLDERS_RANGE = (2, 30)
POSTS_RANGE = (1, 20)
MAX_GROUPS = 5
MAX_STEP = 50
LIMITS = {
    "name": 120,
    "stance": 400,
    "interests": 400,
    "bio": 600,
    "group": 60,
    "text": 1000,
    "question": 500,
}
HANDLE = re.compile(r"[A-Za-z0-9_]{1,30}")


class DraftInvalid(ValueError):
    """A draft that cannot become a world: ``fields`` maps a place ("stakeholders.2.name") to what is wrong."""

    def __init__(self, message: str, fields: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class Stakeholder:
    name: str
    handle: str
    stance: str
    interests: str = ""
    groups: tuple[str, ...] = ()
    bio: str = ""


@dataclass(frozen=True)
class OpeningPost:
    author: str  # a stakeholder's handle, or an outside account's
    text: str
    step: int = 0


@dataclass(frozen=True)
class Draft:
    stakeholders: tuple[Stakeholder, ...]
    posts: tuple[OpeningPost, ...]
    question: str
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for person in data["stakeholders"]:
            person["groups"] = list(person["groups"])
        return data


def handle_for(name: str, taken: set[str]) -> str:
    """A handle made from ``name`` (letters, digits, _), unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:26] or "stakeholder"
    handle, n = base, 2
    while handle.lower() in {t.lower() for t in taken}:
        handle, n = f"{base}_{n}", n + 1
    return handle


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit] if not isinstance(value, (dict, list)) else ""


def _groups(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    seen: dict[str, str] = {}
    for item in items:
        group = _text(item, LIMITS["group"])
        if group:
            seen.setdefault(group.casefold(), group)
    return tuple(seen.values())[:MAX_GROUPS]


def _stakeholders(items: list, errors: dict[str, list[str]]) -> tuple[Stakeholder, ...]:
    people: list[Stakeholder] = []
    taken: set[str] = set()
    for i, item in enumerate(items):
        item = item if isinstance(item, Mapping) else {}
        name, stance = _text(item.get("name"), LIMITS["name"]), _text(item.get("stance"), LIMITS["stance"])
        if not name:
            errors[f"stakeholders.{i}.name"] = ["Give the stakeholder a name."]
        if not stance:
            errors[f"stakeholders.{i}.stance"] = ["Say where this stakeholder stands."]
        wanted = str(item.get("handle") or "").strip().lstrip("@")
        if wanted and (not HANDLE.fullmatch(wanted) or wanted.lower() in {t.lower() for t in taken}):
            errors[f"stakeholders.{i}.handle"] = [
                "Use a handle of up to 30 letters, digits or _, not used twice."
            ]
        handle = wanted or handle_for(name, taken)
        taken.add(handle)
        people.append(
            Stakeholder(
                name=name, handle=handle, stance=stance,
                interests=_text(item.get("interests"), LIMITS["interests"]),
                groups=_groups(item.get("groups")), bio=_text(item.get("bio"), LIMITS["bio"]),
            )
        )  # fmt: skip
    return tuple(people)


def _posts(items: list, handles: set[str], errors: dict[str, list[str]]) -> tuple[OpeningPost, ...]:
    posts: list[OpeningPost] = []
    by_name = {h.lower(): h for h in handles}
    for i, item in enumerate(items):
        item = item if isinstance(item, Mapping) else {}
        text = str(item.get("text") or "").strip()[: LIMITS["text"]]
        author = str(item.get("author") or "").strip().lstrip("@")
        author = by_name.get(author.lower(), author)
        if not text:
            errors[f"posts.{i}.text"] = ["Write the post."]
        if not HANDLE.fullmatch(author):
            errors[f"posts.{i}.author"] = [
                "Name a stakeholder's handle, or an outside account (letters, digits, _)."
            ]
        try:
            step = int(item.get("step") or 0)
        except (TypeError, ValueError):
            step = -1
        if not 0 <= step <= MAX_STEP:
            errors[f"posts.{i}.step"] = [f"A step between 0 and {MAX_STEP}."]
        posts.append(OpeningPost(author=author, text=text, step=max(step, 0)))
    return tuple(posts)


def _count_errors(data: Mapping, errors: dict[str, list[str]]) -> None:
    for key, (low, high), what in (
        ("stakeholders", STAKEHOLDERS_RANGE, "stakeholders"),
        ("posts", POSTS_RANGE, "opening posts"),
    ):
        n = len(data.get(key) or []) if isinstance(data.get(key), list) else 0
        if not low <= n <= high:
            errors[key] = [f"A world needs {low} to {high} {what}; this draft has {n}."]


def clean_draft(data: Any) -> Draft:
    """The checked draft in ``data`` (a model's JSON or a person's edit); ``DraftInvalid`` says what is wrong."""
    if not isinstance(data, Mapping):
        raise DraftInvalid("The draft is not a JSON object.", {"draft": ["Expected an object."]})
    errors: dict[str, list[str]] = {}
    _count_errors(data, errors)
    people = _stakeholders(
        data.get("stakeholders") if isinstance(data.get("stakeholders"), list) else [], errors
    )
    posts = _posts(
        data.get("posts") if isinstance(data.get("posts"), list) else [], {p.handle for p in people}, errors
    )
    question = _text(data.get("question"), LIMITS["question"])
    if not question:
        errors["question"] = ["Write the question to ask every persona at the end."]
    if errors:
        raise DraftInvalid("The draft has problems; see the fields.", errors)
    return Draft(people, posts, question, summary=_text(data.get("summary"), 600))
