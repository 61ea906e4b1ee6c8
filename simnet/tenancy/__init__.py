"""Tenancy: organizations, memberships with roles, API tokens, the audit log and the one
fail-closed scoping mechanism every customer table uses (see ``scoping.py``)."""
