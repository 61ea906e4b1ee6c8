"""Fixtures of the insight tests."""

from __future__ import annotations

import pytest

from tests.support.fake_provider import ENABLED as FAKE_PROVIDER_KINDS


@pytest.fixture
def fake_provider(settings, monkeypatch):
    """A ProviderConfig factory for the counting fake provider (free, instant, deterministic)."""
    settings.SIMNET_TEST_PROVIDER_KINDS = FAKE_PROVIDER_KINDS
    monkeypatch.setenv("SIMNET_FAKE_PROVIDER", "{}")

    def make(organization):
        from simnet.providers.models import ProviderConfig

        return ProviderConfig.objects.create(
            organization=organization, name="fake", kind="fake", model="fake-1"
        )

    return make
