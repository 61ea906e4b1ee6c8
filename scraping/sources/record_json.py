"""Neutral records to JSON and back, so a job can stage them in the database between pages."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime
from typing import Any

from scraping.sources.records import AccountRecord, FollowRecord, HistoryKind, HistoryRecord


def _time_to_json(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time_from_json(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def account_to_json(account: AccountRecord) -> dict[str, Any]:
    return {**asdict(account), "created_at": _time_to_json(account.created_at)}


def account_from_json(data: dict[str, Any]) -> AccountRecord:
    return AccountRecord(**{**data, "created_at": _time_from_json(data.get("created_at"))})


def history_to_json(record: HistoryRecord) -> dict[str, Any]:
    data = asdict(record)
    data.update(kind=record.kind.value, created_at=_time_to_json(record.created_at), media=list(record.media),
                media_alt=list(record.media_alt))
    return data


def history_from_json(data: dict[str, Any]) -> HistoryRecord:
    return HistoryRecord(
        **{
            **data,
            "kind": HistoryKind(data["kind"]),
            "created_at": _time_from_json(data.get("created_at")),
            "media": tuple(data.get("media") or ()),
            "media_alt": tuple(data.get("media_alt") or ()),  # absent in checkpoints written before alt texts
        }
    )


def follow_to_json(record: FollowRecord) -> dict[str, Any]:
    return asdict(record)


def follow_from_json(data: dict[str, Any]) -> FollowRecord:
    return FollowRecord(**data)


def identity_key(*parts: str) -> str:
    """A fixed-length key for a record's identity (ids can be long URIs)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def history_key(record: HistoryRecord) -> str:
    return identity_key(record.kind.value, record.platform_id)


def follow_key(record: FollowRecord) -> str:
    return identity_key(record.platform_id or record.handle.casefold())
