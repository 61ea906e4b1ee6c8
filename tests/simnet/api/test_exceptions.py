"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from simnet.api.exceptions import flatten_field_errors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("infra_urls")]

URL = "/api/v1/test/errors/{}/"


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_validation_errors_name_each_field_with_dotted_paths(api):
    response = api.post(
        URL.format("x"), {"name": "far too long", "variants": [{"label": "A"}, {}]}, format="json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "name": ["Ensure this field has no more than 5 characters."],
        "variants.1.label": ["This field is required."],
    }
    assert "name" in error["message"] and "variants.1.label" in error["message"]


def test_a_non_field_validation_error_is_the_message(api):
    response = api.post(URL.format("x"), {"name": "taken", "variants": []}, format="json")
    assert response.status_code == 400
    assert error_of(response) == {"code": "invalid", "message": "That name is taken.", "fields": {}}


def test_application_error_keeps_its_code_status_and_fields(api):
    response = api.get(URL.format("application"))
    assert response.status_code == 402
    assert error_of(response) == {
        "code": "budget_exceeded",
        "message": "The monthly budget is used up.",
        "fields": {"budget_usd": ["Raise it."]},
    }


def test_missing_credentials_are_401_with_www_authenticate():
    response = APIClient().get(URL.format("application"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "not_authenticated"


def test_a_wrong_token_is_401_with_www_authenticate(api_client_for):
    response = api_client_for("snt_not-a-real-token").get(URL.format("application"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert error_of(response) == {
        "code": "authentication_failed",
        "message": "Invalid or revoked API token.",
        "fields": {},
    }


def test_permission_denied_is_403(api):
    response = api.get(URL.format("permission"))
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"


def test_a_role_too_low_for_a_write_is_403_with_the_reason(api_client_for, api_token_for, org_a):
    viewer = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    response = viewer.post(URL.format("x"), {}, format="json")
    assert response.status_code == 403
    assert error_of(response)["message"] == "Your role (viewer) cannot do this; it needs member or above."


def test_not_found_is_404_without_naming_the_model(api):
    response = api.get(URL.format("not_found"))
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_wrong_method_is_405(api):
    response = api.delete(URL.format("x"))
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_malformed_json_is_a_parse_error(api):
    response = api.post(URL.format("x"), "{not json", content_type="application/json")
    assert response.status_code == 400 and error_of(response)["code"] == "parse_error"


def test_unsupported_media_type_is_415(api):
    response = api.post(URL.format("x"), "<a/>", content_type="application/xml")
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"


def test_an_unexpected_error_is_a_generic_500_and_the_traceback_only_in_the_log(admin_token, caplog):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token.raw_token}")
    with caplog.at_level(logging.ERROR, logger="simnet.api.exceptions"):
        response = client.get(URL.format("server"))
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "server_error"
    assert "hunter2" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert "RuntimeError" in caplog.text


def test_the_test_client_still_raises_unexpected_errors(api):
    """got_request_exception is sent, so bugs surface in tests (and in error monitoring)."""
    with pytest.raises(RuntimeError, match="internal detail"):
        api.get(URL.format("server"))


@pytest.mark.parametrize(
    ("detail", "flat"),
    [
        ({"a": ["x"]}, {"a": ["x"]}),
        ({"a": {"b": ["x", "y"]}}, {"a.b": ["x", "y"]}),
        ({"items": [{}, {"c": ["z"]}]}, {"items.1.c": ["z"]}),
        ({"a": []}, {}),
    ],
)
def test_flatten_field_errors(detail, flat):
    assert flatten_field_errors(detail) == flat
