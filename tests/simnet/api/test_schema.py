"""The served OpenAPI document: complete, warning-free, and honest about keys, errors and secrets."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

# POSTs that start nothing new, so a retry cannot do anything twice: the reason for each.
NO_IDEMPOTENCY_KEY = {
    "/api/v1/runs/{id}/pause/": "a state change; repeating it is a no-op or a 409",
    "/api/v1/runs/{id}/resume/": "a state change; repeating it is a no-op or a 409",
    "/api/v1/runs/{id}/cancel/": "a state change; repeating it is a 409",
    "/api/v1/imports/{id}/cancel/": "a state change; repeating it is a 400",
    "/api/v1/panels/{id}/share/": "sharing twice keeps one share",
    "/api/v1/panels/{id}/unshare/": "a second unshare is a 404",
    "/api/v1/invitations/{id}/revoke/": "a state change; repeating it is a 400",
    "/api/v1/scenarios/{id}/estimate/": "a calculation; nothing is written",
    "/api/v1/forecasts/": "a calculation; nothing is written",
    "/api/v1/webhooks/endpoints/": "the response carries the signing secret, which must not be stored for replay",
}
# Every operation may answer these (credential, role, rate limit) in the one error shape.
COMMON_ERRORS = {"401", "403", "429"}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def test_the_schema_covers_everything_the_issue_lists(schema):
    paths = set(schema["paths"])
    for expected in (
        "/api/v1/organization/", "/api/v1/members/{id}/", "/api/v1/invitations/",
        "/api/v1/panels/", "/api/v1/panels/{id}/copy/", "/api/v1/panels/{id}/share/",
        "/api/v1/personas/", "/api/v1/personas/{id}/", "/api/v1/personas/{id}/history/",
        "/api/v1/imports/", "/api/v1/imports/{id}/", "/api/v1/imports/{id}/errors/",
        "/api/v1/scenarios/", "/api/v1/scenarios/{id}/estimate/",
        "/api/v1/runs/", "/api/v1/runs/{id}/pause/", "/api/v1/runs/{id}/resume/", "/api/v1/runs/{id}/cancel/",
        "/api/v1/runs/{id}/fork/", "/api/v1/runs/{id}/interview/", "/api/v1/runs/{run_id}/actions/",
        "/api/v1/runs/{run_id}/posts/", "/api/v1/runs/{run_id}/events/",
        "/api/v1/experiments/", "/api/v1/experiments/{id}/", "/api/v1/experiments/{experiment_id}/comparison/",
        "/api/v1/runs/{run_id}/report/", "/api/v1/runs/{run_id}/export/{what}.{fmt}", "/api/v1/backtests/",
        "/api/v1/providers/", "/api/v1/webhooks/endpoints/", "/api/v1/webhooks/deliveries/{id}/redeliver/",
    ):  # fmt: skip
        assert expected in paths, expected


def test_every_post_that_starts_work_takes_an_idempotency_key(schema):
    for path, method, operation in operations(schema):
        if method != "post":
            continue
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if path in NO_IDEMPOTENCY_KEY:
            assert "Idempotency-Key" not in headers, path
        else:
            assert "Idempotency-Key" in headers, f"POST {path} starts work without an Idempotency-Key"
            assert {"409", "422"} <= set(operation["responses"]), path


def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert COMMON_ERRORS <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in ("post", "put", "patch"):
            assert "400" in responses, (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
        assert "Retry-After" in responses["429"]["headers"]


def test_secrets_are_write_only_in_the_schema(schema):
    components = schema["components"]["schemas"]
    assert components["ProviderConfig"]["properties"]["secret"]["writeOnly"] is True
    assert components["ImportStart"]["properties"]["credential"]["writeOnly"] is True
    for name, component in components.items():
        for field in ("secret", "credential", "token", "api_key", "password"):
            prop = component.get("properties", {}).get(field)
            if prop is not None and name != "WebhookEndpointCreated":  # shown once, at registration
                assert prop.get("writeOnly") is True, f"{name}.{field} could be returned"


def test_the_docs_pages_load_every_library_from_this_server(client):
    from django.contrib.staticfiles import finders

    if finders.find("vendor/swagger-ui/swagger-ui-bundle.js") is None:
        pytest.skip("front-end libraries missing from static/vendor (run `make install`)")
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "script-src 'self';" in page["Content-Security-Policy"]
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
        assert assets and all(asset.startswith("/") for asset in assets), assets
        for asset in assets:
            if asset.startswith("/static/"):
                assert finders.find(asset.removeprefix("/static/")), asset
            else:
                assert client.get(asset).status_code == 200, asset  # the schema, Swagger's start-up script
