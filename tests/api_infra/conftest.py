"""Test views under tests/api_infra/urls.py with tiny rate limits (only LimitedView applies them)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def api_infra_settings(settings):
    settings.ROOT_URLCONF = "tests.api_infra.urls"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"org_read": "3/min", "org_write": "2/min"},
    }
    return settings


@pytest.fixture
def admin_token(api_token_for, org_a):
    return api_token_for(org_a, role="admin")


@pytest.fixture
def api(api_client_for, admin_token):
    return api_client_for(admin_token.raw_token)
