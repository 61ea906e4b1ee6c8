"""What people said, grouped: readable themes with sizes, quotes and an accusation/joke flag.

Texts are clustered with cosine k-means on TF-IDF vectors (or on embeddings when an
``embed`` function is given); k is chosen by silhouette within a small range. A theme's
label is its most distinctive terms (mean TF-IDF inside the theme minus outside, bigrams
preferred because "body shaming" reads better than "body"), its quotes are the texts closest
to its centre, and its style flags say whether it is mostly accusations ("sexist",
"tone-deaf") or jokes ("lol", "hostage video", 😂), because "what will people accuse us of
or joke about" is the question a customer brings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simulations.analysis.lexicon import accusation_cues, joke_cues
from simulations.analysis.text import terms
from simulations.analysis.vectors import TfidfMatrix, choose_k, non_empty_rows, normalize_rows, tfidf

Embedder = Callable[[Sequence[str]], np.ndarray]  # texts -> one vector per text

BIGRAM_BOOST = 1.5  # how much a bigram is preferred over a unigram of equal distinctiveness
STYLE_SHARE = 0.3  # a theme is flagged when at least this share of its texts carry the cue
DEFAULT_K_RANGE = (2, 8)
# From this many texts on, a word must appear in two of them to count: a one-off word links
# no texts together and only dilutes their similarity. (Texts made only of one-off words are
# left unclustered and counted as such.)
MIN_DF_FROM = 10


@dataclass(frozen=True)
class Theme:
    label: str
    terms: tuple[str, ...]  # most distinctive first
    size: int
    share: float  # of the clustered texts
    representative_quotes: tuple[str, ...]  # closest to the theme's centre first
    post_ids: tuple[str, ...]
    accusation_share: float  # texts with an accusation cue / size
    joke_share: float  # texts with a joke cue / size
    is_accusation: bool
    is_joke: bool
    top_cues: tuple[str, ...]  # the accusation/joke cues that fired most often


@dataclass(frozen=True)
class ThemeReport:
    themes: tuple[Theme, ...]  # largest first
    method: str  # "tfidf" or "embedding"
    k: int
    silhouette: float | None  # None when too few texts to compare clusterings
    unclustered: int  # texts with no content words (tfidf) that no theme holds

    @property
    def accusations(self) -> tuple[Theme, ...]:
        return tuple(t for t in self.themes if t.is_accusation)

    @property
    def jokes(self) -> tuple[Theme, ...]:
        return tuple(t for t in self.themes if t.is_joke)


def _distinctive_terms(
    vectors: TfidfMatrix, members: np.ndarray, others: np.ndarray, count: int
) -> tuple[str, ...]:
    """Terms by mean TF-IDF in the theme minus in the other clustered texts, bigrams boosted."""
    inside = vectors.matrix[members].mean(axis=0)
    outside = vectors.matrix[others].mean(axis=0) if np.any(others) else np.zeros(len(inside))
    boost = np.array([BIGRAM_BOOST if " " in t else 1.0 for t in vectors.vocabulary])
    score = (inside - outside) * boost
    chosen: list[str] = []
    for i in np.lexsort((np.arange(len(score)), -score)):  # best first, then by vocabulary order
        term = vectors.vocabulary[i]
        if score[i] <= 0 or len(chosen) == count:
            break
        if " " not in term and any(term in t.split() for t in chosen):
            continue  # "body" adds nothing once "body shaming" is chosen
        chosen.append(term)
    return tuple(chosen)


def _label(chosen: tuple[str, ...], words: int = 2) -> str:
    """The first terms that share no word ("hostage / lol", not "hostage / hostage video")."""
    picked: list[str] = []
    for term in chosen:
        if not any(set(term.split()) & set(p.split()) for p in picked):
            picked.append(term)
    return " / ".join(picked[:words]) or "(no distinctive words)"


def _theme(
    texts: Sequence[str],
    ids: Sequence[str],
    rows: np.ndarray,
    closeness: np.ndarray,
    label_terms: tuple[str, ...],
    total: int,
    quotes: int,
) -> Theme:
    order = rows[np.lexsort((rows, -closeness[rows]))]
    cues_per_text = [(accusation_cues(texts[i]), joke_cues(texts[i])) for i in rows]
    accusation_share = sum(1 for acc, _ in cues_per_text if acc) / len(rows)
    joke_share = sum(1 for _, joke in cues_per_text if joke) / len(rows)
    cue_counts = Counter(cue for acc, joke in cues_per_text for cue in {*acc, *joke})
    return Theme(
        label=_label(label_terms),
        terms=label_terms,
        size=len(rows),
        share=len(rows) / total,
        representative_quotes=tuple(dict.fromkeys(texts[i] for i in order))[:quotes],
        post_ids=tuple(ids[i] for i in sorted(rows)),
        accusation_share=accusation_share,
        joke_share=joke_share,
        is_accusation=accusation_share >= STYLE_SHARE,
        is_joke=joke_share >= STYLE_SHARE,
        top_cues=tuple(c for c, _ in sorted(cue_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]),
    )


def find_themes(
    texts: Sequence[str],
    ids: Sequence[str] | None = None,
    *,
    seed: int = 0,
    k_range: tuple[int, int] = DEFAULT_K_RANGE,
    embed: Embedder | None = None,
    quotes: int = 3,
    label_terms: int = 5,
) -> ThemeReport:
    """Cluster ``texts`` into themes (ids default to the texts' positions)."""
    ids = list(ids) if ids is not None else [str(i) for i in range(len(texts))]
    if len(ids) != len(texts):
        raise ValueError("texts and ids must have the same length")
    documents = [terms(t) for t in texts]
    min_df = 2 if len(texts) >= MIN_DF_FROM else 1
    vectors = tfidf(documents, min_df=min_df)
    if embed is not None:
        kept = np.arange(len(texts))
        points = normalize_rows(np.asarray(embed(list(texts)), dtype=np.float64))
    else:
        kept = non_empty_rows(vectors.matrix)
        points = vectors.matrix[kept]
    method = "tfidf" if embed is None else "embedding"
    if len(kept) == 0:
        return ThemeReport((), method, 0, None, len(texts))
    clustering, score = choose_k(points, k_range, seed)
    closeness = np.zeros(len(texts))
    closeness[kept] = clustering.closeness
    clustered = np.zeros(len(texts), dtype=bool)
    clustered[kept] = True
    themes = []
    for cluster in range(len(clustering.centroids)):
        rows = kept[clustering.labels == cluster]
        members = np.zeros(len(texts), dtype=bool)
        members[rows] = True
        chosen = _distinctive_terms(vectors, members, clustered & ~members, label_terms)
        themes.append(_theme(texts, ids, rows, closeness, chosen, len(kept), quotes))
    themes.sort(key=lambda t: (-t.size, t.label))
    return ThemeReport(tuple(themes), method, len(themes), score, len(texts) - len(kept))


def top_terms(texts: Sequence[str], count: int = 10) -> tuple[str, ...]:
    """The ``count`` terms with the highest summed TF-IDF over ``texts`` (ties alphabetical)."""
    vectors = tfidf([terms(t) for t in texts])
    if not vectors.vocabulary:
        return ()
    weight = vectors.matrix.sum(axis=0)
    order = np.lexsort((np.arange(len(weight)), -weight))[:count]
    return tuple(vectors.vocabulary[i] for i in order)
