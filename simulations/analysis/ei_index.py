"""Krackhardt and Stern's E-I index: does engagement cross the panel's groups or stay inside them?

``(E - I) / (E + I)`` over engagement ties (who liked, reposted, quoted or replied to whom):
-1 when every tie stays in its group (an echo chamber), +1 when every tie crosses. A bridging
feed claims to move it up, so an experiment compares it between variants. Ties with a person
of unknown group, and ties to oneself, are left out and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EIIndex:
    external: int
    internal: int
    skipped: int  # ties with an unknown group or to oneself

    @property
    def index(self) -> float | None:
        total = self.external + self.internal
        return None if total == 0 else (self.external - self.internal) / total


def ei_index(ties: Iterable[tuple[str, str]], groups: Mapping[str, str]) -> EIIndex:
    """E-I index of directed ties ``(from, to)`` given each person's group."""
    external = internal = skipped = 0
    for source, target in ties:
        a, b = groups.get(source), groups.get(target)
        if source == target or a is None or b is None:
            skipped += 1
        elif a == b:
            internal += 1
        else:
            external += 1
    return EIIndex(external, internal, skipped)
