"""Sending deliveries, retrying with backoff, and the sweeper that keeps it going.

Why ``next_attempt_at`` + a sweeper rather than one django-q Schedule per retry: the
database row is the only source of truth (like runs), so a lost task, a crashed worker
or a broker that was down at enqueue time only delays a delivery until the next sweep
(every minute); one Schedule row per retry would live outside the delivery's
transaction and pile up in the schedule table. Double sends are prevented by claiming the
delivery with a compare-and-set (status + lease) before any network call.

Backoff after failed attempt n: 1 min, 5 min, 30 min, 2 h, 6 h; the 6th failure is final.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from simnet.tenancy.secrets import SecretUnreadable, decrypt_for
from simnet.webhooks import transport
from simnet.webhooks.addresses import UnsafeUrl, check_outbound_url, resolve_host
from simnet.webhooks.models import Delivery, DeliveryAttempt
from simnet.webhooks.services import enqueue_deliveries, loopback_allowed
from simnet.webhooks.signing import signature_header

log = logging.getLogger(__name__)

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(seconds=60)  # well above transport.TOTAL_TIMEOUT_SECONDS
REENQUEUE_AFTER = timedelta(minutes=5)  # a due delivery handed to the queue this long ago is handed again
SWEEP_BATCH = 500


def retry_delay(failed_attempts: int) -> timedelta | None:
    """How long to wait after the ``failed_attempts``-th failure; None when no attempt is left."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[failed_attempts - 1]


def _due(now: datetime) -> Q:
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, lease_expires_at__lt=now
    )


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    claimed = Delivery.unscoped.filter(_due(now), pk=delivery_id).update(
        status=Delivery.Status.SENDING, lease_expires_at=now + LEASE, enqueued_at=None
    )
    if not claimed:
        return None
    return Delivery.unscoped.select_related("endpoint").get(pk=delivery_id)


def _send(delivery: Delivery, now: datetime) -> tuple[transport.SendOutcome, bool]:
    """The outcome of one attempt and whether retrying could change it."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return transport.SendOutcome(error="The endpoint is disabled; not sent."), False
    try:
        target = check_outbound_url(endpoint.url, allow_loopback=loopback_allowed(), resolve=resolve_host)
    except UnsafeUrl as refused:
        return transport.SendOutcome(error=f"Not sent: {refused}"), True
    try:
        secret = decrypt_for(delivery.organization_id, endpoint.secret_ciphertext)
    except SecretUnreadable:
        return transport.SendOutcome(error="The signing secret cannot be read; recreate the endpoint."), False
    body = delivery.body.encode("utf-8")
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "Simnet-Event": delivery.event,
        "Simnet-Delivery": str(delivery.pk),
        "Simnet-Timestamp": str(timestamp),
        "Simnet-Signature": signature_header(secret, timestamp, body),
    }
    return transport.post_json(target, body, headers), True


def _record(
    delivery: Delivery, outcome: transport.SendOutcome, *, retryable: bool, now: datetime
) -> DeliveryAttempt:
    number = delivery.attempt_count + 1
    fields = {
        "attempt_count": number,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
        "lease_expires_at": None,
    }
    delay = retry_delay(number) if retryable else None
    if outcome.succeeded:
        fields.update(status=Delivery.Status.SUCCEEDED, completed_at=now, next_attempt_at=None)
    elif delay is None:
        fields.update(status=Delivery.Status.FAILED, completed_at=now, next_attempt_at=None)
    else:
        fields.update(status=Delivery.Status.PENDING, next_attempt_at=now + delay)
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            organization_id=delivery.organization_id,
            delivery=delivery,
            number=number,
            started_at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            response_excerpt=outcome.excerpt[: transport.EXCERPT_BYTES],
            error=outcome.error[:500],
            succeeded=outcome.succeeded,
        )
        Delivery.unscoped.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**fields)
    return attempt


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> DeliveryAttempt | None:
    """Try to send the delivery once if it is due; None when it is not due or another worker has it."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    outcome, retryable = _send(delivery, now)
    attempt = _record(delivery, outcome, retryable=retryable, now=now)
    log.info(
        "webhook delivery %s (%s) attempt %s: %s",
        delivery.pk,
        delivery.event,
        attempt.number,
        outcome.status_code or outcome.error,
    )
    return attempt


def deliveries_sweep(*, now: datetime | None = None) -> list[int]:
    """Hand every due delivery (and every expired claim) to the queue; returns their ids."""
    now = now or timezone.now()
    due_ids = list(
        Delivery.unscoped.filter(_due(now))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return enqueue_deliveries(due_ids, now=now)
