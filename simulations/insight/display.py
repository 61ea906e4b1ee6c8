"""What the report pages draw: Chart.js configurations and the cascade tree as server-side SVG.

Charts are plain JSON (``{"type", "data", "options"}``) that the page embeds with
``json_script`` and ``static/js/charts.js`` hands to Chart.js, because the content security
policy forbids inline scripts. Colours with a meaning (negative is red) are set here; the
rest come from the script's palette. The cascade graph is drawn on the server: a small SVG
tree (stimulus on top, each reply, quote or repost below what it answers), coloured by tone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from simulations.analysis.metrics import descendants, thread_children, thread_parents
from simulations.analysis.records import PostRecord

NEGATIVE, NEUTRAL, POSITIVE = "#c0392b", "#9ca3af", "#1e8449"
STEP_SERIES = (("likes", "Likes"), ("reposts", "Reposts"), ("quotes", "Quotes"), ("replies", "Replies"),
               ("follows", "Follows"))  # fmt: skip
MAX_TREE_NODES = 150
NODE_GAP_X, LEVEL_GAP_Y, MARGIN = 22, 56, 16


def _share(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def step_chart(steps: Sequence[Mapping[str, Any]]) -> dict:
    """Engagements per step by kind, impressions on a second axis."""
    datasets: list[dict[str, Any]] = [
        {"label": label, "data": [s[key] for s in steps], "yAxisID": "y"} for key, label in STEP_SERIES
    ]
    datasets.append(
        {
            "label": "Impressions",
            "data": [s["impressions"] for s in steps],
            "yAxisID": "y1",
            "borderDash": [4, 4],
        }
    )
    return {
        "type": "line",
        "data": {"labels": [f"Step {s['step']}" for s in steps], "datasets": datasets},
        "options": {
            "scales": {
                "y": {"beginAtZero": True, "title": {"display": True, "text": "actions"}},
                "y1": {
                    "beginAtZero": True,
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": "impressions"},
                },
            }
        },
    }


def segment_chart(rows: Sequence[Mapping[str, Any]]) -> dict:
    """Share of each segment that engaged, and share of its responses that were negative (%)."""
    return {
        "type": "bar",
        "data": {
            "labels": [r["segment"] for r in rows],
            "datasets": [
                {"label": "Engaged (% of segment)", "data": [_share(r["engaged_share"]) for r in rows]},
                {
                    "label": "Negative (% of its replies)",
                    "data": [_share(r["negative_share"]) for r in rows],
                    "backgroundColor": NEGATIVE,
                },
            ],
        },
        "options": {
            "scales": {"y": {"beginAtZero": True, "max": 100, "title": {"display": True, "text": "%"}}}
        },
    }


def sentiment_chart(sentiment: Mapping[str, Any]) -> dict:
    return {
        "type": "doughnut",
        "data": {
            "labels": ["Negative", "Neutral", "Positive"],
            "datasets": [
                {
                    "label": "Replies and quotes",
                    "data": [sentiment["negative"], sentiment["neutral"], sentiment["positive"]],
                    "backgroundColor": [NEGATIVE, NEUTRAL, POSITIVE],
                }
            ],
        },
        "options": {},
    }


def theme_chart(themes: Sequence[Mapping[str, Any]]) -> dict:
    colours = [NEGATIVE if t["is_accusation"] else "#f59e0b" if t["is_joke"] else "#3b82f6" for t in themes]
    return {
        "type": "bar",
        "data": {
            "labels": [t["label"] for t in themes],
            "datasets": [
                {"label": "Responses", "data": [t["size"] for t in themes], "backgroundColor": colours}
            ],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
    }


def cascade_chart(cascade: Mapping[str, Any]) -> dict:
    by_step = cascade["engagements_by_step"]
    first = cascade["injected_step"]
    last = max([first, *(int(s) for s in by_step)])
    steps = range(first, last + 1)
    return {
        "type": "bar",
        "data": {
            "labels": [f"Step {s}" for s in steps],
            "datasets": [{"label": "Engagements", "data": [by_step.get(str(s), 0) for s in steps]}],
        },
        "options": {"plugins": {"legend": {"display": False}}},
    }


def interval_chart(
    variants: Sequence[str], intervals: Sequence[Mapping[str, Any] | None], label: str
) -> dict:
    """One metric across variants: the 95% interval as a floating bar, the mean as a dot."""
    return {
        "type": "bar",
        "data": {
            "labels": list(variants),
            "datasets": [
                {
                    "type": "bar",
                    "label": "95% interval",
                    "data": [[i["low"], i["high"]] if i else None for i in intervals],
                    "backgroundColor": "rgba(37, 99, 235, 0.35)",
                    "order": 2,  # drawn first, under the mean
                },
                {
                    "type": "line",
                    "label": label,
                    "data": [i["estimate"] if i else None for i in intervals],
                    "showLine": False,
                    "pointRadius": 6,
                    "backgroundColor": "#111827",
                    "order": 1,
                },
            ],
        },
        "options": {"plugins": {"legend": {"display": False}}},
    }


# --- the cascade tree --------------------------------------------------------------------------


def _layout(root: str, children: Mapping[str, list[str]], keep: set[str]) -> dict[str, tuple[float, int]]:
    """post id -> (x slot, depth): leaves take consecutive slots, a parent sits over its children."""
    position: dict[str, tuple[float, int]] = {}
    next_slot = 0

    def place(post_id: str, depth: int) -> float:
        nonlocal next_slot
        kids = [c for c in children.get(post_id, ()) if c in keep]
        if not kids:
            x = float(next_slot)
            next_slot += 1
        else:
            xs = [place(kid, depth + 1) for kid in kids]
            x = (xs[0] + xs[-1]) / 2
        position[post_id] = (x, depth)
        return x

    place(root, 0)
    return position


def cascade_svg(
    posts: Sequence[PostRecord],
    root: str,
    tones: Mapping[str, str],
    handles: Mapping[str, str],
    max_nodes: int = MAX_TREE_NODES,
) -> tuple[SafeString, int]:
    """(SVG of the cascade below ``root``, posts left out to keep it readable)."""
    children = thread_children(posts)
    depth = descendants(posts, root, children)
    by_id = {p.post_id: p for p in posts}
    order = sorted(depth, key=lambda pid: (depth[pid], by_id[pid].step, pid))
    keep = set(order[:max_nodes])
    for post_id in children:
        children[post_id].sort(key=lambda pid: (by_id[pid].step, pid))
    position = _layout(root, children, keep)
    width = int(max(x for x, _ in position.values()) * NODE_GAP_X + 2 * MARGIN)
    height = int(max(d for _, d in position.values()) * LEVEL_GAP_Y + 2 * MARGIN)

    def xy(post_id: str) -> tuple[int, int]:
        x, d = position[post_id]
        return int(MARGIN + x * NODE_GAP_X), int(MARGIN + d * LEVEL_GAP_Y)

    parents = thread_parents(posts)
    parts = []
    for post_id in order[:max_nodes]:
        parent = parents.get(post_id)
        if parent is not None and post_id != root:
            (x1, y1), (x2, y2) = xy(parent), xy(post_id)
            parts.append(format_html('<line class="edge" x1="{}" y1="{}" x2="{}" y2="{}"/>', x1, y1, x2, y2))
    for post_id in order[:max_nodes]:
        post = by_id[post_id]
        x, y = xy(post_id)
        kind = "root" if post_id == root else str(post.kind)
        tone = tones.get(post_id, "none")
        title = f"@{handles.get(post.author_id, post.author_id)} · {kind} · step {post.step}"
        if post.text:
            title += f": {post.text[:160]}"
        parts.append(
            format_html(
                '<circle class="node node-{} tone-{}" cx="{}" cy="{}" r="{}"><title>{}</title></circle>',
                kind,
                tone,
                x,
                y,
                9 if post_id == root else 6,
                title,
            )
        )
    svg = (
        f'<svg class="cascade-graph" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Cascade of the stimulus">'
        + "".join(parts)
        + "</svg>"
    )
    return mark_safe(svg), len(order) - len(keep)  # every part above is escaped by format_html
