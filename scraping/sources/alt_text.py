"""Alt texts of imported media: what a person says their pictures show, kept beside the references.

Platforms hand them over as optional strings (Bluesky ``alt``, Mastodon ``description``); only the
non-blank ones are kept, whitespace folded and each cut to ``MAX_ALT_CHARS`` (Mastodon allows
1,500 characters, Bluesky 10,000: more than a card will ever quote).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAX_ALT_CHARS = 1500


def alt_texts(values: Iterable[Any]) -> tuple[str, ...]:
    texts = (" ".join(value.split())[:MAX_ALT_CHARS] for value in values if isinstance(value, str))
    return tuple(text for text in texts if text)
