"""A decision cache in a JSON file, for command-line runs that have no organization.

Same idea as the database store: a re-run with the same seed reads every answer back, so
it reproduces the first run exactly even with a model whose output can wobble between calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from simnet.llm.wrappers import CachedDecision, CacheKey


class FileDecisionStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._items: dict[str, dict] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, CachedDecision]:
        found = {key: self._items.get(key.digest) for key in keys}
        return {key: CachedDecision(text=item["text"], data=item["data"]) for key, item in found.items() if item}

    def set_many(self, decisions: Mapping[CacheKey, CachedDecision]) -> None:
        for key, decision in decisions.items():
            self._items[key.digest] = {"text": decision.text, "data": dict(decision.data) if decision.data else None}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._items))
        tmp.replace(self.path)
