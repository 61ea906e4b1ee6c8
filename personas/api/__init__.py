"""The panel and persona REST API."""
