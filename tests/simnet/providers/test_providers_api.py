"""/api/v1/providers/: any role reads, admins write, the secret never comes back."""

from __future__ import annotations

import pytest

from simnet.providers.models import ProviderConfig
from simnet.tenancy.models import AuditEvent
from tests.factories import BacktestFactory

pytestmark = pytest.mark.django_db

PROVIDERS = "/api/v1/providers/"
SECRET = "sk-ant-api03-TOPSECRET-1234567890abcd"


def add_anthropic(client, **extra):
    body = {"name": "Claude", "kind": "anthropic", "model": "claude-haiku-4-5", "secret": SECRET, **extra}
    return client.post(PROVIDERS, body, format="json")


def test_an_admin_token_adds_a_provider_whose_secret_is_write_only(admin_api, org_a, viewer_api):
    created = add_anthropic(admin_api)
    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "anthropic" and body["secret_hint"] == "••••abcd" and "secret" not in body
    config = ProviderConfig.objects.for_org(org_a).get(pk=body["id"])
    assert config.secret_ciphertext and SECRET not in config.secret_ciphertext
    for client in (admin_api, viewer_api):
        for path in (PROVIDERS, f"{PROVIDERS}{config.pk}/"):
            response = client.get(path)
            assert response.status_code == 200 and SECRET not in response.content.decode()
    event = AuditEvent.objects.for_org(org_a).get(action="provider.configured")
    assert event.actor_token == admin_api.token and SECRET not in str(event.detail)


def test_the_secret_is_not_in_error_answers_either(admin_api):
    refused = admin_api.post(PROVIDERS, {"name": "x", "kind": "nonsense", "secret": SECRET}, format="json")
    assert refused.status_code == 400 and "kind" in refused.json()["error"]["fields"]
    assert SECRET not in refused.content.decode()


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_roles_below_admin_read_but_cannot_add_or_delete(token_client, role, org_a):
    config = ProviderConfig.objects.create(organization=org_a, name="Rules", kind="baseline")
    client = token_client(role)
    assert client.get(PROVIDERS).json()["count"] == 1
    refused = add_anthropic(client)
    assert refused.status_code == 403 and "needs admin" in refused.json()["error"]["message"]
    assert client.delete(f"{PROVIDERS}{config.pk}/").status_code == 403
    assert ProviderConfig.objects.for_org(org_a).count() == 1


def test_service_rules_come_back_as_field_errors(admin_api):
    response = admin_api.post(
        PROVIDERS, {"name": "vllm", "kind": "openai_compat", "model": "llama"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"base_url": ["Required, e.g. http://host:8000/v1"]}


def test_delete_is_refused_while_an_unfinished_run_uses_the_provider(admin_api, started_run, org_a):
    provider = started_run.scenario.provider
    refused = admin_api.delete(f"{PROVIDERS}{provider.pk}/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "provider_in_use"
    started_run.__class__.objects.for_org(org_a).filter(pk=started_run.pk).update(status="completed")
    assert admin_api.delete(f"{PROVIDERS}{provider.pk}/").status_code == 204
    assert not ProviderConfig.objects.for_org(org_a).filter(pk=provider.pk).exists()
    assert AuditEvent.objects.for_org(org_a).filter(action="provider.deleted").count() == 1


def test_delete_is_refused_while_a_queued_backtest_uses_the_provider(admin_api, org_a):
    provider = ProviderConfig.objects.create(organization=org_a, name="Rules", kind="baseline")
    backtest = BacktestFactory(organization=org_a, provider_config=provider, status="queued")
    refused = admin_api.delete(f"{PROVIDERS}{provider.pk}/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "provider_in_use"
    backtest.__class__.objects.for_org(org_a).filter(pk=backtest.pk).update(status="completed")
    assert admin_api.delete(f"{PROVIDERS}{provider.pk}/").status_code == 204


def test_another_organizations_provider_is_a_404(token_client, org_b):
    theirs = ProviderConfig.objects.create(organization=org_b, name="Theirs", kind="baseline")
    admin = token_client("admin")
    assert admin.get(f"{PROVIDERS}{theirs.pk}/").status_code == 404
    assert admin.delete(f"{PROVIDERS}{theirs.pk}/").status_code == 404
    assert ProviderConfig.objects.for_org(org_b).filter(pk=theirs.pk).exists()
