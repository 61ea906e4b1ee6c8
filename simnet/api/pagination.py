"""Pagination for list endpoints: limit/offset with a ceiling, so one request cannot ask for everything."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
