"""What the run room shows, built the same way for the first paint and for live fragments.

A post on the page and a ``post`` event on the websocket become the same ``PostView``, so the
server-rendered feed and the live one cannot drift apart. Avatars are generated (an SVG circle
with initials, its colour from a hash of the handle): nothing is fetched from anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify

from simulations.analysis.sentiment import Sentiment, default_classifier

# Colours with enough contrast for white initials (WCAG AA for large text).
AVATAR_COLOURS = (
    "#1d4ed8", "#7c3aed", "#be185d", "#b91c1c", "#c2410c", "#a16207",
    "#15803d", "#0f766e", "#0e7490", "#4338ca", "#6d28d9", "#374151",
)  # fmt: skip
RESPONSE_KINDS = ("reply", "quote")
MAX_SEGMENT_VALUES = 8


def avatar_svg(handle: str, size: int = 32) -> SafeString:
    """An inline SVG avatar: initials on a colour chosen by a hash of the handle."""
    clean = (handle or "?").lstrip("@")
    digest = hashlib.sha256(clean.lower().encode()).digest()
    colour = AVATAR_COLOURS[digest[0] % len(AVATAR_COLOURS)]
    letters = [c for c in clean if c.isalnum()]
    initials = ("".join(letters[:2]) or "?").upper()
    return format_html(
        '<svg class="avatar" width="{}" height="{}" viewBox="0 0 40 40" role="img" aria-label="@{}">'
        '<circle cx="20" cy="20" r="20" fill="{}"></circle>'
        '<text x="20" y="25.5" text-anchor="middle" font-size="15" font-weight="600" '
        'font-family="system-ui, sans-serif" fill="#ffffff">{}</text></svg>',
        size,
        size,
        clean,
        colour,
        initials,
    )


def persona_url(author_key: str | int | None, panel_id: int | None) -> str:
    """The persona page (within the run's panel) of an author that is a persona (numeric key)."""
    key = str(author_key or "")
    if not key.isdigit() or panel_id is None:
        return ""
    try:
        return reverse("persona_detail", kwargs={"panel_id": panel_id, "persona_id": int(key)})
    except NoReverseMatch:
        return ""


def optional_url(name: str, *args: Any) -> str:
    """``reverse(name, args)`` or "" when that page does not exist (built by another module)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- segments -----------------------------------------------------------------------------------


def _trait_values(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted({str(v) for v in value if v not in (None, "")})
    if isinstance(value, (str, int, bool)):
        return [str(value)]
    return []


def segment_token(key: str, value: str) -> str:
    return f"{slugify(key)}--{slugify(value)}"


def segment_tokens(traits: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(segment_token(k, v) for k, value in traits.items() for v in _trait_values(value))


def segment_options(personas: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(token, "trait: value") for traits that split the panel into 2..8 groups."""
    values: dict[str, set[str]] = {}
    for persona in personas:
        for key, value in (persona.get("traits") or {}).items():
            values.setdefault(key, set()).update(_trait_values(value))
    return [
        (segment_token(key, v), f"{key.replace('_', ' ')}: {v}")
        for key in sorted(values)
        if 2 <= len(values[key]) <= MAX_SEGMENT_VALUES
        for v in sorted(values[key])
    ]


def segments_by_author(personas: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    return {str(p["id"]): segment_tokens(p.get("traits") or {}) for p in personas}


# --- posts ---------------------------------------------------------------------------------------


@dataclass
class PostView:
    key: str
    step: int
    kind: str
    text: str
    author_key: str
    author_handle: str
    parent_key: str
    is_stimulus: bool
    stimulus_key: str
    likes: int
    reposts: int
    quotes: int
    replies: int
    impressions: int
    downvotes: int = 0  # forum only
    community: str = ""  # forum only
    negative: bool = False
    segments: tuple[str, ...] = ()
    in_segment: bool = False
    persona_url: str = ""
    image_url: str = ""
    reason: str = ""  # why the agent wrote it, in its own words (its decision's "reason")
    children: list[PostView] = field(default_factory=list)

    @property
    def avatar(self) -> SafeString:
        return avatar_svg(self.author_handle)

    @property
    def segment_attr(self) -> str:
        return " ".join(self.segments)


def _field(row: Any, name: str, default: Any = "") -> Any:
    return row.get(name, default) if isinstance(row, Mapping) else getattr(row, name, default)


def post_views(
    rows: Iterable[Any],
    *,
    segments: Mapping[str, tuple[str, ...]] | None = None,
    segment: str = "",
    image_urls: Mapping[str, str] | None = None,
    panel_id: int | None = None,
    reasons: Mapping[str, str] | None = None,
) -> list[PostView]:
    """``RunPost`` rows or ``post`` event payloads as views; replies and quotes get a sentiment;
    ``reasons`` maps a post key to the reason its author gave for writing it."""
    rows = list(rows)
    views = [
        PostView(
            key=_field(row, "post_key"),
            step=_field(row, "step", 0),
            kind=_field(row, "kind", "post"),
            text=_field(row, "text"),
            author_key=str(_field(row, "author_key")),
            author_handle=_field(row, "author_handle"),
            parent_key=_field(row, "parent_key") or "",
            is_stimulus=bool(_field(row, "is_stimulus", False)),
            stimulus_key=_field(row, "stimulus_key") or "",
            likes=_field(row, "likes", 0),
            reposts=_field(row, "reposts", 0),
            quotes=_field(row, "quotes", 0),
            replies=_field(row, "replies", 0),
            impressions=_field(row, "impressions", 0),
            downvotes=_field(row, "downvotes", 0),
            community=_field(row, "community") or "",
        )
        for row in rows
    ]
    responses = [v for v in views if v.kind in RESPONSE_KINDS and v.text]
    labels = default_classifier().classify([v.text for v in responses]) if responses else []
    for view, label in zip(responses, labels):
        view.negative = label.sentiment is Sentiment.NEGATIVE
    urls: dict[str, str] = {}
    for view in views:
        view.segments = (segments or {}).get(view.author_key, ())
        view.in_segment = bool(segment) and segment in view.segments
        if view.author_key not in urls:
            urls[view.author_key] = persona_url(view.author_key, panel_id)
        view.persona_url = urls[view.author_key]
        view.image_url = (image_urls or {}).get(view.stimulus_key, "")
        view.reason = (reasons or {}).get(view.key, "")
    return views


def thread_tree(views: list[PostView]) -> list[PostView]:
    """Roots in order, each with its replies, quotes and reposts nested by ``parent_key``."""
    by_key = {v.key: v for v in views}
    roots = []
    for view in views:
        parent = by_key.get(view.parent_key) if view.parent_key else None
        if parent is None:
            roots.append(view)
        else:
            parent.children.append(view)
    return roots


# --- progress ------------------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {(seconds % 3600) // 60:02d} min"


def progress_view(
    payload: Mapping[str, Any], *, started_at: datetime | None, fork_step: int | None, now: datetime
) -> dict[str, Any]:
    """The progress panel: step, actions, tokens, money vs budget, and an ETA from the average
    duration of the steps this run has taken so far (a fork's inherited steps do not count)."""
    status = payload.get("status", "")
    next_step = int(payload.get("next_step") or 0)
    total = int(payload.get("total_steps") or 0)
    cost = float(payload.get("cost_usd") or 0)
    budget = payload.get("budget_usd")
    taken = next_step - (fork_step or 0)
    eta = ""
    if status in ("queued", "running") and started_at is not None and taken > 0 and next_step < total:
        per_step = (now - started_at).total_seconds() / taken
        eta = format_duration(per_step * (total - next_step))
    return {
        "status": status,
        "step": next_step,
        "total_steps": total,
        "bar": total if status == "completed" else next_step,  # a meeting may close before its last step
        "percent": 100 if status == "completed" or not total else round(100 * next_step / total),
        "actions": payload.get("actions", 0),
        "input_tokens": payload.get("input_tokens", 0),
        "output_tokens": payload.get("output_tokens", 0),
        "cost_usd": cost,
        "budget_usd": float(budget) if budget is not None else None,
        "eta": eta,
    }
