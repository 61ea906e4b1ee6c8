"""Derive an explainable behaviour profile from an account's real history.

The newest part of the history is held out (for backtests: "would the persona have done
what the person really did next?"); every figure comes from the training part only and
carries a one-line ``explain`` entry so the UI can show why a persona behaves as it does.
Deterministic: same records in, same profile out; no clock is read.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from personas.builders.propensities import (
    DEFAULT_EXPOSURE,
    FeedExposure,
    online_chance,
    propensities_from_daily,
)
from personas.builders.stances import StanceEvidence, StanceHint, stance_hints
from personas.builders.text import (
    EMOJI_RE,
    SHOUT_RE,
    content_terms,
    guess_language,
    hashtags,
    mentions,
    top_counts,
)
from scraping.sources.records import AccountRecord, HistoryKind, HistoryRecord

KINDS = tuple(kind.value for kind in HistoryKind)  # post, reply, quote, repost, like
OWN_TEXT_KINDS = (HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE)
ENGAGEMENT_KINDS = (HistoryKind.REPLY, HistoryKind.QUOTE, HistoryKind.REPOST, HistoryKind.LIKE)
VADER_POSITIVE, VADER_NEGATIVE = 0.05, -0.05  # the thresholds VADER's authors recommend
VADER_MAX_CHARS = 1_000  # VADER's cost grows with the square of a text's length; posts are shorter
TOPIC_MIN_DOCS = 2
TOP_N = 10


AUTHORED_KINDS = (HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE, HistoryKind.REPOST)


@dataclass(frozen=True)
class HistorySplit:
    training: tuple[HistoryRecord, ...]
    holdout: tuple[HistoryRecord, ...]
    reactions: int = 0  # of the holdout: older items held out because they react to a held-out post


@dataclass(frozen=True)
class Tone:
    texts: int  # own texts measured
    sentiment_mean: float | None  # mean VADER compound, -1..1
    share_positive: float | None  # compound >= 0.05
    share_negative: float | None  # compound <= -0.05
    exclamation_rate: float | None  # share of texts with at least one "!"
    question_rate: float | None  # share of texts with at least one "?"
    emoji_rate: float | None  # share of texts with at least one emoji
    caps_rate: float | None  # share of texts with a shouted word (3+ capital letters)


@dataclass(frozen=True)
class EngagedAccount:
    handle: str
    total: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class ProfileResult:
    handle: str
    platform: str
    training_count: int
    holdout_count: int
    holdout_ids: tuple[str, ...]
    first_at: str | None  # ISO time (UTC) of the first and last timed training item
    last_at: str | None
    span_days: float | None
    items_per_day: float | None
    rates_per_day: dict[str, float]  # per kind; empty when the span is unknown
    kind_counts: dict[str, int]
    propensities: dict[str, float]  # share of each kind among training actions
    hour_histogram: tuple[int, ...]  # 24 counts, UTC hours
    active_hours: tuple[int, ...]
    median_chars: float | None
    median_words: float | None
    tone: Tone
    languages: tuple[tuple[str, float], ...]
    topics: tuple[tuple[str, float], ...]
    hashtags: tuple[tuple[str, int], ...]
    mentions: tuple[tuple[str, int], ...]
    stances: tuple[StanceHint, ...]
    engaged_accounts: tuple[EngagedAccount, ...]
    follows_per_day: float | None
    explain: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists once serialised)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileResult:
        """Inverse of ``to_dict`` (also accepts the lists a JSON round trip produces)."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["tone"] = Tone(**data["tone"])
        values["engaged_accounts"] = tuple(EngagedAccount(**e) for e in data["engaged_accounts"])
        values["stances"] = tuple(
            StanceHint(**{**s, "evidence": tuple(StanceEvidence(**e) for e in s["evidence"])})
            for s in data["stances"]
        )
        for name in ("holdout_ids", "hour_histogram", "active_hours"):
            values[name] = tuple(data[name])
        for name in ("languages", "topics", "hashtags", "mentions"):
            values[name] = tuple(tuple(pair) for pair in data[name])
        return cls(**values)


def as_utc(moment: datetime) -> datetime:
    """Naive UTC datetime; naive inputs are taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def split_history(
    history: Sequence[HistoryRecord],
    *,
    holdout_fraction: float = 0.2,
    holdout_days: float | None = None,
    held_targets: frozenset[str] = frozenset(),
) -> HistorySplit:
    """Hold out the newest items: the last ``holdout_days`` before the newest item if given,
    else the newest ``floor(holdout_fraction * timed items)``. Items without a time train,
    unless they react to a held-out post.

    A reply, quote, repost or like of a held-out post (one of ``held_targets``, the held-out
    post ids of other accounts on the same platform, or one of this history's own held-out
    items) is held out too, whatever its time: a backtest asks how people react to that post,
    so the reaction is a label and must not be in the card or the propensities it is scored against.
    """
    if not 0 <= holdout_fraction < 1:
        raise ValueError("holdout_fraction must be in [0, 1)")
    if holdout_days is not None and holdout_days <= 0:
        raise ValueError("holdout_days must be positive")
    timed = sorted((r for r in history if r.created_at), key=lambda r: (as_utc(r.created_at), r.platform_id))
    untimed = [r for r in history if not r.created_at]
    if holdout_days is not None and timed:
        cutoff = as_utc(timed[-1].created_at) - timedelta(days=holdout_days)
        n_held = sum(1 for r in timed if as_utc(r.created_at) > cutoff)  # a suffix: timed is sorted
    else:
        n_held = math.floor(holdout_fraction * len(timed))
    cut = len(timed) - n_held
    ordered = [*timed, *untimed]
    held = set(range(cut, len(timed)))
    reactions = _reactions_to_held(ordered, held, held_targets)
    return HistorySplit(
        training=tuple(r for i, r in enumerate(ordered) if i not in held and i not in reactions),
        holdout=tuple(r for i, r in enumerate(ordered) if i in held or i in reactions),
        reactions=len(reactions),
    )


def _reactions_to_held(
    ordered: Sequence[HistoryRecord], held: set[int], held_targets: frozenset[str]
) -> set[int]:
    """Indexes of unheld items that react to a held-out post, followed through reply chains."""
    held_ids = set(held_targets) | {ordered[i].platform_id for i in held if ordered[i].kind in AUTHORED_KINDS}
    reactions: set[int] = set()
    while True:
        found = {
            i
            for i, r in enumerate(ordered)
            if i not in held and i not in reactions and r.target_id and r.target_id in held_ids
        }
        if not found:
            return reactions
        reactions |= found
        held_ids |= {ordered[i].platform_id for i in found if ordered[i].kind in AUTHORED_KINDS}


def derive_profile(
    account: AccountRecord,
    history: Sequence[HistoryRecord],
    *,
    holdout_fraction: float = 0.2,
    holdout_days: float | None = None,
    active_coverage: float = 0.8,
    background: Mapping[str, int] | None = None,
    background_docs: int = 0,
    held_targets: frozenset[str] = frozenset(),
) -> ProfileResult:
    """Profile ``account`` from the training part of ``history``.

    ``background`` (term -> number of documents containing it, over ``background_docs``
    documents of other accounts) makes topics *distinctive*: a term everybody uses scores low.
    Without it topics are ranked by how many of the person's own items mention them.
    ``held_targets``: held-out posts of other accounts (see ``split_history``).
    """
    split = split_history(
        history, holdout_fraction=holdout_fraction, holdout_days=holdout_days, held_targets=held_targets
    )
    train = split.training
    how = f"last {holdout_days:g} days" if holdout_days else f"{holdout_fraction:.0%} of timed items"
    newest = len(split.holdout) - split.reactions
    reactions = f" and {split.reactions} reactions to held-out posts" if split.reactions else ""
    explain = {
        "holdout": f"held out the newest {newest} timed items ({how}){reactions}; {len(train)} items train"
    }
    kind_counts = {kind: sum(1 for r in train if r.kind == kind) for kind in KINDS}
    total = len(train)
    propensities = {kind: (count / total if total else 0.0) for kind, count in kind_counts.items()}
    explain["propensities"] = f"share of each kind among {total} training actions"

    timed = sorted(as_utc(r.created_at) for r in train if r.created_at)
    first_at = last_at = None
    span_days = items_per_day = None
    rates: dict[str, float] = {}
    if len(timed) >= 2:
        first_at, last_at = timed[0], timed[-1]
        span_days = max((last_at - first_at).total_seconds() / 86400, 1.0)
        items_per_day = total / span_days
        rates = {kind: count / span_days for kind, count in kind_counts.items()}
        explain["activity"] = (
            f"{total} items ({len(timed)} with a time; untimed items assumed to fall in the same window) "
            f"over {span_days:.1f} days from first to last timed item (at least 1 day)"
        )
    else:
        explain["activity"] = "fewer than two timed items: activity rate unknown"
    histogram = tuple(sum(1 for t in timed if t.hour == hour) for hour in range(24))
    active = _active_hours(histogram, active_coverage)
    explain["active_hours"] = f"fewest UTC hours that cover {active_coverage:.0%} of {len(timed)} timed items"

    own = [r for r in train if r.kind in OWN_TEXT_KINDS and r.text.strip()]
    own_texts = [r.text for r in own]
    median_chars = statistics.median(len(t) for t in own_texts) if own_texts else None
    median_words = statistics.median(len(t.split()) for t in own_texts) if own_texts else None
    explain["length"] = f"median characters and words of {len(own_texts)} own posts, replies and quotes"
    tone = _tone(own_texts)
    explain["tone"] = (
        f"mean VADER compound score of own texts (first {VADER_MAX_CHARS} characters each); "
        "positive >= 0.05, negative <= -0.05; "
        "other rates are shares of own texts with '!', '?', an emoji, a word in CAPS"
    )
    languages, explain["languages"] = _languages(own)
    topics, explain["topics"] = _topics(train, background, background_docs)
    top_tags = top_counts((tag for t in own_texts for tag in hashtags(t)), TOP_N)
    top_mentions = top_counts((m for t in own_texts for m in mentions(t)), TOP_N)
    explain["hashtags"] = explain["mentions"] = "counted in own texts, case-insensitive"
    stances = stance_hints((r.platform_id, r.text) for r in sorted(own, key=_time_order))
    explain["stances"] = "cue phrases (love, boycott, ... sucks) next to a named target in own texts"
    engaged = _engaged_accounts(train, account.handle)
    explain["engaged_accounts"] = "target authors of replies, quotes, reposts and likes, the account itself left out"
    follows_per_day = None
    if account.following_count is not None and account.created_at and last_at:
        age_days = max((last_at - as_utc(account.created_at)).total_seconds() / 86400, 1.0)
        follows_per_day = account.following_count / age_days
        explain["follows"] = (
            f"{account.following_count} accounts followed over {age_days:.0f} days "
            "from account creation to the last training item"
        )
    return ProfileResult(
        handle=account.handle,
        platform=account.platform,
        training_count=total,
        holdout_count=len(split.holdout),
        holdout_ids=tuple(r.platform_id for r in split.holdout),
        first_at=first_at.isoformat() if first_at else None,
        last_at=last_at.isoformat() if last_at else None,
        span_days=span_days,
        items_per_day=items_per_day,
        rates_per_day=rates,
        kind_counts=kind_counts,
        propensities=propensities,
        hour_histogram=histogram,
        active_hours=active,
        median_chars=median_chars,
        median_words=median_words,
        tone=tone,
        languages=languages,
        topics=topics,
        hashtags=top_tags,
        mentions=top_mentions,
        stances=stances,
        engaged_accounts=engaged,
        follows_per_day=follows_per_day,
        explain=explain,
    )


def _time_order(record: HistoryRecord) -> tuple[datetime, str]:
    return (as_utc(record.created_at) if record.created_at else datetime.max, record.platform_id)


def _active_hours(histogram: Sequence[int], coverage: float) -> tuple[int, ...]:
    total = sum(histogram)
    chosen: list[int] = []
    covered = 0
    for hour in sorted(range(24), key=lambda h: (-histogram[h], h)):
        if total == 0 or covered >= coverage * total:
            break
        chosen.append(hour)
        covered += histogram[hour]
    return tuple(sorted(chosen))


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _tone(texts: Sequence[str]) -> Tone:
    if not texts:
        return Tone(0, None, None, None, None, None, None, None)
    n = len(texts)
    scores = [_vader().polarity_scores(t[:VADER_MAX_CHARS])["compound"] for t in texts]
    return Tone(
        texts=n,
        sentiment_mean=sum(scores) / n,
        share_positive=sum(1 for s in scores if s >= VADER_POSITIVE) / n,
        share_negative=sum(1 for s in scores if s <= VADER_NEGATIVE) / n,
        exclamation_rate=sum(1 for t in texts if "!" in t) / n,
        question_rate=sum(1 for t in texts if "?" in t) / n,
        emoji_rate=sum(1 for t in texts if EMOJI_RE.search(t)) / n,
        caps_rate=sum(1 for t in texts if SHOUT_RE.search(t)) / n,
    )


def _languages(own: Sequence[HistoryRecord]) -> tuple[tuple[tuple[str, float], ...], str]:
    declared = guessed = 0
    counts: Counter[str] = Counter()
    for record in own:
        lang = record.language.strip().lower().split("-")[0]
        if lang and lang not in ("und", "zxx"):
            declared += 1
        else:
            lang = guess_language(record.text)
            guessed += 1 if lang else 0
        if lang:
            counts[lang] += 1
    known = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shares = tuple((lang, n / known) for lang, n in ranked if n / known >= 0.1)
    note = (
        f"{declared} texts with the platform's language tag, {guessed} guessed from stop words; "
        "languages with at least 10% of texts"
    )
    return shares, note


def _topics(
    train: Sequence[HistoryRecord], background: Mapping[str, int] | None, background_docs: int
) -> tuple[tuple[tuple[str, float], ...], str]:
    docs = [r.text for r in train if r.kind in OWN_TEXT_KINDS and r.text.strip()]
    docs += [
        r.target_text for r in train if r.kind in (HistoryKind.REPOST, HistoryKind.LIKE) and r.target_text
    ]
    doc_freq: Counter[str] = Counter()
    for doc in docs:
        doc_freq.update(set(content_terms(doc)))
    scores = {}
    for term, df in doc_freq.items():
        if df < TOPIC_MIN_DOCS:
            continue
        weight = math.log((1 + background_docs) / (1 + background.get(term, 0))) + 1 if background else 1.0
        scores[term] = df * weight
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
    how = "x rarity among other accounts (idf)" if background else ""
    note = (
        f"terms (no stop words, links, handles) in at least {TOPIC_MIN_DOCS} of {len(docs)} own texts "
        f"and liked/reposted texts, ranked by that count {how}".rstrip()
    )
    return tuple(ranked), note


def _bare_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def _engaged_accounts(train: Sequence[HistoryRecord], own_handle: str) -> tuple[EngagedAccount, ...]:
    """Others the account engages with: replying in its own thread is not engaging with someone."""
    by_handle: dict[str, Counter[str]] = {}
    for record in train:
        handle = _bare_handle(record.target_author)
        if record.kind in ENGAGEMENT_KINDS and handle and handle != _bare_handle(own_handle):
            by_handle.setdefault(handle, Counter())[record.kind.value] += 1
    ranked = sorted(by_handle.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:TOP_N]
    return tuple(EngagedAccount(handle, sum(c.values()), dict(sorted(c.items()))) for handle, c in ranked)


def term_background(histories: Sequence[Sequence[HistoryRecord]]) -> tuple[dict[str, int], int]:
    """Document frequencies over other accounts' own texts, for ``derive_profile(background=...)``."""
    doc_freq: Counter[str] = Counter()
    n_docs = 0
    for history in histories:
        for record in history:
            if record.kind in OWN_TEXT_KINDS and record.text.strip():
                doc_freq.update(set(content_terms(record.text)))
                n_docs += 1
    return dict(doc_freq), n_docs


def per_item_propensities(
    profile: ProfileResult, exposure: FeedExposure = DEFAULT_EXPOSURE
) -> dict[str, float]:
    """``propensities_from_daily`` on the profile's measured daily rates; without a measured
    rate the kind shares are spread over ``exposure.fallback_actions_per_day``."""
    if profile.rates_per_day:
        daily = dict(profile.rates_per_day)
    else:
        daily = {
            kind: share * exposure.fallback_actions_per_day for kind, share in profile.propensities.items()
        }
    return propensities_from_daily(daily, profile.follows_per_day, exposure)


def online_chance_per_step(profile: ProfileResult, exposure: FeedExposure = DEFAULT_EXPOSURE) -> float:
    """``online_chance`` for a profile (the fallback rate when its activity is unknown)."""
    return online_chance(
        profile.items_per_day or exposure.fallback_actions_per_day, profile.active_hours, exposure
    )
