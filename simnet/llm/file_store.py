"""A decision cache in a JSON file, for command-line runs that have no organization.

Same idea as the database store: a re-run with the same seed reads every answer back, so
it reproduces the first run exactly even with a model whose output can wobble between calls.
"""

from __future__ import annotations

import json
from pathlib import Path

from simnet.llm.wrappers import CachedDecision, CacheKey


class FileDecisionStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._items: dict[str, dict] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key: CacheKey) -> CachedDecision | None:
        item = self._items.get(key.digest)
        return CachedDecision(text=item["text"], data=item["data"]) if item else None

    def set(self, key: CacheKey, decision: CachedDecision) -> None:
        self._items[key.digest] = {
            "text": decision.text,
            "data": dict(decision.data) if decision.data else None,
        }

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._items))
        tmp.replace(self.path)
