"""Registering, changing and deleting endpoints: URL policy, events, the secret, the audit log."""

from __future__ import annotations

import pytest

from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import AuditEvent
from simnet.tenancy.secrets import decrypt_for
from simnet.webhooks import services
from simnet.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

EVENTS = ["run.completed", "run.failed"]


def create(org, url="http://127.0.0.1:9/hook", events=EVENTS, **kwargs):
    return services.webhook_endpoint_create(organization=org, url=url, events=events, **kwargs)


def test_the_secret_is_returned_once_and_stored_only_encrypted_for_the_organization(org_a, org_admin):
    _, secret = create(org_a, actor=org_admin, description="CRM")
    assert secret.startswith("whsec_") and len(secret) > 40
    stored = WebhookEndpoint.objects.for_org(org_a).get()
    assert secret not in stored.secret_ciphertext and stored.secret_hint == f"••••{secret[-4:]}"
    assert decrypt_for(org_a.pk, stored.secret_ciphertext) == secret
    assert (stored.events, stored.description, stored.created_by) == (EVENTS, "CRM", org_admin)


def test_creation_is_audited_without_the_secret(org_a, org_admin):
    _, secret = create(org_a, actor=org_admin, ip="10.9.8.7")
    event = AuditEvent.objects.for_org(org_a).get(action="webhook.created")
    assert (event.actor, event.ip) == (org_admin, "10.9.8.7")
    assert secret not in str(event.detail)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.1/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_production_refuses_non_public_endpoints(org_a, settings, url):
    settings.PRODUCTION = True
    with pytest.raises(ApplicationError) as refused:
        create(org_a, url=url)
    assert refused.value.code == "webhook_url_refused" and "url" in refused.value.fields
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


def test_production_accepts_public_endpoints(org_a, settings, public_dns):
    settings.PRODUCTION = True
    endpoint, _ = create(org_a, url="https://hooks.example.com/simnet")
    assert endpoint.url == "https://hooks.example.com/simnet"


def test_development_allows_loopback_but_not_other_private_addresses(org_a):
    create(org_a, url="http://127.0.0.1:8000/hook")
    create(org_a, url="http://localhost:8000/hook")
    with pytest.raises(ApplicationError, match="private"):
        create(org_a, url="http://10.0.0.1/hook")


@pytest.mark.parametrize(
    ("events", "message"), [([], "at least one"), (["run.completed", "run.exploded"], "Unknown")]
)
def test_events_must_be_known_and_present(org_a, events, message):
    with pytest.raises(ApplicationError, match=message) as refused:
        create(org_a, events=events)
    assert "events" in refused.value.fields


def test_an_organization_has_a_bounded_number_of_endpoints(org_a, monkeypatch):
    monkeypatch.setattr(services, "MAX_ENDPOINTS_PER_ORGANIZATION", 2)
    create(org_a)
    create(org_a)
    with pytest.raises(ApplicationError, match="at most 2"):
        create(org_a)


def test_update_changes_what_is_given_and_rechecks_the_url(org_a, settings):
    endpoint, _ = create(org_a)
    services.webhook_endpoint_update(endpoint=endpoint, events=["import.failed"], is_active=False)
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.is_active, endpoint.url) == (
        ["import.failed"],
        False,
        "http://127.0.0.1:9/hook",
    )
    settings.PRODUCTION = True
    with pytest.raises(ApplicationError, match="loopback"):
        services.webhook_endpoint_update(endpoint=endpoint, url="http://127.0.0.1:10/other")
    changed = AuditEvent.objects.for_org(org_a).get(action="webhook.updated")
    assert changed.detail == {"changed": ["events", "is_active"]}


def test_delete_removes_the_endpoint_and_is_audited(org_a, org_admin):
    endpoint, _ = create(org_a)
    services.webhook_endpoint_delete(endpoint=endpoint, actor=org_admin)
    assert not WebhookEndpoint.objects.for_org(org_a).exists()
    assert AuditEvent.objects.for_org(org_a).filter(action="webhook.deleted").count() == 1
