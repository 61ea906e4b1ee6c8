"""Words of a social text, and whether one text copies another.

Pure and small so every layer can share it: the quality gate refuses a generated reply that
parrots its post, and the analysis counts such copies in a backtest, with the very same rule.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@\w+")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)

COPY_THRESHOLD = 0.6
COPY_MIN_TOKENS = 4


def tokenize(text: str) -> list[str]:
    """Lower-case words of ``text`` without URLs and @mentions ("#Peloton" -> "peloton")."""
    cleaned = MENTION_RE.sub(" ", URL_RE.sub(" ", text)).replace("’", "'")
    return [w.lower() for w in WORD_RE.findall(cleaned)]


def copies(text: str, source: str, *, min_run: int = 0) -> bool:
    """Whether ``text`` copies ``source`` rather than answering it.

    Two rules, because copying comes in two shapes: a shuffled or lightly edited repeat
    of the whole source shares most of its words (token Jaccard >= 0.6) without a long
    run in order, while a reply that pastes a sentence of a long post and adds a word has
    a low Jaccard (the rest of the post dilutes it) but a long common run (>= 60% of the
    shorter text's tokens). Under four tokens both rules fire on chance overlaps
    ("so true" vs "true"), so short texts count only as exact copies. ``min_run`` is the
    shortest run in order that counts as pasted, whatever the text's length.
    """
    a, b = tokenize(text), tokenize(source)
    if not a or not b:
        return False
    if min(len(a), len(b)) < COPY_MIN_TOKENS:
        return a == b
    jaccard = len(set(a) & set(b)) / len(set(a) | set(b))
    run = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size
    return jaccard >= COPY_THRESHOLD or run >= max(COPY_THRESHOLD * min(len(a), len(b)), min_run)
