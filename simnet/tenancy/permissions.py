"""DRF permissions derived from the credential: a session membership or an API token."""

from __future__ import annotations

from rest_framework import permissions

from simnet.tenancy import roles
from simnet.tenancy.models import ApiToken


def request_role(request) -> str | None:
    """The caller's role in the current organization, whatever the credential."""
    if isinstance(getattr(request, "auth", None), ApiToken):
        return request.auth.role
    membership = getattr(request, "membership", None)  # set by CurrentOrganizationMiddleware
    return membership.role if membership else None


def request_organization(request):
    if isinstance(getattr(request, "auth", None), ApiToken):
        return request.auth.organization
    return getattr(request, "organization", None)


class IsOrganizationMember(permissions.BasePermission):
    """Reads need any role; unsafe methods need ``view.write_role`` (default: member)."""

    message = "You need a membership of an organization (or an API token) for this."

    def has_permission(self, request, view) -> bool:
        role = request_role(request)
        if role is None or request_organization(request) is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        needed = getattr(view, "write_role", roles.WRITE)
        if not roles.at_least(role, needed):
            self.message = f"Your role ({role}) cannot do this; it needs {needed} or above."
            return False
        return True
