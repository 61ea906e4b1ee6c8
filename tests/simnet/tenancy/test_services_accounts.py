"""Sign-up, organizations (create, settings, leave)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simnet.tenancy import services
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import AuditEvent, Membership, Organization, User
from simnet.tenancy.roles import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-unusual-passphrase"


def test_signup_creates_user_organization_and_owner_membership():
    user, org = services.user_signup(
        email=" Ada@Example.COM ",
        password=PASSWORD,
        name="Ada Lovelace",
        organization_name="Analytical Engines",
    )
    assert user.email == "ada@example.com"
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.check_password(PASSWORD)
    assert org.slug == "analytical-engines"
    assert Membership.objects.get(user=user, organization=org).role == Role.OWNER
    created = AuditEvent.objects.for_org(org).get(action=Actions.ORG_CREATED)
    assert created.actor == user


def test_signup_with_a_taken_email_creates_nothing():
    UserFactory(email="ada@example.com")
    with pytest.raises(ApplicationError) as caught:
        services.user_signup(
            email="ADA@example.com", password=PASSWORD, name="Ada", organization_name="Second"
        )
    assert "already exists" in caught.value.fields["email"][0]
    assert User.objects.count() == 1
    assert not Organization.objects.filter(name="Second").exists()


def test_signup_rejects_a_weak_password_and_creates_nothing():
    with pytest.raises(ApplicationError) as caught:
        services.user_signup(email="bob@example.com", password="12345", name="Bob", organization_name="Bob's")
    assert caught.value.fields["password1"]
    assert not User.objects.filter(email="bob@example.com").exists()


def test_signup_without_organization_name_is_for_invited_people():
    user, org = services.user_signup(
        email="inv@example.com", password=PASSWORD, name="In Vited", organization_name=""
    )
    assert org is None
    assert not Membership.objects.filter(user=user).exists()


def test_organization_slugs_stay_unique():
    owner = UserFactory()
    first = services.organization_create(name="Acme", owner=owner)
    second = services.organization_create(name="Acme", owner=owner)
    assert first.slug == "acme"
    assert second.slug.startswith("acme-") and second.slug != first.slug


def test_organization_create_needs_a_name():
    with pytest.raises(ApplicationError):
        services.organization_create(name="   ", owner=UserFactory())


def test_admin_updates_settings_and_the_change_is_audited(org_a, org_admin):
    services.organization_update(
        organization=org_a,
        actor=org_admin,
        name="Renamed",
        monthly_budget_usd=Decimal("12.50"),
        max_concurrent_runs=2,
        ip="10.0.0.1",
    )
    org_a.refresh_from_db()
    assert (org_a.name, org_a.monthly_budget_usd, org_a.max_concurrent_runs) == (
        "Renamed",
        Decimal("12.50"),
        2,
    )
    event = AuditEvent.objects.for_org(org_a).get(action=Actions.ORG_UPDATED)
    assert event.detail["changes"]["name"] == ["Organization A", "Renamed"]
    assert event.ip == "10.0.0.1"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_settings(org_a, role):
    user = MembershipFactory(organization=org_a, role=role).user
    with pytest.raises(PermissionDeniedError):
        services.organization_update(
            organization=org_a, actor=user, name="X", monthly_budget_usd=1, max_concurrent_runs=1
        )
    org_a.refresh_from_db()
    assert org_a.name == "Organization A"


def test_outsider_cannot_change_settings(org_a, outsider):
    with pytest.raises(PermissionDeniedError):
        services.organization_update(
            organization=org_a, actor=outsider, name="X", monthly_budget_usd=1, max_concurrent_runs=1
        )


def test_invalid_settings_are_rejected(org_a, owner):
    with pytest.raises(ApplicationError) as caught:
        services.organization_update(
            organization=org_a, actor=owner, name="", monthly_budget_usd=Decimal(1), max_concurrent_runs=1
        )
    assert "name" in caught.value.fields


def test_a_member_can_leave(org_a, member):
    services.organization_leave(organization=org_a, user=member)
    assert not Membership.objects.filter(organization=org_a, user=member).exists()
    assert AuditEvent.objects.for_org(org_a).get(action=Actions.MEMBER_LEFT).actor == member


def test_the_last_owner_cannot_leave(org_a, owner):
    with pytest.raises(ApplicationError, match="last owner"):
        services.organization_leave(organization=org_a, user=owner)
    assert Membership.objects.filter(organization=org_a, user=owner, role=Role.OWNER).exists()


def test_an_owner_can_leave_when_another_owner_remains(org_a, owner):
    MembershipFactory(organization=org_a, role=Role.OWNER)
    services.organization_leave(organization=org_a, user=owner)
    assert not Membership.objects.filter(organization=org_a, user=owner).exists()
