"""Content injected into a run: an ad, a statement, a pitch.

A stimulus is published as a post when the world reaches its step (``at_step``), or at once when
it has no step ("inject now": it is in feeds from the next planned step). Its author is a panel
member (``author_id``) or an outside account such as a brand (``author_handle``). ``boost`` is the
share of the panel it is promoted to (an ad's paid reach), for ``boost_steps`` steps (None: until
the run ends): each persona of that audience finds it at the top of their feed when they next open
it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from simnet.llm.base import ImagePart

# Nobody in a panel follows an outside account, so an unpromoted ad reaches only the few personas a
# recommender happens to rank it for (9 of 51 in the holiday-ad demo). By default it is promoted as
# a paid post is, to this share of the panel; a persona's own post spreads through its followers.
DEFAULT_OUTSIDE_BOOST = 0.5


def default_boost(*, outside_author: bool) -> float:
    """The boost a stimulus gets when its author did not choose one."""
    return DEFAULT_OUTSIDE_BOOST if outside_author else 0.0


def promoted_audience(post_id: str, persona_ids: Iterable[str], share: float) -> frozenset[str]:
    """The ``round(share × panel)`` personas a boosted post is promoted to.

    Ranked by a hash of (post, persona): the audience has exactly the stated size, stays the same
    for the whole run and every replay, and draws nothing from the run's RNG.
    """

    def rank(persona_id: str) -> bytes:
        return hashlib.blake2b(f"{post_id}|{persona_id}".encode(), digest_size=8).digest()

    ids = sorted(persona_ids, key=rank)
    return frozenset(ids[: round(share * len(ids))])


@dataclass(frozen=True)
class Stimulus:
    id: str
    text: str
    at_step: int | None = None
    author_id: str | None = None
    author_handle: str | None = None
    boost: float = 0.0
    boost_steps: int | None = None
    alt_text: str = ""  # what the picture shows, in words: read by providers that see no images
    images: tuple[str, ...] = ()  # references of the picture and video keyframes, resolved outside

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError(f"stimulus {self.id}: the text is empty")
        if (self.author_id is None) == (self.author_handle is None):
            raise ValueError(f"stimulus {self.id}: give either a panel author_id or an outside author_handle")
        if not 0.0 <= self.boost <= 1.0:
            raise ValueError(f"stimulus {self.id}: boost is a share of feeds, within 0..1")
        if self.boost_steps is not None and self.boost_steps < 1:
            raise ValueError(f"stimulus {self.id}: boost_steps must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stimulus:
        return cls(**{**data, "images": tuple(data.get("images", ()))})


@dataclass(frozen=True)
class Boost:
    """A published stimulus post promoted to ``share`` of the panel up to ``until_step`` (inclusive)."""

    post_id: str
    share: float
    until_step: int | None

    def active_at(self, step: int) -> bool:
        return self.until_step is None or step <= self.until_step

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Boost:
        return cls(**data)


@dataclass(frozen=True)
class StimulusMedia:
    alt_text: str = ""
    images: tuple[str, ...] = ()  # the picture first, then keyframes in order

    def to_dict(self) -> dict[str, Any]:
        return {"alt_text": self.alt_text, "images": list(self.images)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StimulusMedia:
        return cls(data.get("alt_text", ""), tuple(data.get("images", ())))


# A picture reference -> its bytes; set on a world by whoever builds it (stored files on the Django side).
LoadImage = Callable[[str], ImagePart]
