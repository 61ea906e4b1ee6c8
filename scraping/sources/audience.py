"""Audiences: list the accounts behind a followers list, a hashtag or a search, then sample some (pure).

A platform's audience module turns one kind of listing into pages of :class:`Candidate`;
:func:`collect_candidates` pages through them with a cap, drops duplicates and sets aside
accounts the platform marks as protected, suspended or automated (they cannot be imported, or
would not read like people); :func:`sample_candidates` draws a seeded uniform sample, so the
same listing and seed always give the same panel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from scraping.sources.base import ProgressCallback, report


class AudienceKind(StrEnum):
    FOLLOWERS = "followers"
    HASHTAG = "hashtag"
    SEARCH = "search"


class SkipReason(StrEnum):
    PROTECTED = "protected"
    SUSPENDED = "suspended"
    BOT = "bot"
    UNREACHABLE = "unreachable"  # an address we will not fetch from (not a public server name)


SKIP_WORDS = {
    SkipReason.PROTECTED: "private or protected",
    SkipReason.SUSPENDED: "suspended, limited or moved",
    SkipReason.BOT: "marked as automated",
    SkipReason.UNREACHABLE: "on a server we cannot reach",
}


@dataclass(frozen=True)
class Candidate:
    platform_id: str  # stable id on the platform: de-duplication and sampling order
    address: str  # what the per-account importer takes: an X username, a Bluesky DID, @user@server
    handle: str  # for people to read
    skip: SkipReason | None = None


@dataclass(frozen=True)
class CandidatePage:
    candidates: list[Candidate] = field(default_factory=list)
    next_cursor: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateListing:
    eligible: list[Candidate]
    seen: int  # distinct accounts listed, eligible or not
    skipped: dict[str, int]  # SkipReason value: how many
    notes: list[str]


FetchCandidates = Callable[[str | None], CandidatePage]


def collect_candidates(
    fetch: FetchCandidates, *, limit: int, progress: ProgressCallback | None = None
) -> CandidateListing:
    """Page through a listing until it ends, repeats a cursor or ``limit`` distinct accounts were seen."""
    seen: dict[str, Candidate] = {}
    notes: list[str] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        notes.extend(note for note in page.notes if note not in notes)
        for candidate in page.candidates:
            if len(seen) < limit:
                seen.setdefault(candidate.platform_id, candidate)
        report(progress, len(seen), None, f"Listed {len(seen):,} accounts")
        if len(seen) >= limit and page.next_cursor:
            notes.append(
                f"Listed the first {limit:,} accounts, the listing limit; the sample is drawn from those."
            )
            break
        if not page.next_cursor or page.next_cursor == cursor or not page.candidates:
            break
        cursor = page.next_cursor
    eligible = [c for c in seen.values() if c.skip is None]
    skipped = Counter(c.skip.value for c in seen.values() if c.skip is not None)
    return CandidateListing(eligible=eligible, seen=len(seen), skipped=dict(skipped), notes=notes)


def sample_candidates(eligible: list[Candidate], *, size: int, seed: int) -> list[Candidate]:
    """A uniform sample without replacement; sorted by id first so listing order does not matter."""
    ordered = sorted(eligible, key=lambda c: c.platform_id)
    count = min(size, len(ordered))
    picks = np.random.default_rng(seed).choice(len(ordered), size=count, replace=False)
    return [ordered[int(i)] for i in picks]


def skipped_note(skipped: dict[str, int]) -> str:
    """One sentence on the accounts set aside while listing, or "" when none were."""
    parts = [f"{count:,} {SKIP_WORDS[SkipReason(reason)]}" for reason, count in sorted(skipped.items())]
    return f"Left out while listing: {', '.join(parts)}." if parts else ""
