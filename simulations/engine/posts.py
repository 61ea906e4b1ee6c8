"""Posts as the world stores them: content plus the counters engagement updates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from simulations.engine.vectors import SparseVector


class PostKind(StrEnum):
    POST = "post"
    REPLY = "reply"
    QUOTE = "quote"
    REPOST = "repost"


@dataclass
class Post:
    id: str
    seq: int
    author_id: str
    kind: PostKind
    text: str
    step: int
    parent_id: str | None = None  # replied to, quoted or reposted
    root_id: str | None = None  # start of the thread/cascade (None: this post is a root)
    is_stimulus: bool = False
    stimulus_id: str | None = None
    likes: int = 0
    reposts: int = 0
    quotes: int = 0
    replies: int = 0
    impressions: int = 0
    reports: int = 0
    downvotes: int = 0  # forum only; upvotes are the likes
    community: str | None = None  # forum only: the community of the thread
    moderation: str = ""  # the content policy's action on it: remove | downrank | label (engine.moderation)
    vector: SparseVector = field(default_factory=dict)

    @property
    def score(self) -> int:
        """A forum post's net votes."""
        return self.likes - self.downvotes

    def to_dict(self) -> dict[str, Any]:
        # A flat copy (``vector`` is the only mutable field): ``dataclasses.asdict`` deep-copies
        # recursively and cost 16x more, a tenth of a 5,000-persona snapshot.
        data = dict(self.__dict__)
        data["kind"] = str(self.kind)
        data["vector"] = dict(self.vector)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Post:
        values = dict(data)
        values["kind"] = PostKind(values["kind"])
        return cls(**values)
