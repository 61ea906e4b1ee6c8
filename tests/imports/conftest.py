"""Fixtures for import tests: media in a temp dir, fast HTTP retries, a loopback server."""

from __future__ import annotations

import pytest

from tests.scraping.conftest import loopback  # noqa: F401  (re-exported fixture)


@pytest.fixture(autouse=True)
def _import_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_HTTP = {"timeout_seconds": 5.0, "backoff_seconds": 0.0, "max_backoff_seconds": 0.0}
