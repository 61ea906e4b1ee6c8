"""Request fields shared by the API's serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

MAX_OBJECT_ID = 2**63 - 1  # the largest primary key SQLite and PostgreSQL's bigint hold


def object_id_field(**kwargs: Any) -> serializers.IntegerField:
    """An object id in a query string. Bounded, because a larger number is not "no match" to
    every database driver: SQLite's raises OverflowError when it is compared to a foreign key."""
    return serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID, **kwargs)
