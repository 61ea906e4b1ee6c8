"""Webhook settings pages: admins only, 404 across organizations, the secret shown once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from simnet.webhooks import attempts, services
from simnet.webhooks.models import Delivery, WebhookEndpoint
from tests.simnet.webhooks.receiver import Reply

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def endpoint(org_a):
    created, _ = services.webhook_endpoint_create(
        organization=org_a, url="http://127.0.0.1:9/in", events=["run.failed"]
    )
    return created


@pytest.fixture
def delivery(org_a, endpoint, enqueued):
    [created] = services.emit(
        organization=org_a, event="run.failed", payload={"run_id": 1, "reason": "quota"}
    )
    return created


def test_an_admin_registers_an_endpoint_and_sees_its_secret_only_in_that_response(org_admin_client, org_a):
    response = org_admin_client.post(
        reverse("webhook_create"), {"url": "http://127.0.0.1:9/in", "events": ["run.completed", "run.failed"]}
    )
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    secret = response.context["new_secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.for_org(org_a).get()
    for page in (reverse("webhook_list"), reverse("webhook_detail", args=[endpoint.pk])):
        content = org_admin_client.get(page).content.decode()
        assert secret not in content and endpoint.secret_hint in content


def test_a_refused_url_is_shown_on_the_form(org_admin_client, org_a, settings):
    settings.PRODUCTION = True
    response = org_admin_client.post(
        reverse("webhook_create"), {"url": "http://10.0.0.1/", "events": ["run.failed"]}
    )
    assert response.status_code == 200 and "private address" in response.content.decode()
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


@pytest.mark.parametrize("client_name", ["member_client", "viewer_client"])
def test_members_and_viewers_are_refused(request, client_name, endpoint):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("webhook_list")).status_code == 403
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 403


def test_another_organization_gets_404_on_every_page(outsider_client, endpoint, delivery):
    pages = [
        ("get", reverse("webhook_detail", args=[endpoint.pk])),
        ("post", reverse("webhook_detail", args=[endpoint.pk])),
        ("get", reverse("webhook_delete", args=[endpoint.pk])),
        ("post", reverse("webhook_delete", args=[endpoint.pk])),
        ("get", reverse("webhook_delivery", args=[endpoint.pk, delivery.pk])),
        ("get", reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk])),
        ("post", reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk])),
    ]
    assert [getattr(outsider_client, method)(url).status_code for method, url in pages] == [404] * len(pages)
    assert outsider_client.get(reverse("webhook_list")).context["endpoints"].count() == 0


def test_detail_lists_deliveries_and_the_edit_form_saves(org_admin_client, endpoint, delivery):
    page = org_admin_client.get(reverse("webhook_detail", args=[endpoint.pk]))
    assert [d.pk for d in page.context["page"].object_list] == [delivery.pk]
    saved = org_admin_client.post(
        reverse("webhook_detail", args=[endpoint.pk]),
        {"url": endpoint.url, "description": "Ops", "events": ["run.failed", "run.paused"]},
    )
    assert saved.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.events, endpoint.is_active) == (
        "Ops",
        ["run.failed", "run.paused"],
        False,
    )


def test_delivery_page_shows_attempts_and_redeliver_queues_a_new_one(
    org_admin_client, org_a, receiver, enqueued, django_capture_on_commit_callbacks
):
    endpoint, _ = services.webhook_endpoint_create(
        organization=org_a, url=receiver.url, events=["run.paused"]
    )
    [delivery] = services.emit(organization=org_a, event="run.paused", payload={"why": "budget"})
    receiver.replies = [Reply(410, b"gone away")]
    for _ in range(attempts.MAX_ATTEMPTS):
        attempts.delivery_attempt(
            delivery_id=delivery.pk, now=Delivery.unscoped.get(pk=delivery.pk).next_attempt_at
        )
    page = org_admin_client.get(reverse("webhook_delivery", args=[endpoint.pk, delivery.pk]))
    content = page.content.decode()
    assert (
        page.status_code == 200
        and content.count("gone away") == attempts.MAX_ATTEMPTS
        and "Redeliver" in content
    )
    with django_capture_on_commit_callbacks(execute=True):
        redelivered = org_admin_client.post(reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk]))
    again = Delivery.objects.for_org(org_a).get(redelivery_of=delivery)
    assert redelivered.status_code == 302 and redelivered["Location"].endswith(f"/deliveries/{again.pk}/")
    assert enqueued[-1] == again.pk


def test_redelivering_a_pending_delivery_shows_why_not(org_admin_client, endpoint, delivery):
    response = org_admin_client.post(
        reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk]), follow=True
    )
    assert "still being retried" in response.content.decode()


def test_delete_needs_post_and_removes_the_endpoint(org_admin_client, org_a, endpoint):
    assert org_admin_client.get(reverse("webhook_delete", args=[endpoint.pk])).status_code == 405
    assert org_admin_client.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 302
    assert not WebhookEndpoint.objects.for_org(org_a).exists()
