"""Features of a post for the learners: its text, its moment, and the account's level before it.

Level and trend features read only the posts BEFORE the one described (no look-ahead), so a
backtest that describes post i never peeks at post i's own counts or anything after it. Text is
hashed (stateless, no vocabulary to store) and weighted by IDF weights that a model keeps as JSON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

METRICS = ("likes", "reposts", "replies", "quotes")
SHORT_WINDOW = 20
LONG_WINDOW = 200
TREND_WINDOW = 50
EWMA_HALF_LIFE = 30  # posts
TEXT_FEATURES = 2**12

LINK = re.compile(r"https?://\S+")
MENTION = re.compile(r"(?<!\w)@\w+")
HASHTAG = re.compile(r"(?<!\w)#\w+")

CONTENT_NAMES = (
    "hour_sin", "hour_cos", "weekday_sin", "weekday_cos",
    "log_length", "has_link", "media", "mentions", "hashtags",
)  # fmt: skip
LEVEL_NAMES = tuple(
    f"{m}_{name}" for m in METRICS for name in ("mean20_vs_level", "mean200_vs_level", "trend50")
)
NUMERIC_NAMES = CONTENT_NAMES + LEVEL_NAMES


@dataclass(frozen=True)
class PostRow:
    """One post as the learners see it; ``counts`` is None for a draft (or when counts are unknown)."""

    text: str
    created_at: datetime
    media: int = 0
    counts: Mapping[str, int] | None = None
    author: str = ""
    community: str = ""


@dataclass(frozen=True)
class FeatureTable:
    """Numeric features of every row (columns ``NUMERIC_NAMES``) and each metric's log level before it."""

    numbers: np.ndarray  # rows x len(NUMERIC_NAMES)
    levels: np.ndarray  # rows x len(METRICS); NaN where no earlier post has counts


@dataclass(frozen=True)
class PostFeatures:
    numbers: dict[str, float]
    levels: dict[str, float]  # EWMA of log1p(count) over earlier posts; NaN without history
    text: sp.csr_matrix | None  # 1 x n_features hashed TF-IDF row, when a hasher was given


class TextHasher:
    """Hashed TF-IDF: a stateless HashingVectorizer plus per-feature IDF weights that round-trip as JSON."""

    def __init__(self, n_features: int = TEXT_FEATURES, idf: np.ndarray | None = None):
        self.n_features = n_features
        self.idf = np.ones(n_features) if idf is None else np.asarray(idf, dtype=float)
        self._vectorizer = HashingVectorizer(
            n_features=n_features, alternate_sign=False, norm=None, ngram_range=(1, 2)
        )

    @classmethod
    def fit(cls, texts: Sequence[str], n_features: int = TEXT_FEATURES) -> TextHasher:
        hasher = cls(n_features)
        hasher.idf = TfidfTransformer(smooth_idf=True).fit(hasher.counts(texts)).idf_.astype(float)
        return hasher

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self._vectorizer.transform(list(texts))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows, computed the same way before and after a JSON round-trip."""
        return normalize(self.counts(texts) @ sp.diags(self.idf), norm="l2").tocsr()

    def to_dict(self) -> dict:
        return {"n_features": self.n_features, "idf": self.idf.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping) -> TextHasher:
        return cls(int(data["n_features"]), np.asarray(data["idf"], dtype=float))


def content_features(row: PostRow) -> list[float]:
    """What the post itself carries: its moment (cyclic) and its form."""
    hour = row.created_at.hour + row.created_at.minute / 60
    weekday = row.created_at.weekday()
    return [
        math.sin(2 * math.pi * hour / 24),
        math.cos(2 * math.pi * hour / 24),
        math.sin(2 * math.pi * weekday / 7),
        math.cos(2 * math.pi * weekday / 7),
        math.log1p(len(row.text)),
        float(bool(LINK.search(row.text))),
        float(row.media),
        float(len(MENTION.findall(row.text))),
        float(len(HASHTAG.findall(row.text))),
    ]


def log_counts(rows: Sequence[PostRow]) -> np.ndarray:
    """rows x metrics of log1p(count); NaN where a row has no counts (a missing metric counts 0)."""
    values = np.full((len(rows), len(METRICS)), np.nan)
    for i, row in enumerate(rows):
        if row.counts is not None:
            values[i] = [row.counts.get(m) or 0 for m in METRICS]
    return np.log1p(np.maximum(values, 0))


def _ewma_prefixes(values: np.ndarray) -> np.ndarray:
    """EWMA (half-life in posts) of every prefix; NaN for the empty one."""
    decay = 0.5 ** (1 / EWMA_HALF_LIFE)
    out = np.full(len(values) + 1, np.nan)
    numerator = denominator = 0.0
    for c, value in enumerate(values.tolist(), start=1):
        numerator = numerator * decay + value
        denominator = denominator * decay + 1.0
        out[c] = numerator / denominator
    return out


def _prefix_stats(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """For every prefix length c (0..len): mean of last 20, mean of last 200, EWMA, OLS slope of last 50."""
    n = len(values)
    prefix = np.arange(n + 1)
    total = np.concatenate([[0.0], np.cumsum(values)])
    weighted = np.concatenate([[0.0], np.cumsum(np.arange(n) * values)])

    def window_mean(width: int) -> np.ndarray:
        start = np.maximum(prefix - width, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (total[prefix] - total[start]) / (prefix - start)

    start = np.maximum(prefix - TREND_WINDOW, 0)
    width = prefix - start
    sum_y = total[prefix] - total[start]
    sum_ky = weighted[prefix] - weighted[start] - start * sum_y  # positions relative to the window start
    mean_k = (width - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        sxx = width * (width**2 - 1) / 12
        slope = np.where(width >= 3, (sum_ky - mean_k * sum_y) / sxx, 0.0)
    return window_mean(SHORT_WINDOW), window_mean(LONG_WINDOW), _ewma_prefixes(values), slope


def _level_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level features of each row from the earlier rows that have counts (one metric)."""
    known = ~np.isnan(values)
    earlier = np.concatenate([[0], np.cumsum(known)])[:-1]  # rows with counts before each row
    mean20, mean200, level, slope = (stat[earlier] for stat in _prefix_stats(values[known]))
    columns = np.column_stack([mean20 - level, mean200 - level, slope])
    return np.nan_to_num(columns, nan=0.0), level


def level_table(rows: Sequence[PostRow]) -> tuple[np.ndarray, np.ndarray]:
    """Level feature columns (``LEVEL_NAMES``) and log levels of every row, from earlier rows only."""
    values = log_counts(rows)
    parts = [_level_columns(values[:, j]) for j in range(len(METRICS))]
    columns = np.hstack([columns for columns, _ in parts]).reshape(len(rows), len(LEVEL_NAMES))
    return columns, np.column_stack([level for _, level in parts]).reshape(len(rows), len(METRICS))


def feature_table(rows: Sequence[PostRow]) -> FeatureTable:
    """Features of every row; row i's level features come from rows 0..i-1 only."""
    content = np.array([content_features(row) for row in rows], dtype=float).reshape(len(rows), -1)
    columns, levels = level_table(rows)
    return FeatureTable(numbers=np.hstack([content, columns]), levels=levels)


def post_features(rows: Sequence[PostRow], index: int, hasher: TextHasher | None = None) -> PostFeatures:
    """Features of ``rows[index]``, reading nothing after it (and no counts of its own)."""
    table = feature_table(rows[: index + 1])
    return PostFeatures(
        numbers=dict(zip(NUMERIC_NAMES, table.numbers[index].tolist(), strict=True)),
        levels=dict(zip(METRICS, table.levels[index].tolist(), strict=True)),
        text=hasher.transform([rows[index].text]) if hasher else None,
    )
