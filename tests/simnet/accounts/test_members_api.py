"""/api/v1/members/ and /api/v1/invitations/: people change membership, tokens only read."""

from __future__ import annotations

import pytest
from django.core import mail

from simnet.tenancy.models import AuditEvent, Invitation, Membership

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
INVITATIONS = "/api/v1/invitations/"


def membership(user, organization) -> Membership:
    return user.memberships.get(organization=organization)


def test_any_role_lists_the_members_of_its_organization_only(viewer_api, org_a):
    rows = viewer_api.get(MEMBERS).json()["results"]
    assert [(row["email"], row["role"]) for row in rows] == [
        ("owner@a.example", "owner"),
        ("admin@a.example", "admin"),
        ("member@a.example", "member"),
        ("viewer@a.example", "viewer"),
    ]


def test_a_signed_in_admin_changes_a_role_and_removes_a_member(org_admin_client, member, viewer, org_a):
    target = membership(member, org_a)
    changed = org_admin_client.patch(
        f"{MEMBERS}{target.pk}/", {"role": "viewer"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    assert AuditEvent.objects.for_org(org_a).filter(action="member.role_changed").count() == 1
    removed = org_admin_client.delete(f"{MEMBERS}{membership(viewer, org_a).pk}/")
    assert removed.status_code == 204
    assert not Membership.objects.filter(organization=org_a, user=viewer).exists()


def test_service_rules_hold_through_the_api(owner_client, org_admin_client, owner, org_a):
    last_owner = org_admin_client.patch(
        f"{MEMBERS}{membership(owner, org_a).pk}/", {"role": "member"}, content_type="application/json"
    )
    assert last_owner.status_code == 403 and "owner" in last_owner.json()["error"]["message"]
    myself = owner_client.patch(
        f"{MEMBERS}{membership(owner, org_a).pk}/", {"role": "admin"}, content_type="application/json"
    )
    assert myself.status_code == 400 and myself.json()["error"]["code"] == "last_owner"
    bad = owner_client.patch(
        f"{MEMBERS}{membership(owner, org_a).pk}/", {"role": "emperor"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "role" in bad.json()["error"]["fields"]


def test_api_tokens_cannot_change_membership_even_as_admin_or_owner(token_client, member, org_a):
    target = membership(member, org_a)
    for role in ("admin", "owner"):
        client = token_client(role)
        for response in (
            client.patch(f"{MEMBERS}{target.pk}/", {"role": "viewer"}, format="json"),
            client.delete(f"{MEMBERS}{target.pk}/"),
            client.post(INVITATIONS, {"email": "new@a.example", "role": "member"}, format="json"),
        ):
            assert response.status_code == 403
            error = response.json()["error"]
            assert error["code"] == "use_signed_in_admin" and "signed-in admin" in error["message"]
    assert membership(member, org_a).role == "member" and not Invitation.objects.for_org(org_a).exists()


def test_a_member_cannot_manage_members(member_client, viewer, org_a):
    target = membership(viewer, org_a)
    refused = member_client.patch(
        f"{MEMBERS}{target.pk}/", {"role": "admin"}, content_type="application/json"
    )
    assert refused.status_code == 403 and "needs admin" in refused.json()["error"]["message"]
    assert member_client.delete(f"{MEMBERS}{target.pk}/").status_code == 403


def test_invitations_are_created_listed_and_revoked_by_a_signed_in_admin(
    org_admin_client, admin_api, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = org_admin_client.post(
            INVITATIONS,
            {"email": "New.Person@Example.com", "role": "member"},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    invitation = created.json()
    assert invitation["email"] == "new.person@example.com" and invitation["is_pending"] is True
    assert invitation["invited_by"] == "admin@a.example"
    [message] = mail.outbox
    link = next(word for word in message.body.split() if "/invite/" in word)
    assert link.split("/invite/")[1].strip("/") not in created.content.decode()
    listed = admin_api.get(INVITATIONS).json()["results"]
    assert [row["id"] for row in listed] == [invitation["id"]] and link not in admin_api.get(
        INVITATIONS
    ).content.decode()
    revoked = org_admin_client.post(f"{INVITATIONS}{invitation['id']}/revoke/")
    assert (
        revoked.status_code == 200 and revoked.json()["revoked_at"] and revoked.json()["is_pending"] is False
    )
    again = org_admin_client.post(f"{INVITATIONS}{invitation['id']}/revoke/")
    assert again.status_code == 400
    assert admin_api.get(INVITATIONS).json()["count"] == 0


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_roles_below_admin_do_not_see_invitations(token_client, role, org_a):
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(organization=org_a)
    client = token_client(role)
    assert client.get(INVITATIONS).status_code == 403
    assert client.get(f"{INVITATIONS}{invitation.pk}/").status_code == 403


def test_another_organizations_people_are_a_404(token_client, org_b, member, org_a):
    from tests.factories import InvitationFactory

    outsider = token_client("owner", org_b)
    target = membership(member, org_a)
    invitation = InvitationFactory(organization=org_a)
    assert outsider.get(f"{MEMBERS}{target.pk}/").status_code == 404
    assert outsider.patch(f"{MEMBERS}{target.pk}/", {"role": "viewer"}, format="json").status_code == 404
    assert outsider.get(f"{INVITATIONS}{invitation.pk}/").status_code == 404
    assert outsider.post(f"{INVITATIONS}{invitation.pk}/revoke/").status_code == 404
    assert [row["email"] for row in outsider.get(MEMBERS).json()["results"]] == ["outsider@b.example"]
