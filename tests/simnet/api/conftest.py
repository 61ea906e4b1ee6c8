"""The API infrastructure's own test views (tests/simnet/api/urls.py), with tiny rate limits."""

from __future__ import annotations

import pytest


@pytest.fixture
def infra_urls(settings):
    """Serve the test views beside the project's URLs; only LimitedView applies the tiny limits."""
    settings.ROOT_URLCONF = "tests.simnet.api.urls"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"org_read": "3/min", "org_write": "2/min"},
    }
    return settings
