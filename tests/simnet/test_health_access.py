"""``/health/`` tells anonymous callers only ok / not ok; staff and the monitoring token see the checks."""

from __future__ import annotations

import pytest

from simnet import health
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONITOR_TOKEN = "monitor-secret-0123456789"


@pytest.fixture
def broken_broker(monkeypatch):
    """A broker failure whose message names an internal host: only authorised callers may read it."""
    calls = []

    def failing():
        calls.append(1)
        return {"ok": False, "error": "redis://10.0.0.7:6379 refused the connection"}

    monkeypatch.setattr(health, "_broker", failing)
    return calls


def test_anonymous_callers_get_only_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_anonymous_callers_get_only_not_ok_when_a_check_fails(client, broken_broker):
    response = client.get("/health/")
    assert broken_broker, "the broker check never ran"
    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_a_signed_in_non_staff_user_gets_no_details(client_for, member):
    assert client_for(member).get("/health/").json() == {"status": "ok"}


def test_staff_get_every_check_with_its_error(client, broken_broker):
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["error"] == "redis://10.0.0.7:6379 refused the connection"
    assert "clusters" in body["checks"]["worker"]


@pytest.mark.parametrize(
    ("configured", "presented", "detailed"),
    [
        (MONITOR_TOKEN, f"Bearer {MONITOR_TOKEN}", True),
        (MONITOR_TOKEN, "Bearer monitor-secret-wrong", False),
        (MONITOR_TOKEN, MONITOR_TOKEN, False),  # no scheme
        ("", "Bearer ", False),  # no token configured: nobody gets in with an empty one
    ],
)
def test_the_monitoring_token_unlocks_details(client, settings, configured, presented, detailed):
    settings.HEALTH_TOKEN = configured
    body = client.get("/health/", headers={"Authorization": presented}).json()
    assert ("checks" in body) is detailed
    assert body["status"] in ({"ok", "degraded"} if detailed else {"ok"})
