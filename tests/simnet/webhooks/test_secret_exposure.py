"""After creation, the signing secret appears in no API response, page, log line or stored row."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from simnet.api.models import IdempotencyRecord
from simnet.tenancy.models import AuditEvent
from simnet.webhooks import attempts, services
from simnet.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from simnet.webhooks.signing import verify_signature

pytestmark = pytest.mark.django_db


def test_the_secret_never_leaks_after_creation(
    api_client_for,
    api_token_for,
    org_a,
    org_admin_client,
    receiver,
    enqueued,
    caplog,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    api = api_client_for(api_token_for(org_a, role="owner").raw_token)
    created = api.post(
        "/api/v1/webhooks/endpoints/", {"url": receiver.url, "events": ["run.completed"]}, format="json"
    ).json()
    secret, endpoint_id = created["secret"], created["id"]

    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.emit(organization=org_a, event="run.completed", payload={"run_id": 1})
    attempts.delivery_attempt(delivery_id=delivery.pk)
    api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/", HTTP_IDEMPOTENCY_KEY="k1")

    responses = [
        api.get("/api/v1/webhooks/endpoints/"),
        api.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/"),
        api.patch(f"/api/v1/webhooks/endpoints/{endpoint_id}/", {"description": "x"}, format="json"),
        api.get("/api/v1/webhooks/deliveries/"),
        api.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/"),
        org_admin_client.get(reverse("webhook_list")),
        org_admin_client.get(reverse("webhook_detail", args=[endpoint_id])),
        org_admin_client.get(reverse("webhook_delivery", args=[endpoint_id, delivery.pk])),
    ]
    assert all(response.status_code == 200 for response in responses)
    for response in responses:
        assert secret not in response.content.decode()

    assert receiver.requests and verify_signature(
        secret, receiver.requests[0].headers["Simnet-Signature"], receiver.requests[0].body
    )
    assert secret not in caplog.text and "Simnet-Signature" not in caplog.text
    stored = [
        *WebhookEndpoint.objects.for_org(org_a).values_list("secret_ciphertext", "secret_hint"),
        *Delivery.objects.for_org(org_a).values_list("body", "last_error"),
        *DeliveryAttempt.objects.for_org(org_a).values_list("response_excerpt", "error"),
        *AuditEvent.objects.for_org(org_a).values_list("detail", "target_label"),
        *IdempotencyRecord.objects.for_org(org_a).values_list("response_body", "response_headers"),
    ]
    assert secret not in json.dumps(stored, default=str)
