"""Secrets given to the API (provider keys, import credentials, webhook signing secrets, API
tokens) never come back in a response after creation and never reach a log record, whatever
the outcome of the request: success, a field error, an authentication failure or a crash."""

from __future__ import annotations

import json
import logging

import pytest

from simnet.api.models import IdempotencyRecord
from simnet.providers import services as provider_services
from simnet.tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

PROVIDER_KEY = "sk-ant-api03-PROVIDERKEY-5f0c2d9e7b1a"
IMPORT_CREDENTIAL = "AAAAAAAAAAAAAAAAAAAAAXbearerCREDENTIAL77"
READ_PATHS = (
    "/api/v1/providers/",
    "/api/v1/imports/",
    "/api/v1/webhooks/endpoints/",
    "/api/v1/webhooks/deliveries/",
    "/api/v1/organization/",
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def everything_readable(client) -> str:
    """Every list and detail the caller can read that could hold a secret, as one text."""
    texts = []
    for path in READ_PATHS:
        listing = client.get(path)
        assert listing.status_code == 200, path
        texts.append(listing.content.decode())
        rows = listing.json()
        for row in rows.get("results", []) if isinstance(rows, dict) else []:
            texts.append(client.get(f"{path}{row['id']}/").content.decode())
    return "\n".join(texts)


def test_no_secret_is_returned_or_logged(admin_api, org_a, caplog, monkeypatch, api_client_for):
    caplog.set_level(logging.DEBUG)
    created = admin_api.post(
        "/api/v1/providers/",
        {"name": "Claude", "kind": "anthropic", "model": "claude-haiku-4-5", "secret": PROVIDER_KEY},
        format="json",
        HTTP_IDEMPOTENCY_KEY="claude-1",
    )
    assert created.status_code == 201
    invalid = admin_api.post("/api/v1/providers/", {"name": "", "kind": "anthropic", "secret": PROVIDER_KEY},
                             format="json")  # fmt: skip
    assert invalid.status_code == 400

    def crash(**kwargs):
        raise RuntimeError("the provider table is gone")

    monkeypatch.setattr(provider_services, "provider_config_create", crash)
    admin_api.raise_request_exception = False  # answer the 500 as a server would
    crashed = admin_api.post("/api/v1/providers/", {"name": "C", "kind": "anthropic", "model": "m",
                                                    "secret": PROVIDER_KEY}, format="json")  # fmt: skip
    assert crashed.status_code == 500 and crashed.json()["error"]["code"] == "server_error"

    started = admin_api.post("/api/v1/imports/", {"connector": "x_api", "account": "jack",
                                                  "credential": IMPORT_CREDENTIAL}, format="json")  # fmt: skip
    assert started.status_code == 202
    endpoint = admin_api.post("/api/v1/webhooks/endpoints/", {"url": "http://127.0.0.1:9/in",
                                                              "events": ["run.completed"]}, format="json")  # fmt: skip
    assert endpoint.status_code == 201
    signing_secret = endpoint.json()["secret"]  # shown once, at registration, by design
    assert api_client_for(admin_api.token.raw_token + "x").get("/api/v1/organization/").status_code == 401

    secrets = (PROVIDER_KEY, IMPORT_CREDENTIAL, signing_secret, admin_api.token.raw_token)
    answers = [invalid, crashed, started] + [admin_api.get(path) for path in READ_PATHS]
    readable = everything_readable(admin_api) + "".join(r.content.decode() for r in answers + [created])
    stored = json.dumps(
        [list(AuditEvent.objects.for_org(org_a).values("detail"))]
        + [list(IdempotencyRecord.objects.for_org(org_a).values("response_body", "path", "fingerprint"))],
        default=str,
    )
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError: the provider table is gone" in caplog.text  # the crash was logged ...
    for secret in secrets:
        assert secret not in readable, secret[:8]
        assert secret not in stored, secret[:8]
        assert secret not in logged, secret[:8]  # ... without any secret
