"""Public, human-rated texts that ship inside a registry package: the VADER tweets.

The vaderSentiment 3.3.2 source archive carries the 4,200 tweets its authors had rated by people
(mean rating from -4 to +4). ``scripts/public_data.py`` (run by ``make install``) unpacks them into
the cache; the demo's generated history draws its words from them, so demo text is real people's
text with a real tone, never templates.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

TWEETS_FILE = "hutto_ICWSM_2014/tweets_GroundTruth.txt"


@dataclass(frozen=True)
class RatedText:
    text: str
    rating: float  # mean human rating, -4 (most negative) to +4 (most positive)


class PublicDataMissing(FileNotFoundError):
    """The public data was not fetched; ``make install`` (scripts/public_data.py) fetches it."""


def data_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "simnet" / "data"


def rated_tweets(path: Path | None = None) -> list[RatedText]:
    """The VADER human-rated tweets, in file order (id order), HTML entities decoded."""
    path = path or data_dir() / TWEETS_FILE
    if not path.exists():
        raise PublicDataMissing(
            f"{path} is missing: run `make install` (it runs scripts/public_data.py) to fetch the public data."
        )
    texts = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].strip():
            texts.append(RatedText(html.unescape(parts[2].strip()), float(parts[1])))
    return texts
