"""One question put to every persona of a panel: the request each persona gets, the choice a poll
answer names, and the answers split by segment (pure: no Django).

A segment with fewer than ``MIN_SEGMENT_ANSWERS`` answers gets its counts but no shares: five
people are not a finding, and a marketer reading "80%" next to n=2 would take it as one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from statsmodels.stats.proportion import proportion_confint

from simnet.llm.base import LLMRequest
from simnet.llm.seeds import decision_seed
from simulations.analysis.records import PersonaRecord, segment_values
from simulations.analysis.report import segment_keys
from simulations.analysis.sentiment import Sentiment, SentimentClassifier, TextSentiment, default_classifier
from simulations.analysis.themes import Theme, find_themes

MIN_SEGMENT_ANSWERS = 5
CONFIDENCE = 0.95
INTERVAL_METHOD = "wilson"  # stays inside 0..1 and behaves at small n, unlike the normal interval
ANSWER_TOKENS = 160
QUESTION_RULES = (
    "A market researcher asks everyone on a panel the question below. Answer as the person described "
    "above, in the first person, in under 80 words, from your own life, tastes and views."
)
POLL_RULES = (
    "Start your answer with the option you pick, written exactly as it is listed, on its own line; "
    "then say why in one or two sentences."
)
NOT_ENOUGH = "not enough data"


@dataclass(frozen=True)
class PanelAnswerRecord:
    """What one persona said; ``choice`` is the poll option it named ("" for an open question)."""

    persona_id: str
    handle: str
    traits: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""
    choice: str = ""


def question_request(
    *, persona_id: str, name: str, handle: str, card: str, question: str, choices: Sequence[str], seed: int
) -> LLMRequest:
    """A free-text request keyed ``question:<persona id>`` (a poll lists its options); the
    persona's card already says who it is, so only a card-less persona gets its name here."""
    key = f"question:{persona_id}"
    lines = [f"Question: {question.strip()}"]
    if choices:
        lines += ["Options:", *(f"- {c}" for c in choices), POLL_RULES]
    return LLMRequest(
        key=key,
        system=f"{card.strip() or f'You are {name} (@{handle}).'}\n{QUESTION_RULES}",
        user="\n".join(lines),
        schema=None,
        max_tokens=ANSWER_TOKENS,
        seed=decision_seed(seed, key, 0),
    )


def pick_choice(text: str, choices: Sequence[str]) -> str | None:
    """The option the answer starts with (the longest when one option begins another), or None.

    Only the start counts because the request asks for the option there: "I have no idea" must
    not be read as the option "No". Leading list marks, quotes and markdown are skipped.
    """
    start = _without_lead(text)
    found = [c for c in choices if re.match(rf"{re.escape(_without_lead(c))}(?!\w)", start)]
    return max(found, key=len) if found else None


def _without_lead(text: str) -> str:
    """Lower-cased, without leading list numbers ("2)"), bullets, quotes or markdown."""
    return re.sub(r"^(?:\d+[.)]\s*|[\W_]+)*", "", text.strip().casefold())


def split_keys(answers: Sequence[PanelAnswerRecord]) -> list[str]:
    """The traits that split the answering personas into a few groups, as the run report's are."""
    return segment_keys([PersonaRecord(a.persona_id, a.handle, a.traits) for a in answers])


def _groups(answers: Sequence[PanelAnswerRecord], key: str) -> dict[str, list[PanelAnswerRecord]]:
    groups: dict[str, list[PanelAnswerRecord]] = {}
    for answer in answers:
        for segment in segment_values(PersonaRecord(answer.persona_id, traits=answer.traits), key):
            groups.setdefault(segment, []).append(answer)
    return dict(sorted(groups.items()))


def choice_rows(chosen: Sequence[str], choices: Sequence[str]) -> list[dict[str, Any]]:
    """Count, share and 95% Wilson interval of each option among ``chosen``."""
    counts = Counter(chosen)
    n = len(chosen)
    rows = []
    for choice in choices:
        count = counts[choice]
        low, high = (
            proportion_confint(count, n, alpha=1 - CONFIDENCE, method=INTERVAL_METHOD) if n else (None, None)
        )
        rows.append(
            {"choice": choice, "count": count, "share": count / n if n else None,
             "low": None if low is None else float(low), "high": None if high is None else float(high)}
        )  # fmt: skip
    return rows


def poll_split(answers: Sequence[PanelAnswerRecord], choices: Sequence[str]) -> dict[str, Any]:
    """Every option's count and share overall and in each segment of each splitting trait."""

    def summary(group: Sequence[PanelAnswerRecord]) -> dict[str, Any]:
        enough = len(group) >= MIN_SEGMENT_ANSWERS
        rows = choice_rows([a.choice for a in group], choices)
        if not enough:
            rows = [{**row, "share": None, "low": None, "high": None} for row in rows]
        return {"n": len(group), "enough": enough, "rows": rows}

    return {
        "kind": "poll",
        "choices": list(choices),
        "overall": summary(answers),
        "segments": [
            {
                "trait_key": key,
                "groups": [{"segment": s, **summary(g)} for s, g in _groups(answers, key).items()],
            }
            for key in split_keys(answers)
        ],
    }


def _answer_dict(answer: PanelAnswerRecord, label: TextSentiment, theme: str) -> dict[str, Any]:
    return {
        "persona_id": answer.persona_id,
        "handle": answer.handle,
        "text": answer.text,
        "sentiment": label.sentiment.value,
        "score": label.score,
        "theme": theme,
    }


def _theme_dict(theme: Theme) -> dict[str, Any]:
    return {
        "label": theme.label,
        "size": theme.size,
        "share": theme.share,
        "quotes": list(theme.representative_quotes),
        "is_accusation": theme.is_accusation,
        "is_joke": theme.is_joke,
    }


def open_split(
    answers: Sequence[PanelAnswerRecord], *, classifier: SentimentClassifier | None = None, seed: int = 0
) -> dict[str, Any]:
    """Each answer's sentiment, the themes of all answers, and each segment's answers and tone."""
    labels = (classifier or default_classifier()).classify([a.text for a in answers])
    tone = {a.persona_id: label for a, label in zip(answers, labels, strict=True)}
    report = find_themes([a.text for a in answers], [a.persona_id for a in answers], seed=seed)
    theme_of = {pid: theme.label for theme in report.themes for pid in theme.post_ids}

    def summary(group: Sequence[PanelAnswerRecord]) -> dict[str, Any]:
        enough = len(group) >= MIN_SEGMENT_ANSWERS
        counts = Counter(tone[a.persona_id].sentiment for a in group)
        shares = {s.value: (counts[s] / len(group) if enough else None) for s in Sentiment}
        themes = Counter(theme_of[a.persona_id] for a in group if a.persona_id in theme_of)
        return {
            "n": len(group), "enough": enough, "counts": {s.value: counts[s] for s in Sentiment},
            "shares": shares, "themes": dict(themes.most_common()), "persona_ids": [a.persona_id for a in group],
        }  # fmt: skip

    return {
        "kind": "open",
        "answers": [_answer_dict(a, tone[a.persona_id], theme_of.get(a.persona_id, "")) for a in answers],
        "themes": [_theme_dict(t) for t in report.themes],
        "overall": summary(answers),
        "segments": [
            {
                "trait_key": key,
                "groups": [{"segment": s, **summary(g)} for s, g in _groups(answers, key).items()],
            }
            for key in split_keys(answers)
        ],
    }
