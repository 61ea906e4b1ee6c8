"""Token counting without a tokenizer download.

Budgets (persona cards, prompts, memory) need a count that is stable and a little
pessimistic. English BPE tokenizers average ~4 characters per token; punctuation and
non-Latin scripts cost more, so we count words, punctuation and long words separately.
Providers report the real counts afterwards; this is for planning and trimming.
"""

from __future__ import annotations

import re

_PIECE = re.compile(r"[A-Za-z]+|\d|[^\sA-Za-z\d]", re.UNICODE)


def count_tokens(text: str) -> int:
    """Approximate BPE tokens in ``text`` (errs high by design)."""
    if not text:
        return 0
    total = 0
    for piece in _PIECE.findall(text):
        if piece.isascii() and piece.isalpha():
            total += 1 + (len(piece) - 1) // 6  # long words split into several tokens
        else:
            total += 1 if piece.isascii() else max(1, len(piece.encode("utf-8")) // 2)
    return total


def trim_to_tokens(text: str, budget: int) -> str:
    """Longest prefix of ``text`` (cut at a word boundary) that fits ``budget`` tokens."""
    if count_tokens(text) <= budget:
        return text
    words = text.split()
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(" ".join(words[:mid]) + " …") <= budget:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo]) + " …" if lo else ""
