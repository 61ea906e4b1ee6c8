"""Webhook URLs check the object before the method (cross-organization 404s live in
tests/simnet/test_isolation.py with every other URL)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simnet.webhooks import services

pytestmark = pytest.mark.django_db

MARKER = "webhook isolation"


@pytest.fixture
def objects(org_a, enqueued):
    endpoint, _ = services.webhook_endpoint_create(
        organization=org_a, url="http://127.0.0.1:9/in", events=["run.failed"], description=MARKER
    )
    [delivery] = services.emit(organization=org_a, event="run.failed", payload={"note": MARKER})
    return endpoint, delivery


def test_the_own_organization_gets_405_for_a_wrong_method(objects, api_client_for, api_token_for, org_a):
    endpoint, delivery = objects
    admin = api_client_for(api_token_for(org_a, role="admin").raw_token)
    assert admin.post(reverse("api_webhook_endpoint-detail", kwargs={"pk": endpoint.pk})).status_code == 405
    assert admin.get(reverse("api_webhook_delivery-redeliver", kwargs={"pk": delivery.pk})).status_code == 405
