"""Per-organization rate limits: reads and writes apart, 429 with Retry-After, organizations apart."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from simnet.api import throttling

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("infra_urls")]

URL = "/api/v1/test/limited/"
FIXED_NOW = 1_000_000.0  # 1_000_000 // 60 = window 16666, which ends at 1_000_020


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(throttling.OrganizationRateThrottle, "timer", staticmethod(lambda: FIXED_NOW))


@pytest.fixture
def client_of(api_client_for, api_token_for):
    return lambda organization: api_client_for(api_token_for(organization).raw_token)


def test_reads_past_the_rate_get_429_with_retry_after(client_of, org_a):
    client = client_of(org_a)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(URL)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "20"
    assert refused.json()["error"]["code"] == "throttled"


def test_writes_have_their_own_budget(client_of, org_a):
    client = client_of(org_a)
    assert [client.post(URL).status_code for _ in range(3)] == [201, 201, 429]
    assert client.get(URL).status_code == 200  # reads are still allowed


def test_every_credential_of_an_organization_shares_its_budget(client_of, org_a):
    first, second = client_of(org_a), client_of(org_a)
    assert [first.post(URL).status_code, second.post(URL).status_code] == [201, 201]
    assert second.post(URL).status_code == 429


def test_organizations_are_limited_separately(client_of, org_a, org_b):
    busy, other = client_of(org_a), client_of(org_b)
    for _ in range(2):
        busy.post(URL)
    assert busy.post(URL).status_code == 429
    assert other.post(URL).status_code == 201


def test_session_users_count_against_their_organization(client_of, member_client, org_a):
    for _ in range(2):
        client_of(org_a).post(URL)
    assert member_client.post(URL).status_code == 429


def test_a_new_window_starts_a_new_budget(client_of, org_a, monkeypatch):
    client = client_of(org_a)
    for _ in range(2):
        client.post(URL)
    monkeypatch.setattr(throttling.OrganizationRateThrottle, "timer", staticmethod(lambda: FIXED_NOW + 20))
    assert client.post(URL).status_code == 201


def test_a_rate_of_none_switches_the_limit_off(client_of, org_a, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"org_write": None}}
    client = client_of(org_a)
    assert {client.post(URL).status_code for _ in range(5)} == {201}


@pytest.mark.parametrize(
    ("rate", "parsed"), [("600/min", (600, 60)), ("10/s", (10, 1)), ("5/hour", (5, 3600))]
)
def test_parse_rate(rate, parsed):
    assert throttling.parse_rate(rate) == parsed


def test_a_bad_rate_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        throttling.parse_rate("often")
