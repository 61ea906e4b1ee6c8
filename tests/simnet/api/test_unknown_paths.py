"""An unknown path under /api/v1/ answers 404 in the API's error shape; unknown pages stay HTML."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/runs/1/nothing/here/", "/api/v1/"])
def test_unknown_api_paths_answer_in_the_error_shape(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def test_unknown_pages_stay_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert b"There is nothing here." in response.content
