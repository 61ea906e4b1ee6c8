"""Webhook REST API: admins only, organization-scoped, the secret in the create response only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simnet.webhooks import attempts, services
from simnet.webhooks.models import Delivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints/"
DELIVERIES = "/api/v1/webhooks/deliveries/"
T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def client_with_role(api_client_for, api_token_for, org_a):
    return lambda role, organization=org_a: api_client_for(api_token_for(organization, role=role).raw_token)


@pytest.fixture
def admin_api(client_with_role):
    return client_with_role("admin")


def register(client, url="http://127.0.0.1:9/hook", events=("run.completed",)):
    return client.post(ENDPOINTS, {"url": url, "events": list(events), "description": "CRM"}, format="json")


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(admin_api, org_a):
    response = register(admin_api)
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["secret_hint"] == f"••••{body['secret'][-4:]}"
    assert body["events"] == ["run.completed"] and body["is_active"] is True
    endpoint = WebhookEndpoint.objects.for_org(org_a).get()
    assert endpoint.pk == body["id"]
    for path in (ENDPOINTS, f"{ENDPOINTS}{endpoint.pk}/"):
        assert body["secret"] not in admin_api.get(path).content.decode()
    patched = admin_api.patch(f"{ENDPOINTS}{endpoint.pk}/", {"description": "CRM v2"}, format="json")
    assert patched.status_code == 200 and "secret" not in patched.json()


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_roles_below_admin_can_neither_read_nor_write(client_with_role, role):
    client = client_with_role(role)
    assert client.get(ENDPOINTS).status_code == 403
    refused = register(client)
    assert refused.status_code == 403 and "needs admin" in refused.json()["error"]["message"]


def test_a_refused_url_is_a_400_on_the_url_field(admin_api, settings):
    settings.PRODUCTION = True
    response = register(admin_api, url="http://169.254.169.254/latest/")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "webhook_url_refused" and "link-local" in error["fields"]["url"][0]


def test_unknown_events_are_a_400_on_the_events_field(admin_api):
    response = register(admin_api, events=["run.exploded"])
    assert response.status_code == 400 and "events.0" in response.json()["error"]["fields"]


def test_another_organizations_endpoints_and_deliveries_are_404(client_with_role, org_a, org_b, enqueued):
    endpoint, _ = services.webhook_endpoint_create(
        organization=org_a, url="http://127.0.0.1:9/", events=["run.failed"]
    )
    [delivery] = services.emit(organization=org_a, event="run.failed", payload={})
    outsider = client_with_role("owner", org_b)
    assert outsider.get(ENDPOINTS).json()["results"] == []
    assert outsider.get(f"{ENDPOINTS}{endpoint.pk}/").status_code == 404
    assert (
        outsider.patch(f"{ENDPOINTS}{endpoint.pk}/", {"is_active": False}, format="json").status_code == 404
    )
    assert outsider.delete(f"{ENDPOINTS}{endpoint.pk}/").status_code == 404
    assert outsider.get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert outsider.post(f"{DELIVERIES}{delivery.pk}/redeliver/").status_code == 404
    assert outsider.get(DELIVERIES).json()["results"] == []


def test_put_replaces_and_delete_removes(admin_api, org_a):
    endpoint_id = register(admin_api).json()["id"]
    replaced = admin_api.put(
        f"{ENDPOINTS}{endpoint_id}/",
        {
            "url": "http://127.0.0.1:10/new",
            "events": ["import.completed"],
            "description": "",
            "is_active": False,
        },
        format="json",
    )
    assert replaced.status_code == 200
    assert (replaced.json()["url"], replaced.json()["events"], replaced.json()["is_active"]) == (
        "http://127.0.0.1:10/new",
        ["import.completed"],
        False,
    )
    assert admin_api.delete(f"{ENDPOINTS}{endpoint_id}/").status_code == 204
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


def test_deliveries_list_filters_and_detail_shows_payload_and_attempts(admin_api, org_a, receiver, enqueued):
    endpoint, _ = services.webhook_endpoint_create(
        organization=org_a, url=receiver.url, events=["run.completed"]
    )
    other, _ = services.webhook_endpoint_create(
        organization=org_a, url=receiver.url, events=["import.failed"]
    )
    [delivery] = services.emit(organization=org_a, event="run.completed", payload={"run_id": 3})
    services.emit(organization=org_a, event="import.failed", payload={"import_id": 4})
    attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)

    listed = admin_api.get(DELIVERIES, {"endpoint": endpoint.pk}).json()
    assert [row["id"] for row in listed["results"]] == [delivery.pk] and "payload" not in listed["results"][0]
    assert len(admin_api.get(DELIVERIES).json()["results"]) == 2
    assert [
        row["endpoint"] for row in admin_api.get(DELIVERIES, {"status": "pending"}).json()["results"]
    ] == [other.pk]
    assert admin_api.get(DELIVERIES, {"status": "lost"}).status_code == 400

    detail = admin_api.get(f"{DELIVERIES}{delivery.pk}/").json()
    assert detail["status"] == "succeeded" and detail["payload"]["data"] == {"run_id": 3}
    assert [(a["number"], a["status_code"], a["succeeded"]) for a in detail["attempts"]] == [(1, 200, True)]


def test_redeliver_is_idempotent_with_a_key(
    admin_api, org_a, receiver, enqueued, django_capture_on_commit_callbacks
):
    services.webhook_endpoint_create(organization=org_a, url=receiver.url, events=["run.completed"])
    [delivery] = services.emit(organization=org_a, event="run.completed", payload={})
    attempts.delivery_attempt(delivery_id=delivery.pk, now=T0)
    url = f"{DELIVERIES}{delivery.pk}/redeliver/"

    with django_capture_on_commit_callbacks(execute=True):
        first = admin_api.post(url, HTTP_IDEMPOTENCY_KEY="redeliver-1")
    again = admin_api.post(url, HTTP_IDEMPOTENCY_KEY="redeliver-1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert first.json()["redelivery_of"] == delivery.pk
    assert Delivery.objects.for_org(org_a).filter(redelivery_of=delivery).count() == 1
    assert enqueued[-1] == first.json()["id"]


def test_redelivering_a_pending_delivery_is_409(admin_api, org_a, enqueued):
    services.webhook_endpoint_create(organization=org_a, url="http://127.0.0.1:9/", events=["run.completed"])
    [delivery] = services.emit(organization=org_a, event="run.completed", payload={})
    response = admin_api.post(f"{DELIVERIES}{delivery.pk}/redeliver/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "delivery_in_progress"


def test_the_schema_documents_the_webhook_api(admin_api):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="tests.simnet.webhooks.urls").get_schema(request=None, public=True)
    assert "/api/v1/webhooks/endpoints/" in schema["paths"]
    redeliver = schema["paths"]["/api/v1/webhooks/deliveries/{id}/redeliver/"]["post"]
    assert any(parameter["name"] == "Idempotency-Key" for parameter in redeliver["parameters"])
    created = schema["paths"]["/api/v1/webhooks/endpoints/"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("WebhookEndpointCreated")
