"""Where a network import stands, as a plain JSON-able dict the job can store and pass back.

It holds the account already fetched (so a resumed job does not spend a request on it), and per
endpoint the next cursor, whether it is finished and how many items it produced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from scraping.sources.errors import Checkpoint
from scraping.sources.records import AccountRecord, ImportFailed

CHECKPOINT_VERSION = 1


@dataclass
class StageState:
    cursor: str | None = None
    done: bool = False
    count: int = 0
    expected: int | None = None


@dataclass
class ImportState:
    source: str
    handle: str
    account: AccountRecord | None = None
    stages: dict[str, StageState] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def stage(self, name: str) -> StageState:
        return self.stages.setdefault(name, StageState())

    def to_checkpoint(self) -> Checkpoint:
        return {
            "version": CHECKPOINT_VERSION,
            "source": self.source,
            "handle": self.handle,
            "account": _account_to_json(self.account) if self.account else None,
            "stages": {name: asdict(state) for name, state in self.stages.items()},
            "notes": list(self.notes),
        }

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, *, source: str, handle: str) -> ImportState:
        """Refuse a checkpoint of another source, handle or format instead of mixing two imports."""
        if checkpoint.get("version") != CHECKPOINT_VERSION or checkpoint.get("source") != source:
            raise ImportFailed("This saved import position belongs to a different importer; start anew.")
        if checkpoint.get("handle") != handle:
            raise ImportFailed(
                f"This saved import position is for {checkpoint.get('handle')!r}, not {handle!r}; start anew."
            )
        account = checkpoint.get("account")
        return cls(
            source=source,
            handle=handle,
            account=_account_from_json(account) if account else None,
            stages={name: StageState(**state) for name, state in checkpoint.get("stages", {}).items()},
            notes=list(checkpoint.get("notes", [])),
        )


def _account_to_json(account: AccountRecord) -> dict[str, Any]:
    data = asdict(account)
    data["created_at"] = account.created_at.isoformat() if account.created_at else None
    return data


def _account_from_json(data: dict[str, Any]) -> AccountRecord:
    created_at = data.get("created_at")
    return AccountRecord(**{**data, "created_at": datetime.fromisoformat(created_at) if created_at else None})
