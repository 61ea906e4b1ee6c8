"""Fixtures for the API tests: token clients per role, a panel, a scenario on the counting fake
provider, runs started (queued, no worker) and runs driven to the end in-process."""

from __future__ import annotations

import pytest

from tests.browser import conftest as browser_fixtures
from tests.runroom.conftest import drive
from tests.runs import conftest as run_fixtures
from tests.runs.conftest import make_panel

# Shared fixtures: runs on the counting fake provider; Chromium against daphne (test_docs_browser).
fake_provider_env = run_fixtures.fake_provider_env
fake_scenario = run_fixtures.fake_scenario
chromium_path = browser_fixtures.chromium_path
server_env = browser_fixtures.server_env
live_server_url = browser_fixtures.live_server_url
browser_page = browser_fixtures.browser_page


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Rate limits have their own tests (tests/api_infra); these tests make many requests."""
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
def started_run(fake_scenario, tenancy):
    from simulations.runs.services import run_start

    return run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario)[0]


@pytest.fixture
def finished_run(started_run):
    return drive(started_run)


@pytest.fixture
def panel(org_a):
    return make_panel(org_a, size=4, name="API panel")
