"""Role changes and removals: who may do what, and the last-owner rule."""

from __future__ import annotations

import pytest

from simnet.tenancy import services
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import AuditEvent, Membership
from simnet.tenancy.roles import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def membership(org, user) -> Membership:
    return Membership.objects.get(organization=org, user=user)


def role_of(org, user) -> str:
    return membership(org, user).role


def test_admin_promotes_a_member_to_admin_and_it_is_audited(org_a, org_admin, member):
    services.membership_change_role(
        membership=membership(org_a, member), actor=org_admin, role=Role.ADMIN, ip="1.2.3.4"
    )
    assert role_of(org_a, member) == Role.ADMIN
    event = AuditEvent.objects.for_org(org_a).get(action=Actions.MEMBER_ROLE_CHANGED)
    assert (event.actor, event.target_label, event.detail, event.ip) == (
        org_admin,
        str(member),
        {"from": "member", "to": "admin"},
        "1.2.3.4",
    )


def test_owner_grants_owner(org_a, owner, org_admin):
    services.membership_change_role(membership=membership(org_a, org_admin), actor=owner, role=Role.OWNER)
    assert role_of(org_a, org_admin) == Role.OWNER


@pytest.mark.parametrize(
    ("actor_name", "target_name", "new_role", "message"),
    [
        ("member", "member", Role.ADMIN, "needs admin"),  # member promoting itself
        ("member", "viewer", Role.MEMBER, "needs admin"),  # member managing others
        ("viewer", "viewer", Role.MEMBER, "needs admin"),
        ("org_admin", "org_admin", Role.OWNER, "raise your own role"),  # admin promoting itself
        ("org_admin", "member", Role.OWNER, "Only an owner"),  # admin granting owner
        ("org_admin", "owner", Role.MEMBER, "Only an owner"),  # admin demoting an owner
        ("outsider", "member", Role.VIEWER, "not a member"),
    ],
)
def test_escalations_are_refused_and_change_nothing(tenancy, actor_name, target_name, new_role, message):
    actor, target = getattr(tenancy, actor_name), getattr(tenancy, target_name)
    before = role_of(tenancy.org_a, target)
    with pytest.raises(PermissionDeniedError, match=message):
        services.membership_change_role(
            membership=membership(tenancy.org_a, target), actor=actor, role=new_role
        )
    assert role_of(tenancy.org_a, target) == before
    assert not AuditEvent.objects.for_org(tenancy.org_a).filter(action=Actions.MEMBER_ROLE_CHANGED).exists()


def test_the_last_owner_cannot_be_demoted(org_a, owner):
    with pytest.raises(ApplicationError, match="last owner"):
        services.membership_change_role(membership=membership(org_a, owner), actor=owner, role=Role.ADMIN)
    assert role_of(org_a, owner) == Role.OWNER


def test_an_owner_can_step_down_when_another_owner_remains(org_a, owner):
    MembershipFactory(organization=org_a, role=Role.OWNER)
    services.membership_change_role(membership=membership(org_a, owner), actor=owner, role=Role.ADMIN)
    assert role_of(org_a, owner) == Role.ADMIN


def test_anyone_may_lower_their_own_role(org_a, org_admin):
    services.membership_change_role(
        membership=membership(org_a, org_admin), actor=org_admin, role=Role.VIEWER
    )
    assert role_of(org_a, org_admin) == Role.VIEWER


def test_an_unknown_role_is_rejected(org_a, owner, member):
    with pytest.raises(ApplicationError, match="Unknown role"):
        services.membership_change_role(membership=membership(org_a, member), actor=owner, role="superuser")


def test_admin_removes_a_member(org_a, org_admin, member):
    services.membership_remove(membership=membership(org_a, member), actor=org_admin)
    assert not Membership.objects.filter(organization=org_a, user=member).exists()
    event = AuditEvent.objects.for_org(org_a).get(action=Actions.MEMBER_REMOVED)
    assert event.detail == {"role": "member"}


def test_member_cannot_remove_anyone(org_a, member, viewer):
    with pytest.raises(PermissionDeniedError):
        services.membership_remove(membership=membership(org_a, viewer), actor=member)
    assert Membership.objects.filter(organization=org_a, user=viewer).exists()


def test_admin_cannot_remove_an_owner(org_a, org_admin, owner):
    with pytest.raises(PermissionDeniedError, match="Only an owner"):
        services.membership_remove(membership=membership(org_a, owner), actor=org_admin)


def test_owner_removes_another_owner_but_not_the_last_one(org_a, owner):
    second = MembershipFactory(organization=org_a, role=Role.OWNER)
    services.membership_remove(membership=second, actor=owner)
    assert not Membership.objects.filter(pk=second.pk).exists()
    with pytest.raises(ApplicationError):  # the last owner, removing themselves
        services.membership_remove(membership=membership(org_a, owner), actor=owner)
    assert role_of(org_a, owner) == Role.OWNER


def test_removal_needs_a_membership_still_present(org_a, owner, member):
    target = membership(org_a, member)
    services.membership_remove(membership=target, actor=owner)
    with pytest.raises(ApplicationError, match="no longer a member"):
        services.membership_remove(membership=target, actor=owner)
