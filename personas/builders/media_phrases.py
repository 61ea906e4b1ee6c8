"""What a person posts pictures of, in a short phrase a persona card can carry.

Read from the alt texts the person wrote for their own media (``HistoryRecord.media_alt``): the
content words that come back across several pictures, most frequent first. No model is asked;
a person whose pictures have no alt text gets no phrase, since nothing says what they show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from personas.builders.text import content_terms
from scraping.sources.records import HistoryKind, HistoryRecord

MAX_TERMS = 5
OWN_KINDS = (HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE)


def images_phrase(history: Sequence[HistoryRecord]) -> str:
    """Say "images of dogs, beaches, coffee (alt text on 4 of 9 posts with media)", or "" when no alt
    text says anything. A term counts once per post, and needs two posts when there are several."""
    with_media = [r for r in history if r.kind in OWN_KINDS and r.media]
    described = [r for r in with_media if r.media_alt]
    if not described:
        return ""
    counts = Counter(term for r in described for term in set(content_terms(" ".join(r.media_alt))))
    least = 2 if len(described) >= 3 else 1
    terms = [term for term, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= least]
    if not terms:
        return ""
    basis = f"alt text on {len(described)} of {len(with_media)} posts with media"
    return f"images of {', '.join(terms[:MAX_TERMS])} ({basis})"
