"""django-q2 entry points of the API infrastructure (scheduled by migration 0002)."""

from __future__ import annotations

from simnet.api.idempotency import idempotency_records_purge


def purge_idempotency_records() -> int:
    return idempotency_records_purge()
