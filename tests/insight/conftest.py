"""Fixtures of the insight tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_provider(settings, monkeypatch):
    """A ProviderConfig factory for the counting fake provider (free, instant, deterministic)."""
    settings.SIMNET_TEST_PROVIDERS = True
    monkeypatch.setenv("SIMNET_FAKE_PROVIDER", "{}")

    def make(organization):
        from simulations.models import ProviderConfig

        return ProviderConfig.objects.create(
            organization=organization, name="fake", kind="fake", model="fake-1"
        )

    return make
