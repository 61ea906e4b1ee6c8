"""Access helpers: fetch one object of the caller's organization or answer 404.

Zulip's ``access_*_by_id`` idea: every view that takes an id goes through here, so an id
from another organization is indistinguishable from an id that does not exist.
"""

from __future__ import annotations

from django.http import Http404

from simnet.tenancy import roles
from simnet.tenancy.errors import PermissionDeniedError


def get_for_org(queryset, organization, **lookup):
    """``queryset`` row matching ``lookup`` inside ``organization``, else 404."""
    if organization is None:
        raise Http404("No organization")
    try:
        return queryset.for_org(organization).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} found") from None


def require_role(role: str | None, minimum: str, action: str = "do this") -> None:
    """Raise ``PermissionDeniedError`` unless ``role`` is at least ``minimum``."""
    if role is None or not roles.at_least(role, minimum):
        raise PermissionDeniedError(
            f"Your role ({role or 'none'}) cannot {action}; it needs {minimum} or above."
        )
