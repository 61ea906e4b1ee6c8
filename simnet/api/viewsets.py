"""The one base for organization-scoped JSON viewsets: 404 before 405, the caller's organization, JSON in."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.parsers import JSONParser

from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.tenancy.mixins import OrganizationScopedMixin


class ScopedJsonViewSet(
    NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, viewsets.GenericViewSet
):
    # What every organization-scoped viewset shares: JSON bodies and lookups scoped to the caller's
    # organization (404 before 405). No docstring: each subclass's is its OpenAPI description.

    parser_classes = (JSONParser,)
