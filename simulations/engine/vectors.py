"""Sparse TF-IDF vectors computed incrementally: each text is vectorised once, when it appears.

Document frequencies grow as posts arrive; a vector keeps the IDF of the moment it was made.
That is what keeps feed building cheap (no re-vectorising of old posts) and it is deterministic
because posts arrive in one order. Weights are rounded so a restored snapshot holds exactly the
same numbers as the live world.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

SparseVector = dict[str, float]

MAX_TERMS = 24  # strongest terms kept per vector; enough for short posts, bounds the dot product
WEIGHT_DIGITS = 4
_WORD = re.compile(r"[a-z][a-z0-9'-]{2,}")
STOPWORDS = frozenset((
    "about", "above", "after", "again", "against", "all", "also", "and", "any", "are", "aren't", "because",
    "been", "before", "being", "below", "between", "both", "but", "can", "can't", "cannot", "could", "did",
    "didn't", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "her", "here", "hers", "herself", "him", "himself", "his",
    "how", "into", "its", "itself", "just", "let's", "more", "most", "much", "must", "my", "myself", "nor",
    "not", "now", "off", "once", "only", "other", "our", "ours", "ourselves", "out", "over", "own",
    "really", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
    "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "too", "under",
    "until", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "i'm", "it's", "that's",
    "one", "get", "got", "like", "new", "make", "know", "think", "going", "today", "people",
    "thing", "things"
))  # fmt: skip


def terms(text: str) -> list[str]:
    """Lower-cased content words with a light plural fold ("taxes" and "tax" stay apart, cheap)."""
    found = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("'-")
        word = word.removesuffix("'s")
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) > 2 and word not in STOPWORDS:
            found.append(word)
    return found


def normalised(weights: Mapping[str, float]) -> SparseVector:
    """Top ``MAX_TERMS`` weights, L2-normalised and rounded (ties broken by term, so stable)."""
    top = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:MAX_TERMS]
    norm = math.sqrt(sum(w * w for _, w in top))
    if norm == 0.0:
        return {}
    return {term: rounded for term, w in top if (rounded := round(w / norm, WEIGHT_DIGITS))}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Dot product of two normalised sparse vectors (iterates the shorter one)."""
    if len(a) > len(b):
        a, b = b, a
    common = a.keys() & b.keys()  # in C; most pairs share no term at all
    if not common:
        return 0.0
    total = 0.0
    for term, weight in a.items():  # in ``a``'s order, so the sum is the same float everywhere
        if term in common:
            total += weight * b[term]
    return total


def blend(base: Mapping[str, float], extra: Mapping[str, float], extra_weight: float) -> SparseVector:
    """``base + extra_weight * extra``, renormalised: a profile nudged by recent history."""
    mixed = dict(base)
    for term, w in extra.items():
        mixed[term] = mixed.get(term, 0.0) + extra_weight * w
    return normalised(mixed)


class TermIndex:
    """Document frequencies of every text seen so far, and the vectoriser that uses them."""

    def __init__(self, document_frequency: Mapping[str, int] | None = None, documents: int = 0) -> None:
        self.document_frequency: dict[str, int] = dict(document_frequency or {})
        self.documents = documents

    def add(self, text: str) -> SparseVector:
        """Count ``text`` as a new document, then return its vector."""
        found = terms(text)
        self.documents += 1
        for term in dict.fromkeys(found):
            self.document_frequency[term] = self.document_frequency.get(term, 0) + 1
        return self._vector(found)

    def vectorize(self, text: str) -> SparseVector:
        """Vector of ``text`` without counting it (a query, e.g. an agenda item)."""
        return self._vector(terms(text))

    def _vector(self, found: list[str]) -> SparseVector:
        counts: dict[str, int] = {}
        for term in found:
            counts[term] = counts.get(term, 0) + 1
        total = self.documents
        weights = {
            term: (1.0 + math.log(count))
            * (math.log((1 + total) / (1 + self.document_frequency.get(term, 0))) + 1.0)
            for term, count in counts.items()
        }
        return normalised(weights)

    def to_state(self) -> dict[str, object]:
        return {"document_frequency": dict(self.document_frequency), "documents": self.documents}

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> TermIndex:
        return cls(state["document_frequency"], state["documents"])  # type: ignore[arg-type]
