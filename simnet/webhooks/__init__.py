"""Outgoing webhooks: organizations register endpoints; simnet POSTs signed events to them."""
