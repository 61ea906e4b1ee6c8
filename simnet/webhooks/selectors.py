"""Webhook reads, always given the organization."""

from __future__ import annotations

from django.db.models import QuerySet

from simnet.tenancy.access import get_for_org
from simnet.webhooks.models import Delivery, WebhookEndpoint


def webhook_endpoint_list(*, organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_org(organization).select_related("created_by")


def webhook_endpoint_get(*, organization, endpoint_id: int) -> WebhookEndpoint:
    return get_for_org(WebhookEndpoint.objects.select_related("organization"), organization, pk=endpoint_id)


def delivery_list(*, organization, endpoint: WebhookEndpoint | None = None) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.for_org(organization).select_related("endpoint").defer("body")
    return deliveries.filter(endpoint=endpoint) if endpoint is not None else deliveries


def delivery_get(*, organization, delivery_id: int, endpoint: WebhookEndpoint | None = None) -> Delivery:
    lookup = {"pk": delivery_id, **({"endpoint": endpoint} if endpoint is not None else {})}
    queryset = Delivery.objects.select_related("endpoint__organization")
    return get_for_org(queryset, organization, **lookup)
