"""When not to trust a run: the honesty notes every report shows, from the report JSON alone.

Simulated people are known to be more uniform and more agreeable than real ones, small
models judge poorly, the rule baseline writes templates, and a few responses make any share
noisy. Each note names one such reason found in this run, with a level:

- ``warning``: the numbers it concerns are likely wrong (voices collapsed against the real
  history, many failed decisions, a run that stopped early, identical replies);
- ``caution``: read them with care (no real history to check against, too few responses,
  template texts, a run still going);
- ``info``: context that does not lower trust.

The overall level is the worst note's; the headline says in one sentence what to do with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

FAILED_SHARE_WARNING = 0.10  # failed or refused decisions above this share under-count reactions
DUPLICATE_SHARE_WARNING = 0.30  # replies repeating another word for word above this share
MIN_RESPONSES_FOR_DUPLICATES = 5
LEVELS = ("ok", "info", "caution", "warning")

HEADLINES = {
    "warning": "Do not act on this run alone: the warnings below say which numbers are likely wrong.",
    "caution": "Read this run with care: the notes below say what it cannot tell you.",
    "ok": "No warning signs found. It is still a simulation: check big decisions with a backtest "
    "against real reactions.",
}


def _note(level: str, title: str, text: str) -> dict[str, str]:
    return {"level": level, "title": title, "text": text}


def _diagnostic_notes(data: Mapping[str, Any]) -> list[dict[str, str]]:
    diagnostics = data.get("diagnostics")
    meta = data["meta"]
    if not diagnostics or not diagnostics.get("personas_compared"):
        why = (
            f"None of this run's {meta['personas']} personas has imported history"
            if not meta.get("personas_with_history")
            else f"The {meta['personas_with_history']} personas with imported history did nothing in this run"
        )
        return [
            _note(
                "caution",
                "Not checked against real behaviour",
                f"{why}, so we cannot check whether the simulated people are more uniform or more agreeable "
                "than the real ones (language-model agents usually are). Expect real reactions to be more "
                "varied and more critical than shown.",
            )
        ]
    compared = diagnostics["personas_compared"]
    flagged = [c for c in diagnostics["checks"] if c["flagged"]]
    judged = [c for c in diagnostics["checks"] if c["ratio"] is not None]
    if flagged:
        return [_note("warning", _check_title(c["name"]), c["message"]) for c in flagged]
    if not judged:
        return [
            _note(
                "caution",
                "Real history too thin to compare",
                f"{compared} personas have real history, but too little of it to compare variety, tone "
                "and negativity with the simulation.",
            )
        ]
    summary = " ".join(c["message"] for c in judged)
    return [
        _note(
            "info",
            "Checked against real behaviour",
            f"Compared with {compared} personas' real history: {summary}",
        )
    ]


def _check_title(name: str) -> str:
    return {
        "action_entropy": "Less varied than the real people",
        "sentiment_spread": "Tone more uniform than the real people",
        "length_spread": "Text lengths more uniform than the real people",
        "agreeableness": "More agreeable than the real people",
    }.get(name, name.replace("_", " ").capitalize())


def _run_notes(meta: Mapping[str, Any]) -> list[dict[str, str]]:
    notes = []
    status, step, total = meta["status"], meta["next_step"], meta["total_steps"]
    if status in ("queued", "running", "paused"):
        notes.append(
            _note(
                "caution",
                "Run not finished",
                f"This run is {status} (step {step} of {total}): numbers will change.",
            )
        )
    elif status in ("failed", "cancelled"):
        notes.append(
            _note(
                "warning",
                "Run stopped early",
                f"This run {status} after {step} of {total} steps: it covers only part of the planned time.",
            )
        )
    outcomes = Counter(meta.get("outcomes", {}))
    failed = outcomes["error"] + outcomes["invalid"]
    if meta["actions"] and failed / meta["actions"] > FAILED_SHARE_WARNING:
        notes.append(
            _note(
                "warning",
                "Many decisions failed",
                f"{failed / meta['actions']:.0%} of decisions failed or were refused ({outcomes['error']} errors, "
                f"{outcomes['invalid']} invalid): the run under-counts reactions.",
            )
        )
    if meta.get("provider") == "baseline":
        notes.append(
            _note(
                "caution",
                "Rule baseline, not a language model",
                "Decisions came from the rule baseline: its replies are templates, so sentiment, themes and "
                "backlash describe the templates, not what people would say. Use it as a yardstick for volumes.",
            )
        )
    elif meta.get("provider") == "offline":
        notes.append(
            _note(
                "info",
                "Small offline model",
                "Decisions came from the small offline model: good for trying a set-up for free, weak judgement. "
                "Confirm a decision with a hosted model.",
            )
        )
    return notes


def _classifier_notes(meta: Mapping[str, Any]) -> list[dict[str, str]]:
    """Who labelled the replies: a language-model judge reads sarcasm, a lexicon does not."""
    classifier = meta.get("classifier") or {}
    if classifier.get("kind") == "llm":
        labelled = classifier["judged"] + classifier["fallbacks"]
        if labelled and classifier["fallbacks"] / labelled > FAILED_SHARE_WARNING:
            return [
                _note(
                    "caution",
                    "Judge often gave no answer",
                    f"The language-model judge ({classifier['name']}) gave no usable label for "
                    f"{classifier['fallbacks']} of {labelled} replies and quotes; the lexicon model labelled those.",
                )
            ]
        return [
            _note(
                "info",
                "Sentiment judged by a language model",
                f"{classifier['name']} labelled the tone and stance of {classifier['judged']} replies and quotes "
                f"(${classifier['cost_usd']:.4f}, added to this run's cost).",
            )
        ]
    if classifier.get("judge_error"):
        return [
            _note(
                "caution",
                "Language-model judge failed",
                f"{classifier['judge_error']} The lexicon model labelled the replies instead: it misses sarcasm.",
            )
        ]
    return [
        _note(
            "info",
            "Sentiment by a lexicon model",
            "VADER (with a backlash vocabulary) labelled the replies and quotes: free and repeatable, but blind "
            "to sarcasm, so jokes are flagged separately in the themes. Runs on a hosted language model are "
            "judged by that model instead.",
        )
    ]


def _evidence_notes(data: Mapping[str, Any]) -> list[dict[str, str]]:
    notes = []
    backlash = data["backlash"]
    if not backlash["responses"]:
        notes.append(
            _note(
                "caution",
                "No responses",
                "Nobody replied to or quoted the stimulus: there is no sentiment, theme or backlash to read, "
                "so the risk badge says not enough data. Try more steps, a larger boost or a larger panel.",
            )
        )
    elif not backlash["enough_evidence"]:
        notes.append(
            _note(
                "caution",
                "Few responses",
                f"Only {backlash['responses']} replies and quotes answered the stimulus: the risk level and the "
                "sentiment shares rest on too few responses to mean much.",
            )
        )
    texts = [" ".join(r["text"].lower().split()) for r in data.get("responses", [])]
    if len(texts) >= MIN_RESPONSES_FOR_DUPLICATES:
        counts = Counter(texts)
        repeated = sum(n for n in counts.values() if n > 1)
        if repeated / len(texts) >= DUPLICATE_SHARE_WARNING:
            notes.append(
                _note(
                    "warning",
                    "Identical replies",
                    f"{repeated / len(texts):.0%} of replies and quotes repeat another one word for word: "
                    "the simulated voices have collapsed into a few.",
                )
            )
    return notes


def assess_trust(data: Mapping[str, Any]) -> dict[str, Any]:
    """Overall level, one-sentence headline and the notes, for a report JSON with its ``meta``."""
    meta = data["meta"]
    notes = [*_diagnostic_notes(data), *_run_notes(meta), *_classifier_notes(meta), *_evidence_notes(data)]
    notes.sort(key=lambda n: -LEVELS.index(n["level"]))
    worst = max((n["level"] for n in notes), key=LEVELS.index, default="ok")
    level = worst if worst in ("warning", "caution") else "ok"
    return {"level": level, "headline": HEADLINES[level], "notes": notes}
