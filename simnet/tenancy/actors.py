"""Who acts in a service call: a signed-in user or an organization API token.

Services take one ``actor`` and ask here for its role and for what to write in ``created_by``
and the audit log, so a request authenticated by token is checked and recorded exactly like a
signed-in member with the same role. Code acting on its own (demo seeding, management commands)
passes ``SYSTEM``: an owner everywhere, recorded as nobody.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from simnet.tenancy import roles
from simnet.tenancy.models import ApiToken, Membership, Organization, User


class SystemActor:
    """The operator's own code: full rights in any organization, no person or token behind it."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()

Actor: TypeAlias = User | ApiToken | SystemActor


def actor_role(organization: Organization | int, actor: Actor | None) -> str | None:
    """The actor's role in ``organization``; None when it has none there (or is revoked)."""
    if isinstance(actor, SystemActor):
        return roles.Role.OWNER
    organization_id = organization if isinstance(organization, int) else organization.pk
    if isinstance(actor, ApiToken):
        if actor.organization_id != organization_id or actor.revoked_at is not None:
            return None
        return actor.role
    if actor is None or not getattr(actor, "pk", None):
        return None
    return (
        Membership.objects.filter(organization_id=organization_id, user=actor)
        .values_list("role", flat=True)
        .first()
    )


def actor_user(actor: Actor | None) -> User | None:
    """The person to store in ``created_by``-style fields (None for a token or ``SYSTEM``)."""
    return actor if isinstance(actor, User) else None


def audit_actor(actor: Actor | None) -> dict[str, Any]:
    """``audit.record`` keyword arguments naming the actor (a user, a token, or nobody for ``SYSTEM``)."""
    if isinstance(actor, ApiToken):
        return {"actor": None, "token": actor}
    return {"actor": actor_user(actor), "token": None}


def request_actor(request) -> Actor | None:
    """The actor of a DRF request: its API token, else the signed-in user."""
    if isinstance(getattr(request, "auth", None), ApiToken):
        return request.auth
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None
