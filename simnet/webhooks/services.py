"""Webhook writes: endpoints, emitting events, redelivery. Keyword-only and atomic.

Sending is in ``attempts``; this module only creates deliveries and hands their ids to
the task queue after commit. If that hand-over fails (broker down), the delivery is still
due in the database and the sweeper sends it.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from simnet.tenancy import audit
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.secrets import encrypt_for, mask
from simnet.webhooks.addresses import UnsafeUrl, check_outbound_url, resolve_host
from simnet.webhooks.models import Delivery, WebhookEndpoint, WebhookEvent

try:
    from redis.exceptions import RedisError
except ImportError:  # the embedded install has no Redis client
    RedisError = OSError

log = logging.getLogger(__name__)

# What enqueueing raises when the broker is unreachable: the ORM broker's database or Redis.
BROKER_ERRORS = (DatabaseError, OSError, RedisError)

SECRET_PREFIX = "whsec"
MAX_ENDPOINTS_PER_ORGANIZATION = 20
DELIVER_TASK = "simnet.webhooks.delivery.deliver"


class AuditActions:
    ENDPOINT_CREATED = "webhook.created"
    ENDPOINT_UPDATED = "webhook.updated"
    ENDPOINT_DELETED = "webhook.deleted"
    DELIVERY_REDELIVERED = "webhook.redelivered"


def loopback_allowed() -> bool:
    """Development may send to 127.0.0.1 (tests do); production only to public addresses."""
    return not settings.PRODUCTION


def check_endpoint_url(url: str) -> None:
    """``ApplicationError`` on the ``url`` field unless it is an acceptable, public http(s) URL."""
    try:
        check_outbound_url(url, allow_loopback=loopback_allowed(), resolve=resolve_host)
    except UnsafeUrl as refused:
        raise ApplicationError(
            str(refused), code="webhook_url_refused", fields={"url": [str(refused)]}
        ) from None


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in WebhookEvent.values]
    if unknown or not chosen:
        message = f"Unknown events: {', '.join(unknown)}." if unknown else "Subscribe to at least one event."
        raise ApplicationError(message, code="invalid", fields={"events": [message]})
    return chosen


def webhook_endpoint_create(
    *,
    organization,
    url: str,
    events: Iterable[str],
    description: str = "",
    is_active: bool = True,
    actor=None,
    token=None,
    ip: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint (``is_active=False``: registered but paused); returns it and its
    signing secret, which is never readable again."""
    chosen = _clean_events(events)
    check_endpoint_url(url)
    with transaction.atomic():
        if WebhookEndpoint.objects.for_org(organization).count() >= MAX_ENDPOINTS_PER_ORGANIZATION:
            raise ApplicationError(
                f"An organization can have at most {MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints.",
                code="webhook_endpoint_limit",
            )
        raw_secret = f"{SECRET_PREFIX}_{secrets.token_urlsafe(32)}"
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            description=description,
            events=chosen,
            is_active=is_active,
            secret_ciphertext=encrypt_for(organization.pk, raw_secret),
            secret_hint=mask(raw_secret),
            created_by=actor if actor is not None and actor.pk else None,
        )
        audit.record(
            organization=organization,
            action=AuditActions.ENDPOINT_CREATED,
            actor=actor,
            token=token,
            target=endpoint,
            detail={"url": url, "events": chosen},
            ip=ip,
        )
    return endpoint, raw_secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor=None,
    token=None,
    ip: str | None = None,
    url: str | None = None,
    description: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what was given (None = keep); the secret stays."""
    changes: dict[str, Any] = {}
    if url is not None and url != endpoint.url:
        check_endpoint_url(url)
        changes["url"] = url
    if description is not None and description != endpoint.description:
        changes["description"] = description
    if events is not None:
        chosen = _clean_events(events)
        if chosen != endpoint.events:
            changes["events"] = chosen
    if is_active is not None and is_active != endpoint.is_active:
        changes["is_active"] = is_active
    if not changes:
        return endpoint
    with transaction.atomic():
        for field, value in changes.items():
            setattr(endpoint, field, value)
        endpoint.save(update_fields=list(changes))
        audit.record(
            organization=endpoint.organization,
            action=AuditActions.ENDPOINT_UPDATED,
            actor=actor,
            token=token,
            target=endpoint,
            detail={"changed": sorted(changes)},
            ip=ip,
        )
    return endpoint


def webhook_endpoint_delete(
    *, endpoint: WebhookEndpoint, actor=None, token=None, ip: str | None = None
) -> None:
    """Delete the endpoint and its delivery history; pending retries stop."""
    with transaction.atomic():
        audit.record(
            organization=endpoint.organization,
            action=AuditActions.ENDPOINT_DELETED,
            actor=actor,
            token=token,
            target=endpoint,
            detail={"url": endpoint.url},
            ip=ip,
        )
        WebhookEndpoint.objects.for_org(endpoint.organization_id).filter(pk=endpoint.pk).delete()


def enqueue_deliveries(delivery_ids: list[int], *, now: datetime | None = None) -> list[int]:
    """Hand deliveries to the task queue; returns the ids it accepted (the sweeper retries the rest)."""
    accepted = []
    for delivery_id in delivery_ids:
        try:
            async_task(DELIVER_TASK, delivery_id, task_name=f"webhook-delivery-{delivery_id}")
        except BROKER_ERRORS as exc:  # the row stays due and the sweeper enqueues it later
            log.warning("could not enqueue webhook delivery %s: %s", delivery_id, exc)
        else:
            accepted.append(delivery_id)
    if accepted:
        Delivery.unscoped.filter(pk__in=accepted).update(enqueued_at=now or timezone.now())
    return accepted


def _envelope(*, organization, event: str, event_id: str, created_at: datetime, payload: dict) -> str:
    document = {
        "id": event_id,
        "type": event,
        "created_at": created_at.isoformat(),
        "organization": {"id": organization.pk, "slug": organization.slug},
        "data": payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True)


def emit(*, organization, event: str, payload: dict) -> list[Delivery]:
    """Queue ``event`` for every active endpoint of ``organization`` subscribed to it.

    Call it inside the transaction that made the event true: deliveries are created there
    and sent only after it commits (nothing is sent for a rolled-back change).
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.for_org(organization).filter(is_active=True)
        if event in endpoint.events
    ]
    if not endpoints:
        return []
    now = timezone.now()
    event_id = f"evt_{secrets.token_hex(16)}"
    body = _envelope(
        organization=organization, event=event, event_id=event_id, created_at=now, payload=payload
    )
    with transaction.atomic():
        deliveries = [
            Delivery.objects.create(
                organization=organization,
                endpoint=endpoint,
                event=event,
                event_id=event_id,
                body=body,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
        transaction.on_commit(partial(enqueue_deliveries, [delivery.pk for delivery in deliveries]))
    return deliveries


def delivery_redeliver(*, delivery: Delivery, actor=None, token=None, ip: str | None = None) -> Delivery:
    """Send a finished delivery again, as a new delivery with the same event id and body."""
    if not delivery.is_final:
        raise ApplicationError(
            "This delivery is still being retried; wait for it to succeed or fail before redelivering.",
            code="delivery_in_progress",
            status=409,
        )
    if not delivery.endpoint.is_active:
        raise ApplicationError(
            "Enable the endpoint before redelivering to it.", code="webhook_endpoint_disabled"
        )
    now = timezone.now()
    with transaction.atomic():
        again = Delivery.objects.create(
            organization_id=delivery.organization_id,
            endpoint=delivery.endpoint,
            event=delivery.event,
            event_id=delivery.event_id,
            body=delivery.body,
            next_attempt_at=now,
            created_at=now,
            redelivery_of=delivery,
        )
        audit.record(
            organization=delivery.endpoint.organization,
            action=AuditActions.DELIVERY_REDELIVERED,
            actor=actor,
            token=token,
            target=again,
            detail={"of": delivery.pk, "event": delivery.event},
            ip=ip,
        )
        transaction.on_commit(partial(enqueue_deliveries, [again.pk]))
    return again
