"""X API v2, read with the customer's own bearer token."""

from scraping.sources.x_api.client import X_API_BASE_URL, iter_x_api_batches, normalize_x_username

__all__ = ["X_API_BASE_URL", "iter_x_api_batches", "normalize_x_username"]
