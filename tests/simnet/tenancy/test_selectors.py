"""Reads: always inside the given organization."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone

from simnet.tenancy import selectors
from simnet.tenancy.audit import Actions
from tests.factories import ApiTokenFactory, AuditEventFactory, InvitationFactory

pytestmark = pytest.mark.django_db


def test_members_are_listed_highest_role_first(tenancy):
    roles = [m.role for m in selectors.membership_list(organization=tenancy.org_a)]
    assert roles == ["owner", "admin", "member", "viewer"]


def test_membership_get_is_404_across_organizations(tenancy):
    foreign = selectors.membership_list(organization=tenancy.org_b).get()
    with pytest.raises(Http404):
        selectors.membership_get(organization=tenancy.org_a, membership_id=foreign.pk)


def test_organization_get_for_user_only_returns_own_organizations(member, org_a, org_b):
    assert selectors.organization_get_for_user(user=member, organization_id=str(org_a.pk)) == org_a
    for bogus in (org_b.pk, None, "x"):
        with pytest.raises(Http404):
            selectors.organization_get_for_user(user=member, organization_id=bogus)


def test_open_invitations_exclude_accepted_and_revoked(org_a, org_b):
    pending = InvitationFactory(organization=org_a)
    InvitationFactory(organization=org_a, accepted_at=timezone.now())
    InvitationFactory(organization=org_a, revoked_at=timezone.now())
    InvitationFactory(organization=org_b)
    assert list(selectors.invitation_open_list(organization=org_a)) == [pending]


def test_invitation_by_token_finds_it_by_its_hash_only(org_a):
    invitation = InvitationFactory(organization=org_a)
    assert selectors.invitation_get_by_token(raw_token=invitation.raw_token) == invitation
    assert selectors.invitation_get_by_token(raw_token=invitation.token_hash) is None


def test_token_list_shows_active_tokens_of_the_organization(org_a, org_b):
    active = ApiTokenFactory(organization=org_a)
    ApiTokenFactory(organization=org_a, revoked_at=timezone.now())
    ApiTokenFactory(organization=org_b)
    assert list(selectors.api_token_list(organization=org_a)) == [active]
    with pytest.raises(Http404):
        selectors.api_token_get(organization=org_b, token_id=active.pk)


def test_audit_events_filter_within_the_organization(org_a, org_b, member):
    wanted = AuditEventFactory(organization=org_a, action=Actions.RUN_STARTED, actor=member)
    AuditEventFactory(organization=org_a, action=Actions.RUN_CANCELLED, actor=member)
    AuditEventFactory(organization=org_b, action=Actions.RUN_STARTED, actor=member)
    found = selectors.audit_event_list(organization=org_a, action=Actions.RUN_STARTED, actor=member)
    assert list(found) == [wanted]


def test_audit_actor_choices_are_the_members(tenancy):
    emails = set(selectors.audit_actor_choices(organization=tenancy.org_a).values_list("email", flat=True))
    assert emails == {"owner@a.example", "admin@a.example", "member@a.example", "viewer@a.example"}
