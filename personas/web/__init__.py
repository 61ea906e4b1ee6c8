"""The panel and persona pages."""
