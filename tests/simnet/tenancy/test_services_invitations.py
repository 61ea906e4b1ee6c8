"""Invitations: create (hash stored, link emailed), accept once, and every way it can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from simnet.tenancy import services
from simnet.tenancy.audit import Actions
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.tenancy.models import AuditEvent, Invitation, Membership
from simnet.tenancy.roles import Role
from simnet.tenancy.secrets import hash_token
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(org_a, org_admin, django_capture_on_commit_callbacks):
    """Invite through the service, running the after-commit email like production does."""

    def make(email="new@example.com", role=Role.MEMBER, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(
                organization=org_a, actor=actor or org_admin, email=email, role=role
            )

    return make


def test_invitation_stores_a_hash_and_emails_the_link(invite, org_a, mailoutbox, settings):
    settings.SITE_URL = "https://simnet.example"
    invitation, raw = invite(email="New@Example.com")
    assert invitation.email == "new@example.com"
    assert invitation.token_hash == hash_token(raw) and raw not in invitation.token_hash
    assert raw.startswith("inv_")
    assert timedelta(hours=settings.INVITATION_TTL_HOURS - 1) < invitation.expires_at - timezone.now()
    [email] = mailoutbox
    assert email.to == ["new@example.com"]
    assert f"https://simnet.example/invite/{raw}/" in email.body
    assert "Organization A" in email.subject
    event = AuditEvent.objects.for_org(org_a).get(action=Actions.MEMBER_INVITED)
    assert event.detail == {"email": "new@example.com", "role": "member"}
    assert raw not in str(event.detail) and raw not in event.target_label


def test_no_email_leaves_when_the_invitation_is_rolled_back(org_a, org_admin, mailoutbox):
    # Without the commit (the test's transaction never commits) nothing is sent.
    services.invitation_create(organization=org_a, actor=org_admin, email="x@example.com", role=Role.MEMBER)
    assert mailoutbox == []


def test_invite_then_accept_makes_a_member(invite, org_a):
    invitation, raw = invite(email="joiner@example.com", role=Role.VIEWER)
    joiner = UserFactory(email="joiner@example.com")
    membership = services.invitation_accept(raw_token=raw, user=joiner, ip="9.9.9.9")
    assert (membership.organization, membership.role) == (org_a, Role.VIEWER)
    invitation.refresh_from_db()
    assert invitation.accepted_by == joiner and invitation.accepted_at is not None
    event = AuditEvent.objects.for_org(org_a).get(action=Actions.MEMBER_JOINED)
    assert (event.actor, event.ip) == (joiner, "9.9.9.9")


def test_a_used_invitation_cannot_be_used_again(org_a):
    invitation = InvitationFactory(organization=org_a, email="a@example.com")
    services.invitation_accept(raw_token=invitation.raw_token, user=UserFactory(email="a@example.com"))
    with pytest.raises(ApplicationError, match="already been used") as caught:
        services.invitation_accept(raw_token=invitation.raw_token, user=UserFactory(email="A@example.org"))
    assert caught.value.status == 410


def test_an_expired_invitation_changes_nothing(org_a):
    invitation = InvitationFactory(organization=org_a, email="late@example.com", expires_at=timezone.now())
    user = UserFactory(email="late@example.com")
    with pytest.raises(ApplicationError, match="expired"):
        services.invitation_accept(raw_token=invitation.raw_token, user=user)
    assert not Membership.objects.filter(user=user).exists()


def test_a_revoked_invitation_changes_nothing(org_a, org_admin):
    invitation = InvitationFactory(organization=org_a, email="gone@example.com")
    services.invitation_revoke(invitation=invitation, actor=org_admin)
    user = UserFactory(email="gone@example.com")
    with pytest.raises(ApplicationError, match="revoked"):
        services.invitation_accept(raw_token=invitation.raw_token, user=user)
    assert not Membership.objects.filter(user=user).exists()
    assert AuditEvent.objects.for_org(org_a).filter(action=Actions.INVITE_REVOKED).count() == 1


def test_only_the_invited_address_can_accept(org_a):
    invitation = InvitationFactory(organization=org_a, email="right@example.com")
    wrong = UserFactory(email="wrong@example.com")
    with pytest.raises(PermissionDeniedError, match="different email"):
        services.invitation_accept(raw_token=invitation.raw_token, user=wrong)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(user=wrong).exists()


def test_an_unknown_token_is_not_valid():
    with pytest.raises(ApplicationError, match="not valid") as caught:
        services.invitation_accept(raw_token="inv_made-up", user=UserFactory())
    assert caught.value.status == 404


def test_an_existing_member_cannot_accept_again(org_a, member):
    invitation = InvitationFactory(organization=org_a, email=member.email)
    with pytest.raises(ApplicationError, match="already a member"):
        services.invitation_accept(raw_token=invitation.raw_token, user=member)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_admin_cannot_invite_an_owner_but_an_owner_can(invite, owner):
    with pytest.raises(PermissionDeniedError, match="above yours"):
        invite(role=Role.OWNER)
    invitation, _ = invite(role=Role.OWNER, actor=owner)
    assert invitation.role == Role.OWNER


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_invite(invite, org_a, role):
    actor = MembershipFactory(organization=org_a, role=role).user
    with pytest.raises(PermissionDeniedError):
        invite(actor=actor)
    assert not Invitation.objects.for_org(org_a).exists()


def test_inviting_a_member_or_a_pending_address_is_refused(invite, member):
    with pytest.raises(ApplicationError, match="already a member"):
        invite(email=member.email.upper())
    invite(email="twice@example.com")
    with pytest.raises(ApplicationError, match="pending invitation"):
        invite(email="twice@example.com")


def test_an_invalid_address_is_refused(invite, org_a):
    with pytest.raises(ApplicationError, match="valid email"):
        invite(email="not an address")
    assert not Invitation.objects.for_org(org_a).exists()


def test_revoking_twice_or_after_acceptance_is_refused(org_a, org_admin):
    invitation = InvitationFactory(organization=org_a, email="r@example.com")
    services.invitation_accept(raw_token=invitation.raw_token, user=UserFactory(email="r@example.com"))
    with pytest.raises(ApplicationError, match="already accepted"):
        services.invitation_revoke(invitation=invitation, actor=org_admin)
    twice = InvitationFactory(organization=org_a)
    services.invitation_revoke(invitation=twice, actor=org_admin)
    with pytest.raises(ApplicationError, match="already revoked"):
        services.invitation_revoke(invitation=twice, actor=org_admin)


def test_member_cannot_revoke(org_a, member):
    invitation = InvitationFactory(organization=org_a)
    with pytest.raises(PermissionDeniedError):
        services.invitation_revoke(invitation=invitation, actor=member)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
