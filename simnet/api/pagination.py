"""Pagination for list endpoints.

Limit/offset with a ceiling for ordinary lists, so one request cannot ask for everything;
a cursor over the primary key for long, growing lists (a run's actions and posts), where
offsets would skip or repeat rows written while a client pages through.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class IdCursorPagination(CursorPagination):
    """Oldest first by id; ``next`` stays valid while new rows are appended."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
