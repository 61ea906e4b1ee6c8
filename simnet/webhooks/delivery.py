"""django-q2 entry points (ids in, one service call). ``sweep`` is scheduled every minute by
migration 0002; ``deliver`` is enqueued after commit by ``services.emit`` and the sweeper."""

from __future__ import annotations

from simnet.webhooks.attempts import deliveries_sweep, delivery_attempt


def deliver(delivery_id: int) -> None:
    delivery_attempt(delivery_id=delivery_id)


def sweep() -> int:
    return len(deliveries_sweep())
