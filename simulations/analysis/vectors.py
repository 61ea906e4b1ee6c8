"""TF-IDF, cosine k-means and silhouette with numpy and scipy.sparse (no scikit-learn).

Short texts have a few words out of thousands, so vectors are sparse rows: clustering a few
thousand replies stays well under a second. Everything is seeded, so the same texts and seed
give the same clusters.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MAX_TERMS = 5000  # the most widespread terms are kept
SILHOUETTE_SAMPLE = 1000  # silhouette is O(n^2): larger corpora are scored on a seeded sample


@dataclass(frozen=True)
class TfidfMatrix:
    matrix: sp.csr_array  # documents x terms, rows L2-normalised (empty rows for empty documents)
    vocabulary: tuple[str, ...]


def normalize_rows(matrix: sp.csr_array | np.ndarray) -> sp.csr_array:
    """Unit-length rows as a sparse matrix (all-zero rows stay zero)."""
    matrix = sp.csr_array(matrix, dtype=np.float64)
    norms = sp.linalg.norm(matrix, axis=1)
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_array(sp.diags_array(scale) @ matrix)


def tfidf(documents: Sequence[Sequence[str]], min_df: int = 1, max_terms: int = MAX_TERMS) -> TfidfMatrix:
    """Sublinear tf (1 + ln tf) times smooth idf (ln((1 + n) / (1 + df)) + 1), rows L2-normalised."""
    df = Counter(term for doc in documents for term in set(doc))
    kept = sorted((t for t, c in df.items() if c >= min_df), key=lambda t: (-df[t], t))[:max_terms]
    vocabulary = tuple(sorted(kept))
    index = {t: i for i, t in enumerate(vocabulary)}
    n = len(documents)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocabulary])
    rows, cols, values = [], [], []
    for row, doc in enumerate(documents):
        for term, count in Counter(doc).items():
            if term in index:
                rows.append(row)
                cols.append(index[term])
                values.append((1.0 + math.log(count)) * idf[index[term]])
    matrix = sp.csr_array((values, (rows, cols)), shape=(n, len(vocabulary)))
    return TfidfMatrix(normalize_rows(matrix), vocabulary)


def non_empty_rows(matrix: sp.csr_array) -> np.ndarray:
    return np.flatnonzero(np.diff(matrix.indptr))


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # cluster index per row
    centroids: np.ndarray  # k x dims, unit length (dense)
    closeness: np.ndarray  # cosine similarity of each row to its own centroid
    inertia: float  # sum of cosine distances to the own centroid (lower is tighter)


def _row(x: sp.csr_array, i: int) -> np.ndarray:
    return x[[i]].toarray().ravel()


def _plus_plus_init(x: sp.csr_array, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding with cosine distance: spread-out starting centroids."""
    centroids = [_row(x, int(rng.integers(x.shape[0])))]
    best = x @ centroids[0]
    for _ in range(1, k):
        distance = np.clip(1.0 - best, 0.0, None)
        total = distance.sum()
        pick = rng.choice(x.shape[0], p=distance / total) if total > 0 else rng.integers(x.shape[0])
        centroids.append(_row(x, int(pick)))
        best = np.maximum(best, x @ centroids[-1])
    return np.array(centroids)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def _one_kmeans(x: sp.csr_array, k: int, rng: np.random.Generator, max_iter: int) -> Clustering:
    n = x.shape[0]
    centroids = _plus_plus_init(x, k, rng)
    labels = np.full(n, -1)
    for _ in range(max_iter):
        similarity = x @ centroids.T
        new_labels = np.argmax(similarity, axis=1)
        for cluster in range(k):
            if not np.any(new_labels == cluster):  # re-seed an empty cluster with the worst-fitting row
                sizes = np.bincount(new_labels, minlength=k)
                fit = similarity[np.arange(n), new_labels]
                new_labels[int(np.argmin(np.where(sizes[new_labels] > 1, fit, np.inf)))] = cluster
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        centroids = _unit(np.array([x[labels == c].sum(axis=0) for c in range(k)]))
    closeness = (x @ centroids.T)[np.arange(n), labels]
    return Clustering(labels, centroids, closeness, float(np.sum(1.0 - closeness)))


def spherical_kmeans(
    x: sp.csr_array, k: int, seed: int = 0, n_init: int = 8, max_iter: int = 100
) -> Clustering:
    """Cosine k-means on unit-length rows; the tightest of ``n_init`` seeded starts."""
    if not 1 <= k <= x.shape[0]:
        raise ValueError(f"k must be between 1 and the number of rows ({x.shape[0]}), got {k}")
    rng = np.random.default_rng(seed)
    return min((_one_kmeans(x, k, rng, max_iter) for _ in range(n_init)), key=lambda c: c.inertia)


def silhouette(x: sp.csr_array, labels: np.ndarray, seed: int = 0, sample: int = SILHOUETTE_SAMPLE) -> float:
    """Mean silhouette with cosine distance (singletons score 0, as in scikit-learn)."""
    if x.shape[0] > sample:
        rows = np.sort(np.random.default_rng(seed).choice(x.shape[0], size=sample, replace=False))
        x, labels = x[rows], labels[rows]
    clusters = np.unique(labels)
    if len(clusters) < 2:
        raise ValueError("silhouette needs at least two clusters")
    n = x.shape[0]
    distance = np.clip(1.0 - (x @ x.T).toarray(), 0.0, 2.0)
    summed = np.stack([distance[:, labels == c].sum(axis=1) for c in clusters], axis=1)
    sizes = np.array([np.sum(labels == c) for c in clusters])
    own = np.searchsorted(clusters, labels)
    own_size = sizes[own]
    a = np.divide(summed[np.arange(n), own], own_size - 1, out=np.zeros(n), where=own_size > 1)
    other = summed / sizes
    other[np.arange(n), own] = np.inf
    b = other.min(axis=1)
    score = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(score.mean())


def distinct_rows(x: sp.csr_array) -> int:
    """How many different rows (to 9 decimals) the matrix has."""
    x = sp.csr_array(x)
    x.sort_indices()
    keys = {
        (x.indices[start:end].tobytes(), np.round(x.data[start:end], 9).tobytes())
        for start, end in zip(x.indptr[:-1], x.indptr[1:], strict=True)
    }
    return len(keys)


def choose_k(x: sp.csr_array, k_range: tuple[int, int], seed: int = 0) -> tuple[Clustering, float | None]:
    """The clustering with the best silhouette for k in ``k_range`` (inclusive; ties: smaller k).

    k is also capped at the square root of the number of rows: on small corpora silhouette
    otherwise rewards splitting a few texts into pairs. Fewer than four rows, or fewer than
    two distinct rows, give a single cluster and no score.
    """
    n = x.shape[0]
    k_low = max(2, k_range[0])
    k_high = min(k_range[1], math.isqrt(n), distinct_rows(x))
    if n < 4 or k_high < k_low:
        return spherical_kmeans(x, 1, seed), None
    best: tuple[Clustering, float] | None = None
    for k in range(k_low, k_high + 1):
        clustering = spherical_kmeans(x, k, seed)
        score = silhouette(x, clustering.labels, seed)
        if best is None or score > best[1] + 1e-12:
            best = (clustering, score)
    assert best is not None  # the range is not empty
    return best
