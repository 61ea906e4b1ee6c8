"""What a model writing a run's narrative report may call, what it is told, and how its citations
are checked.

The model reads the run only through these tools (the statistical report's numbers, threads,
quotes, interviews of its agents), so every claim it makes can come from the run's own data; and
it must cite the posts it relies on as ``[post:<key>]``. After it writes, every cited key is
looked up among the run's stored posts: a key that names no post is removed from the text and
counted, never shown as if it were evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from simnet.llm.tool_use import ToolSpec

CITATION = re.compile(r"\[post:\s*([^\]\s]{1,64})\s*\]")
MAX_QUOTES = 40
MAX_THREADS = 10

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "get_metrics",
        "The run's statistical report: engagement totals, backlash risk and its signals, sentiment and "
        "stance of replies and quotes, each stimulus's cascade, themes, and the trust notes.",
        {"type": "object", "properties": {}, "additionalProperties": False},
    ),
    ToolSpec(
        "list_threads",
        "The run's threads, most engaged first: each root post with its key, author, step, text and "
        "counters. Give root_key to get that one thread as a tree (every reply and quote below it).",
        {
            "type": "object",
            "properties": {
                "root_key": {"type": "string", "description": "a post key, e.g. p3"},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_THREADS},
            },
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "search_quotes",
        "Replies and quotes with their post keys, authors and steps; filter by words they contain.",
        {
            "type": "object",
            "properties": {
                "contains": {"type": "string", "description": "words the text must contain (case-blind)"},
                "kind": {"type": "string", "enum": ["reply", "quote", "post"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_QUOTES},
            },
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "interview_agent",
        "Ask one agent of the run a question; it answers in character from its memory of the run. "
        "Interviews already held for this run are listed when no handle is given.",
        {
            "type": "object",
            "properties": {
                "handle": {"type": "string", "description": "the agent's handle, without @"},
                "question": {"type": "string"},
            },
            "additionalProperties": False,
        },
    ),
)

SYSTEM = (
    "You write a short narrative prediction report about one finished social-network simulation, "
    "for the person who ran it. You know nothing about the run except what the tools return: call "
    "them to read the metrics, threads, quotes, and to interview agents. Then write 4-8 short "
    "paragraphs in plain prose: what happened, why, which groups reacted how, and what this "
    "predicts, with the uncertainty the numbers carry (a small panel is weak evidence). Cite every "
    "post you rely on right after the claim as [post:<key>] with the key the tools gave (e.g. "
    "[post:p12]). Never invent a post key, a number or a quote. Say plainly when the data is too "
    "thin to conclude."
)


def prompt_for(scenario: str, question: str = "") -> str:
    ask = f" The user asks: {question.strip()}" if question.strip() else ""
    return f"Write the narrative report of the run of the scenario “{scenario}”.{ask}"


@dataclass(frozen=True)
class CheckedText:
    text: str  # the model's text, unknown citations removed
    cited: tuple[str, ...]  # post keys cited that the run has, in order of first citation
    dropped: tuple[str, ...]  # every citation of a key that names no post of the run


def check_citations(text: str, known: Collection[str]) -> CheckedText:
    """Keep ``[post:<key>]`` markers whose key is one of ``known``; remove the others."""
    cited: dict[str, None] = {}
    dropped: list[str] = []

    def keep_or_drop(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in known:
            cited[key] = None
            return f"[post:{key}]"
        dropped.append(key)
        return ""

    cleaned = CITATION.sub(keep_or_drop, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned))
    return CheckedText(cleaned.strip(), tuple(cited), tuple(dropped))


def split_citations(text: str) -> list[tuple[str, str]]:
    """``text`` as (kind, value) pieces for display: ("text", words) and ("post", key)."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in CITATION.finditer(text):
        if match.start() > position:
            pieces.append(("text", text[position : match.start()]))
        pieces.append(("post", match.group(1)))
        position = match.end()
    if position < len(text):
        pieces.append(("text", text[position:]))
    return pieces


SMALL_EXTRA_CHARS = 1500  # a section added to the report later reaches the model if it is this small
MEETING_CHARS = 4500  # a longer meeting report is summed up by its chair, influence and notes


def _pick(row: dict, *keys: str) -> dict:
    return {k: row[k] for k in keys if k in row}


def _segments(segments: list[dict]) -> list[dict]:
    """Each trait's groups with their engagement rate and negative share, side by side."""
    digest = []
    for segment in segments[:4]:
        negative = {r["segment"]: r.get("negative_share") for r in segment.get("negativity", [])}
        digest.append({
            "trait": segment["trait_key"],
            "groups": [{**_pick(r, "segment", "personas", "engagement_rate"),
                        "negative_share": negative.get(r["segment"])} for r in segment.get("engagement", [])],
        })  # fmt: skip
    return digest


def metrics_digest(report: dict) -> dict:
    """The statistical report's numbers, small enough for one tool result: the page's sections
    without their per-step rows, example texts (which carry no post key to cite) or thresholds."""
    backlash = report.get("backlash") or {}
    digest = {
        "meta": _pick(report.get("meta") or {}, "status", "next_step", "total_steps", "personas", "actions",
                      "provider", "model"),
        "totals": {k: v for k, v in (report.get("totals") or {}).items() if k != "step"},
        "sentiment": report.get("sentiment"),
        "backlash": {
            **_pick(backlash, "level", "label", "summary", "score"),
            "signals": [_pick(s, "name", "value", "points") for s in backlash.get("signals", [])],
            "amplifiers": [_pick(a, "handle", "critical_posts", "engagements", "reach")
                           for a in backlash.get("amplifiers", [])[:5]],
        },
        "stimuli": [
            {"post_key": s["cascade"].get("stimulus_post_id"),
             "cascade": _pick(s["cascade"], "size", "depth", "descendant_posts", "engagements", "peak_step",
                              "seen_by", "audience"),
             "negative_share": s["sentiment"].get("negative_share"), "responses": s["sentiment"].get("responses"),
             "backlash": s["backlash"].get("label")}
            for s in report.get("stimuli", [])
        ],
        "themes": [_pick(t, "label", "size", "share", "is_accusation", "is_joke") | {"terms": t.get("terms", [])[:6]}
                   for t in (report.get("themes") or {}).get("themes", [])],
        "segments": _segments(report.get("segments") or []),
        "trust": {"headline": (report.get("trust") or {}).get("headline"),
                  "notes": [_pick(n, "level", "title") for n in (report.get("trust") or {}).get("notes", [])]},
        "diagnostics": [_pick(c, "name", "simulated", "real", "ratio", "flagged")
                        for c in ((report.get("diagnostics") or {}).get("checks") or [])],
    }  # fmt: skip
    if meeting := report.get("meeting"):  # a roundtable's report: its minutes and votes are its numbers
        small = len(json.dumps(meeting, default=str)) <= MEETING_CHARS
        digest["meeting"] = meeting if small else _pick(meeting, "chair", "closed", "influence", "notes")
    known = {
        *digest,
        "steps",
        "responses",
        "handles",
        "version",
        "model_driven",
        "run_id",
        "variant",
        "meeting",
    }
    for key, value in report.items():
        if key not in known and value and len(json.dumps(value, default=str)) <= SMALL_EXTRA_CHARS:
            digest[key] = value
    return {k: v for k, v in digest.items() if v not in (None, [], {})}
