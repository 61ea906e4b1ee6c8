"""Checks every service shares: the actor's role, the organization lock, the owner count."""

from __future__ import annotations

from simnet.tenancy.access import require_role
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import Membership, Organization
from simnet.tenancy.roles import Role, rank


def actor_membership(*, organization: Organization, actor, minimum: str, action: str) -> Membership:
    """The actor's membership, re-read from the database, if its role is at least ``minimum``."""
    membership = Membership.objects.filter(organization=organization, user=actor).first()
    if membership is None:
        raise PermissionDeniedError("You are not a member of this organization.")
    require_role(membership.role, minimum, action)
    return membership


def lock_organization(organization: Organization) -> Organization:
    """Serialize membership changes of one organization (a no-op lock on SQLite, which already is)."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def reload_membership(membership: Membership, organization: Organization) -> Membership:
    """The target membership as it is now (it may have been removed a moment ago)."""
    current = (
        Membership.objects.select_related("user").filter(pk=membership.pk, organization=organization).first()
    )
    if current is None:
        raise ApplicationError("That person is no longer a member.", code="not_found", status=404)
    return current


def owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def require_grantable(acting_role: str, role: str, what: str) -> None:
    """Refuse handing out a role above the actor's own (owner is only granted by owners)."""
    if role not in Role.values:
        raise ApplicationError(f"Unknown role {role!r}.", fields={"role": ["Choose a valid role."]})
    if rank(role) > rank(acting_role):
        raise PermissionDeniedError(
            f"You cannot {what} with the role {role}: it is above yours ({acting_role})."
        )
