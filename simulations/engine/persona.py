"""The engine's view of a panel: plain dataclasses the Django side fills from its models.

The persona helpers build the real cards, propensities and activity figures; the engine only
reads these fields, so this stays a small, documented record rather than a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ALL_HOURS: frozenset[int] = frozenset(range(24))


@dataclass(frozen=True)
class Persona:
    """One simulated person.

    ``card``: the persona card text (identity, style, interests, examples) that opens every
    prompt of this persona; keep it within its own token budget (~250 tokens is typical).
    ``traits``: JSON-able segment fields (age_group, party, interests list...).
    ``propensities``: per seen feed item probabilities of like/repost/quote/reply/follow and the
    per-step probability of an original post (see ``simnet.llm.base.Situation``).
    ``activity_rate``: chance of being online in a step that falls in ``active_hours``
    (0..1; one decision per online step).
    ``interests``: free text the interest recommender vectorises once.
    ``role`` and ``is_chair`` matter only to the roundtable format (a board member's title).
    ``samples``: a few texts the person really wrote (an imported persona's history), shown as
    examples of the voice; empty for a synthetic persona, which gets no made-up examples.
    """

    id: str
    handle: str
    display_name: str = ""
    card: str = ""
    traits: Mapping[str, Any] = field(default_factory=dict)
    propensities: Mapping[str, float] = field(default_factory=dict)
    activity_rate: float = 0.2
    active_hours: frozenset[int] = ALL_HOURS
    interests: str = ""
    role: str = ""
    is_chair: bool = False
    samples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or not self.handle:
            raise ValueError("a persona needs an id and a handle")
        if not 0.0 <= self.activity_rate <= 1.0:
            raise ValueError(f"{self.handle}: activity_rate must be within 0..1")
        if not self.active_hours <= ALL_HOURS:
            raise ValueError(f"{self.handle}: active hours must be within 0..23")

    @property
    def name(self) -> str:
        return self.display_name or self.handle

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "handle": self.handle,
            "display_name": self.display_name,
            "card": self.card,
            "traits": dict(self.traits),
            "propensities": dict(self.propensities),
            "activity_rate": self.activity_rate,
            "active_hours": sorted(self.active_hours),
            "interests": self.interests,
            "role": self.role,
            "is_chair": self.is_chair,
            "samples": list(self.samples),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Persona:
        return cls(
            id=data["id"],
            handle=data["handle"],
            display_name=data.get("display_name", ""),
            card=data.get("card", ""),
            traits=dict(data.get("traits", {})),
            propensities=dict(data.get("propensities", {})),
            activity_rate=data.get("activity_rate", 0.2),
            active_hours=frozenset(data.get("active_hours", range(24))),
            interests=data.get("interests", ""),
            role=data.get("role", ""),
            is_chair=data.get("is_chair", False),
            samples=tuple(data.get("samples", ())),
        )


@dataclass(frozen=True)
class PanelSnapshot:
    """Personas and who follows whom, frozen at the start of a run.

    ``follows`` holds ``(follower_id, followee_id)`` pairs between panel members.
    """

    personas: tuple[Persona, ...]
    follows: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        ids = [p.id for p in self.personas]
        if len(set(ids)) != len(ids):
            raise ValueError("persona ids must be unique")
        handles = [p.handle.lower() for p in self.personas]
        if len(set(handles)) != len(handles):
            raise ValueError("persona handles must be unique (case-insensitive)")
        known = set(ids)
        for follower, followee in self.follows:
            if follower not in known or followee not in known:
                raise ValueError(f"follow edge {follower}->{followee} names a persona outside the panel")

    def to_dict(self) -> dict[str, Any]:
        return {
            "personas": [p.to_dict() for p in self.personas],
            "follows": [list(edge) for edge in self.follows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PanelSnapshot:
        return cls(
            personas=tuple(Persona.from_dict(p) for p in data["personas"]),
            follows=tuple((a, b) for a, b in data.get("follows", ())),
        )
