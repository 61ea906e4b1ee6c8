"""Persona cards: the short text a prompt uses to play a person, always within a token budget.

A card is a handful of labelled sections (who, bio, style, interests, stances, habits) and a
few *examples* of the person's own writing. The examples are picked, not dumped: maximal
marginal relevance over TF-IDF vectors chooses posts close to the person's centroid
(representative) and far from the ones already chosen (diverse), one of each kind first.
The budget is a hard guarantee: every section has a cap and the finished text is checked
with ``count_tokens`` and cut if it still does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from personas.builders.media_phrases import images_phrase
from personas.builders.profiling import OWN_TEXT_KINDS, ProfileResult
from personas.builders.text import centroid, content_terms, cosine, tfidf_vectors, words
from scraping.sources.records import HistoryKind, HistoryRecord
from simnet.llm.tokens import count_tokens, trim_to_tokens
from simnet.llm.words import URL_RE

ELLIPSIS = "…"
MAX_NAME_TOKENS = 12  # a longer display name or handle is cut so the identity line survives
KIND_PLURALS = {"post": "posts", "reply": "replies", "quote": "quotes", "repost": "reposts", "like": "likes"}
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian",
    "nl": "Dutch", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ar": "Arabic", "ru": "Russian",
}  # fmt: skip
MMR_RELEVANCE_WEIGHT = 0.5  # 1.0 = only representative, 0.0 = only diverse (0.5 is the usual MMR balance)
MIN_SECTION_TOKENS = 16  # a section may use this much even if its share is less (early ones win)
MIN_EXAMPLE_TOKENS = 8  # an example shorter than this says nothing about style
EXAMPLES_HEADING = "Examples of how you write:"
SUMMARY_PREFIX = "In short: "  # the line a language model's summary opens the card with
SUMMARY_MAX_SHARE = 0.3  # of the card's budget, so the person's own words keep most of it


class Identity(Protocol):
    handle: str
    display_name: str
    bio: str


@dataclass(frozen=True)
class PersonaIdentity:
    """Who a persona is when there is no ``AccountRecord`` (e.g. a persona stored in the database)."""

    handle: str
    display_name: str = ""
    bio: str = ""


@dataclass(frozen=True)
class PersonaCard:
    text: str
    tokens: int  # count_tokens(text), never above the budget it was built for
    sample_item_ids: tuple[str, ...]  # platform ids of the history items quoted as examples


@dataclass(frozen=True)
class CardSection:
    label: str  # "" for a line without a label
    body: str
    max_share: float  # at most this share of the whole budget


def one_line(text: str) -> str:
    return " ".join(text.split())


def fit_to_tokens(text: str, budget: int) -> str:
    """Longest prefix of ``text`` within ``budget`` tokens, cut at a word boundary unless that
    wastes more than half the budget (one giant word, scripts written without spaces)."""
    if count_tokens(text) <= budget:
        return text
    trimmed = trim_to_tokens(text, budget)
    if count_tokens(trimmed) * 2 >= budget:
        return trimmed
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(text[:mid] + ELLIPSIS) <= budget:
            lo = mid
        else:
            hi = mid - 1
    by_character = text[:lo].rstrip() + ELLIPSIS if lo else ""
    return by_character if count_tokens(by_character) > count_tokens(trimmed) else trimmed


def card_with_summary(card: str, summary: str, budget_tokens: int) -> str:
    """The card a prompt reads when a language model summarised the persona: an
    ``In short: <summary>`` line first, the card after it, both within ``budget_tokens``.

    The summary line gets at most ``SUMMARY_MAX_SHARE`` of the budget; the card then gives up
    whole lines from its end (its last examples, then its last sections) before anything is cut
    mid-line. Without a summary the card comes back unchanged.
    """
    summary = one_line(summary)
    if not summary:
        return card
    if budget_tokens < 1:
        raise ValueError("budget_tokens must be at least 1")
    cap = max(int(SUMMARY_MAX_SHARE * budget_tokens), min(MIN_SECTION_TOKENS, budget_tokens))
    first = fit_to_tokens(SUMMARY_PREFIX + summary, cap)
    remaining = budget_tokens - count_tokens(first)
    lines = card.strip().split("\n") if card.strip() else []
    while len(lines) > 1 and count_tokens("\n".join(lines)) > remaining:
        lines.pop()
        if lines and lines[-1] == EXAMPLES_HEADING:
            lines.pop()
    rest = fit_to_tokens("\n".join(lines), remaining) if remaining > 0 else ""
    return fit_to_tokens(f"{first}\n{rest}" if rest else first, budget_tokens)


def render_sections(sections: Iterable[CardSection], budget_tokens: int) -> list[str]:
    """One line per non-empty section, each cut to its share of the budget (at least
    ``MIN_SECTION_TOKENS``); ``assemble_card`` cuts from the end if the lines still overflow."""
    lines = []
    for section in sections:
        body = one_line(section.body)
        if not body:
            continue
        line = f"{section.label}: {body}" if section.label else body
        cap = max(int(section.max_share * budget_tokens), min(MIN_SECTION_TOKENS, budget_tokens), 1)
        fitted = fit_to_tokens(line, cap)
        if fitted:
            lines.append(fitted)
    return lines


def assemble_card(
    sections: Sequence[CardSection],
    budget_tokens: int,
    examples: Sequence[tuple[str, str]] = (),
    *,
    example_tokens: int = 60,
) -> PersonaCard:
    """Sections, then as many ``(item_id, line)`` examples as the rest of the budget allows."""
    if budget_tokens < 1:
        raise ValueError("budget_tokens must be at least 1")
    lines = render_sections(sections, budget_tokens)
    used = count_tokens("\n".join(lines))
    chosen_ids: list[str] = []
    if examples:
        remaining = budget_tokens - used - count_tokens(EXAMPLES_HEADING)
        example_lines = []
        for item_id, line in examples:
            allowance = min(example_tokens, remaining)
            if allowance < MIN_EXAMPLE_TOKENS:
                break
            fitted = fit_to_tokens("- " + one_line(line), allowance)
            example_lines.append(fitted)
            chosen_ids.append(item_id)
            remaining -= count_tokens(fitted)
        if example_lines:
            lines += [EXAMPLES_HEADING, *example_lines]
    text = "\n".join(lines)
    while count_tokens(text) > budget_tokens and chosen_ids:  # estimates were optimistic: drop examples
        chosen_ids.pop()
        lines.pop()
        if lines[-1] == EXAMPLES_HEADING:
            lines.pop()
        text = "\n".join(lines)
    text = fit_to_tokens(text, budget_tokens)
    return PersonaCard(text=text, tokens=count_tokens(text), sample_item_ids=tuple(chosen_ids))


def select_examples(history: Sequence[HistoryRecord], k: int = 5) -> list[HistoryRecord]:
    """Up to ``k`` of the person's own texts: representative, diverse, every kind covered first.

    Maximal marginal relevance: score = w * cos(item, centroid) - (1 - w) * max cos(item, chosen),
    w = ``MMR_RELEVANCE_WEIGHT``. Exact duplicates are skipped; ties go to the smaller item id.
    """
    seen_texts: set[str] = set()
    candidates: list[HistoryRecord] = []
    for record in sorted(history, key=lambda r: r.platform_id):
        normalized = one_line(record.text).lower()
        if record.kind in OWN_TEXT_KINDS and normalized and normalized not in seen_texts:
            seen_texts.add(normalized)
            candidates.append(record)
    if not candidates or k < 1:
        return []
    vectors = tfidf_vectors([content_terms(r.text) or words(r.text) for r in candidates])
    center = centroid(vectors)
    relevance = [cosine(v, center) for v in vectors]
    max_sim = [0.0] * len(candidates)
    chosen: list[int] = []

    def pick(pool: Iterable[int]) -> None:
        best = max(
            pool,
            key=lambda i: (
                MMR_RELEVANCE_WEIGHT * relevance[i] - (1 - MMR_RELEVANCE_WEIGHT) * max_sim[i],
                -i,
            ),
        )
        chosen.append(best)
        for i, vec in enumerate(vectors):
            max_sim[i] = max(max_sim[i], cosine(vec, vectors[best]))

    for kind in OWN_TEXT_KINDS:
        of_kind = [i for i, r in enumerate(candidates) if r.kind == kind]
        if of_kind and len(chosen) < k:
            pick(of_kind)
    while len(chosen) < min(k, len(candidates)):
        pick(i for i in range(len(candidates)) if i not in chosen)
    return [candidates[i] for i in chosen]


FEW_SHOT_SAMPLES = 3  # own posts a prompt shows as examples of the voice
MIN_SAMPLE_WORDS = 3  # a cleaned sample shorter than this ("@ann lol") shows no voice
_CONTEXT_PREFIX = re.compile(r"^\((?:reply to|quoting) @[^)]*\) |^\((?:reply|quote)\) ")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+[\s,:]*)+")


def clean_sample(text: str) -> str:
    """An own post as a voice example: no "(reply to @x)" context, links or leading @mentions
    (a small model copies those literally), on one line."""
    text = URL_RE.sub(" ", _CONTEXT_PREFIX.sub("", text.strip()))
    return one_line(_LEADING_MENTIONS.sub("", one_line(text)))


def card_samples(card: str, limit: int = FEW_SHOT_SAMPLES) -> tuple[str, ...]:
    """Up to ``limit`` of the person's own texts quoted under a card's examples heading, cleaned
    (``clean_sample``), whole ones first (an example cut to the budget would teach cut sentences).
    Only a card built from real history (``build_card``) quotes the person's own words: the caller
    asks this of imported personas alone."""
    lines = card.split("\n")
    if EXAMPLES_HEADING not in lines:
        return ()
    quoted = [line for line in lines[lines.index(EXAMPLES_HEADING) + 1 :] if line.startswith("- ")]
    texts = [clean_sample(line[2:]) for line in quoted]
    texts = [t for t in texts if len(t.rstrip(ELLIPSIS).split()) >= MIN_SAMPLE_WORDS]
    whole = [t for t in texts if t and not t.endswith(ELLIPSIS)]
    cut = [t for t in texts if t.endswith(ELLIPSIS) and t != ELLIPSIS]
    return tuple([*whole, *cut][:limit])


def _example_line(record: HistoryRecord) -> str:
    """The text, prefixed with whom it answers or quotes (a reply without context misleads)."""
    author = record.target_author.lstrip("@")
    if record.kind == HistoryKind.REPLY:
        return (f"(reply to @{author}) " if author else "(reply) ") + record.text
    if record.kind == HistoryKind.QUOTE:
        return (f"(quoting @{author}) " if author else "(quote) ") + record.text
    return record.text


def _style_line(profile: ProfileResult) -> str:
    parts = []
    if profile.median_words is not None:
        parts.append(f"posts of about {profile.median_words:g} words")
    tone = profile.tone
    if tone.sentiment_mean is not None:
        mood = "neutral"
        if tone.sentiment_mean >= 0.05:
            mood = "positive"
        elif tone.sentiment_mean <= -0.05:
            mood = "negative"
        positive, negative = f"{tone.share_positive:.0%}", f"{tone.share_negative:.0%}"
        parts.append(f"{mood} on average ({positive} of posts positive, {negative} negative)")
        for rate, habit in (
            (tone.exclamation_rate, "exclamation marks"),
            (tone.question_rate, "questions"),
            (tone.emoji_rate, "emoji"),
            (tone.caps_rate, "ALL CAPS words"),
        ):
            if rate and rate >= 0.1:
                parts.append(f"{habit} in {rate:.0%} of posts")
    if profile.languages:
        parts.append(
            "writes in " + ", ".join(LANGUAGE_NAMES.get(lang, lang) for lang, _ in profile.languages)
        )
    return "; ".join(parts)


def _stances_line(profile: ProfileResult) -> str:
    parts = []
    for hint in profile.stances[:4]:
        verb = {"support": "for", "oppose": "against", "mixed": "mixed on"}[hint.position]
        quote = one_line(hint.evidence[0].quote) if hint.evidence else ""
        parts.append(
            f'{verb} {hint.target} ("{fit_to_tokens(quote, 20)}")' if quote else f"{verb} {hint.target}"
        )
    return "; ".join(parts)


def _habits_line(profile: ProfileResult) -> str:
    shares = [(kind, share) for kind, share in profile.propensities.items() if share > 0]
    shares.sort(key=lambda kv: -kv[1])
    parts = (
        ["of your actions " + ", ".join(f"{share:.0%} {KIND_PLURALS[kind]}" for kind, share in shares)]
        if shares
        else []
    )
    if profile.items_per_day is not None:
        parts.append(f"about {profile.items_per_day:.1f} actions a day")
    if profile.active_hours:
        parts.append("active around " + ", ".join(f"{h:02d}h" for h in profile.active_hours[:6]) + " UTC")
    if profile.engaged_accounts:
        parts.append("often engages with " + ", ".join("@" + e.handle for e in profile.engaged_accounts[:5]))
    return "; ".join(parts)


def build_card(
    profile: ProfileResult,
    identity: Identity,
    history: Sequence[HistoryRecord],
    *,
    budget_tokens: int = 500,
    max_examples: int = 5,
    example_tokens: int = 60,
) -> PersonaCard:
    """The persona card of an imported account (``identity`` is an AccountRecord or PersonaIdentity).

    Pass the training history (``split_history(...).training``) so held-out items never leak
    into the prompt a backtest evaluates.
    """
    handle = fit_to_tokens(identity.handle, MAX_NAME_TOKENS)
    name = fit_to_tokens(one_line(identity.display_name), MAX_NAME_TOKENS) or handle
    interests = ", ".join(term for term, _ in profile.topics[:8])
    tags = " ".join(tag for tag, _ in profile.hashtags[:6])
    sections = [
        CardSection("", f"You are {name} (@{handle}).", 0.1),
        CardSection("Bio", identity.bio, 0.15),
        CardSection("Style", _style_line(profile), 0.15),
        CardSection("Interests", interests + (f"; hashtags {tags}" if tags else ""), 0.1),
        CardSection("Stances", _stances_line(profile), 0.15),
        CardSection("Habits", _habits_line(profile), 0.15),
        CardSection("Posts", images_phrase(history), 0.1),
    ]
    examples = [(r.platform_id, _example_line(r)) for r in select_examples(history, max_examples)]
    return assemble_card(sections, budget_tokens, examples, example_tokens=example_tokens)


def _trait_text(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def build_synthetic_card(
    traits: Mapping[str, Any],
    voice: str,
    *,
    name: str = "",
    handle: str = "",
    examples: Sequence[str] = (),
    budget_tokens: int = 500,
) -> PersonaCard:
    """Card of a persona without a real history (sampled or board): traits, interests, voice.

    ``traits["interests"]`` (if any) gets its own line; the other traits are listed as
    ``key: value`` in their given order. Optional ``examples`` are written samples of the voice.
    """
    display = name or handle
    who = f"You are {display}" + (f" (@{handle})" if handle else "") + "." if display else ""
    about = "; ".join(
        f"{key.replace('_', ' ')}: {_trait_text(value)}"
        for key, value in traits.items()
        if key != "interests" and value not in (None, "", (), [])
    )
    sections = [
        CardSection("", who, 0.1),
        CardSection("About you", about, 0.35),
        CardSection("Interests", _trait_text(traits.get("interests", "")), 0.12),
        CardSection("How you write", voice, 0.2),
    ]
    numbered = [(f"example-{i}", text) for i, text in enumerate(examples, start=1)]
    card = assemble_card(sections, budget_tokens, numbered)
    return PersonaCard(card.text, card.tokens, ())
