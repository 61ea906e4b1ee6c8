"""API fixtures every test area shares (a pytest plugin the root conftest loads): token clients
per role and a small panel. Rate limits are off except where a test sets them."""

from __future__ import annotations

import pytest

from tests.support.runs import make_panel


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Rate limits have their own tests (tests/simnet/api/test_throttling.py); the others make many requests."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"org_read": None, "org_write": None},
    }


@pytest.fixture
def token_client(api_client_for, api_token_for, org_a):
    """``token_client(role, organization=org_a)``: an APIClient with a fresh token of that role."""

    def make(role: str = "member", organization=None):
        token = api_token_for(organization or org_a, role=role)
        client = api_client_for(token.raw_token)
        client.token = token
        return client

    return make


@pytest.fixture
def member_api(token_client):
    return token_client("member")


@pytest.fixture
def viewer_api(token_client):
    return token_client("viewer")


@pytest.fixture
def admin_api(token_client):
    return token_client("admin")


@pytest.fixture
def panel(org_a):
    return make_panel(org_a, size=4, name="API panel")


@pytest.fixture
def admin_token(api_token_for, org_a):
    return api_token_for(org_a, role="admin")


@pytest.fixture
def api(api_client_for, admin_token):
    """An APIClient holding an admin token of org_a."""
    return api_client_for(admin_token.raw_token)
