"""Writes on personas and panels: panels, synthetic panels, imported accounts, demo panels."""
