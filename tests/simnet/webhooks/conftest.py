"""Webhook test wiring: URLs, the API error handler, a local receiver and a recorded task queue."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ROOT_URLCONF = "tests.simnet.webhooks.urls"
    settings.PRODUCTION = False
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "EXCEPTION_HANDLER": "simnet.api.exceptions.api_exception_handler",
    }
    return settings


@pytest.fixture
def receiver():
    from tests.simnet.webhooks.receiver import running_receiver

    with running_receiver() as running:
        yield running


@pytest.fixture
def enqueued(monkeypatch):
    """Delivery ids handed to django-q (the worker is not running in these tests)."""
    from simnet.webhooks import services

    handed: list[int] = []
    monkeypatch.setattr(
        services, "async_task", lambda func, delivery_id, **kwargs: handed.append(delivery_id)
    )
    return handed


@pytest.fixture
def public_dns(monkeypatch):
    """Pretend every host name resolves to a public address (no real DNS in tests)."""
    from simnet.webhooks import attempts, services

    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    monkeypatch.setattr(services, "resolve_host", resolve)
    monkeypatch.setattr(attempts, "resolve_host", resolve)
    return resolve
