"""Where model-written text may be cut: just after a sentence end (a small model stops
mid-sentence at its token cap, and readers should see whole sentences)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*(?=\s|$)")


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence end in ``text``, in order."""
    return [match.end() for match in _SENTENCE_END.finditer(text)]
