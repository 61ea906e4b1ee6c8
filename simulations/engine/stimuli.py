"""Content injected into a run: an ad, a statement, a pitch.

A stimulus is published as a post when the world reaches its step (``at_step``), or at once when
it has no step ("inject now": it is in feeds from the next planned step). Its author is a panel
member (``author_id``) or an outside account such as a brand (``author_handle``). ``boost`` is the
share of active feeds it is promoted into (an ad's paid reach), for ``boost_steps`` steps
(None: until the run ends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Stimulus:
    id: str
    text: str
    at_step: int | None = None
    author_id: str | None = None
    author_handle: str | None = None
    boost: float = 0.0
    boost_steps: int | None = None

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
        return cls(**data)


@dataclass(frozen=True)
class Boost:
    """A published stimulus post promoted into ``share`` of feeds up to ``until_step`` (inclusive)."""

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
