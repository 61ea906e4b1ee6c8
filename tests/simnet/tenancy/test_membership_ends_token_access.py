"""When a membership ends or shrinks, so do the API tokens that member created.

Removing (or leaving) revokes them; demoting lowers them to the new role. Each test first
shows the token working (positive control), and a colleague's token is left untouched.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from simnet.tenancy import services
from simnet.tenancy.audit import Actions
from simnet.tenancy.models import ApiToken, AuditEvent, Membership
from simnet.tenancy.roles import Role

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints/"


@pytest.fixture(autouse=True)
def loopback_webhooks_allowed(settings):
    settings.PRODUCTION = False  # the hook URL below is loopback, refused only in production


def _token(organization, creator, role=Role.ADMIN):
    return services.api_token_create(organization=organization, actor=creator, name="ci", role=role)


def _register_webhook(client):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["run.completed"], "description": "CRM"}
    return client.post(ENDPOINTS, body, format="json")


def _membership(user, organization):
    return Membership.objects.get(user=user, organization=organization)


def test_removing_a_member_revokes_their_tokens_for_reads_and_writes(org_a, owner, org_admin, api_client_for):
    _, removed_raw = _token(org_a, org_admin)
    _, colleague_raw = _token(org_a, owner)
    removed = api_client_for(removed_raw)
    assert removed.get(reverse("api_organization")).status_code == 200  # works before
    assert _register_webhook(removed).status_code == 201

    services.membership_remove(membership=_membership(org_admin, org_a), actor=owner)

    assert removed.get(reverse("api_organization")).status_code == 401
    assert _register_webhook(removed).status_code == 401
    assert _register_webhook(api_client_for(colleague_raw)).status_code == 201  # others keep theirs
    assert AuditEvent.objects.for_org(org_a).filter(action=Actions.TOKEN_REVOKED, actor=owner).count() == 1


def test_leaving_an_organization_revokes_ones_tokens(org_a, owner, org_admin, api_client_for):
    token, raw = _token(org_a, org_admin)
    assert api_client_for(raw).get(reverse("api_organization")).status_code == 200
    services.organization_leave(organization=org_a, user=org_admin)
    assert api_client_for(raw).get(reverse("api_organization")).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_demoting_an_admin_lowers_their_admin_token_so_it_cannot_create_a_webhook(
    org_a, owner, org_admin, api_client_for
):
    admin_token, admin_raw = _token(org_a, org_admin, Role.ADMIN)
    viewer_token, _ = _token(org_a, org_admin, Role.VIEWER)
    client = api_client_for(admin_raw)
    assert _register_webhook(client).status_code == 201  # an admin token may, before

    services.membership_change_role(membership=_membership(org_admin, org_a), actor=owner, role=Role.MEMBER)

    refused = _register_webhook(client)
    assert refused.status_code == 403 and "needs admin" in refused.json()["error"]["message"]
    assert client.get(reverse("api_organization")).status_code == 200  # still a member's token
    admin_token.refresh_from_db()
    viewer_token.refresh_from_db()
    assert (admin_token.role, viewer_token.role) == (Role.MEMBER, Role.VIEWER)  # lowered, never raised


def test_promoting_leaves_tokens_as_they_were(org_a, owner, member, org_admin):
    services.membership_change_role(membership=_membership(member, org_a), actor=owner, role=Role.ADMIN)
    token, _ = _token(org_a, member, Role.MEMBER)
    services.membership_change_role(membership=_membership(member, org_a), actor=owner, role=Role.OWNER)
    token.refresh_from_db()
    assert token.role == Role.MEMBER and ApiToken.objects.for_org(org_a).filter(revoked_at=None).count() == 1
