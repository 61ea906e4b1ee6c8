"""Changing members' roles and removing members."""

from __future__ import annotations

from django.db import transaction

from simnet.tenancy import audit, roles
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import Membership
from simnet.tenancy.roles import Role
from simnet.tenancy.services._rules import actor_membership, lock_organization, owner_count, reload_membership
from simnet.tenancy.services.tokens import tokens_of_member_cap, tokens_of_member_revoke


@transaction.atomic
def membership_change_role(*, membership: Membership, actor, role: str, ip: str | None = None) -> Membership:
    """Change a member's role; a demotion lowers the API tokens they created to the new role.

    Admins and owners manage members; only an owner grants or removes the owner role;
    nobody raises their own role; the last owner cannot be demoted.
    """
    organization = lock_organization(membership.organization)
    acting = actor_membership(
        organization=organization, actor=actor, minimum=roles.MANAGE, action="change roles"
    )
    membership = reload_membership(membership, organization)
    if role not in Role.values:
        raise ApplicationError(f"Unknown role {role!r}.", fields={"role": ["Choose a valid role."]})
    current = membership.role
    if role == current:
        return membership
    if membership.user_id == actor.pk and roles.rank(role) > roles.rank(current):
        raise PermissionDeniedError("You cannot raise your own role; ask an owner.")
    if Role.OWNER in (role, current) and acting.role != Role.OWNER:
        raise PermissionDeniedError("Only an owner can grant or remove the owner role.")
    if current == Role.OWNER and owner_count(organization) == 1:
        raise ApplicationError(
            f"{membership.user.email} is the last owner; make someone else an owner first.", code="last_owner"
        )
    membership.role = role
    membership.save(update_fields=["role"])
    detail = {"from": current, "to": role}
    if lowered := tokens_of_member_cap(organization=organization, user=membership.user, role=role):
        detail["tokens_lowered"] = lowered
    audit.record(
        organization=organization,
        action=Actions.MEMBER_ROLE_CHANGED,
        actor=actor,
        target=membership.user,
        detail=detail,
        ip=ip,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor, ip: str | None = None) -> None:
    """Remove someone else from the organization (admins; owners only by an owner).

    The API tokens they created are revoked with it; their open streams notice within seconds.
    """
    organization = lock_organization(membership.organization)
    acting = actor_membership(
        organization=organization, actor=actor, minimum=roles.MANAGE, action="remove members"
    )
    membership = reload_membership(membership, organization)
    if membership.user_id == actor.pk:
        raise ApplicationError("To remove yourself, leave the organization from its settings page.")
    if membership.role == Role.OWNER and acting.role != Role.OWNER:
        raise PermissionDeniedError("Only an owner can remove an owner.")
    if membership.role == Role.OWNER and owner_count(organization) == 1:
        raise ApplicationError("The last owner cannot be removed.", code="last_owner")
    membership.delete()
    tokens_of_member_revoke(organization=organization, user=membership.user, actor=actor, ip=ip)
    audit.record(
        organization=organization,
        action=Actions.MEMBER_REMOVED,
        actor=actor,
        target=membership.user,
        detail={"role": membership.role},
        ip=ip,
    )
